import type { Job } from '../types';
import { tierRank } from '../types';

export * from './types';
export * from './policies';
export * from './dispatch';
export * from './admission';
export * from './bump';
export * from './preemption';

/** v0 priority policy: tier first, then deadline, then arrival. Kept for the local runtime. */
export interface SchedulingPolicy {
  name: string;
  /** Order queued jobs: the first runs next. */
  order(jobs: readonly Job[], now: number): Job[];
}

export const tierThenDeadline: SchedulingPolicy = {
  name: 'tier-then-deadline',
  order(jobs) {
    return [...jobs].sort(
      (a, b) =>
        tierRank(a.value?.tier ?? 'bulk') - tierRank(b.value?.tier ?? 'bulk') ||
        a.deadlineAt - b.deadlineAt ||
        a.createdAt - b.createdAt,
    );
  },
};
