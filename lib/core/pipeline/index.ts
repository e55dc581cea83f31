/**
 * The multi-stage pipeline: a title as a task graph (analyse, encode per rendition, chunk or group,
 * join, package, QC, publish), format-specific routing and parallelism, chunk-level retries, and
 * dynamic allocation of workers between stages from their backlogs. Pure: used by the local
 * runtime, the simulator and the cloud dispatcher.
 */
export * from './types';
export * from './chunking';
export * from './routing';
export * from './graph';
export * from './allocation';
export * from './plan';
export * from './measured';
