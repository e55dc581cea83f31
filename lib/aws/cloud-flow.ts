/**
 * The cloud flow: what each Lambda does, over ports, so a handler stays a thin adapter. Every state
 * change goes through lib/core (`transition`, `planJob`, `escalate`, the scheduler, deadline
 * management) and is written with a conditional put.
 *
 * One module per step under lib/aws/flow/ — handlers import their own step only (a dispatch bundle
 * does not carry the analysis, planning and prediction code). This barrel is for tests and tools.
 */
export * from './flow/common';
export * from './flow/analyze';
export * from './flow/dispatch';
export * from './flow/complete';
export * from './flow/workflow';
export * from './flow/deadline-watch';
export * from './flow/priority';
