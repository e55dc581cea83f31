export * from './types';
export * from './policies';
export * from './dispatch';
export * from './admission';
export * from './preemption';
