import { MarqueeError } from '../core/errors';

/** A failure worth retrying (throttling, a lost race): the state machine's Retry matches this name. */
export class TransientError extends MarqueeError {}

/** Both backends have been tried: the workflow records the failure instead of looping. */
export class NoFallbackError extends MarqueeError {}

/** An environment variable a handler needs is missing or malformed. */
export class ConfigError extends MarqueeError {}

/** An AWS event or request did not match its schema. */
export class InvalidEventError extends MarqueeError {}
