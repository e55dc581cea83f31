/** Named domain errors. Whether an error is retryable is decided at the edge, not here. */

export class MarqueeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A job was asked to move to a state its current state does not allow. */
export class IllegalTransitionError extends MarqueeError {}

/** Input that can never succeed (malformed upload, invalid metadata): the job is REJECTED. */
export class RejectedInputError extends MarqueeError {}

/** A policy or configuration file failed validation. */
export class InvalidPolicyError extends MarqueeError {}

/** An encode, probe or measurement failed; may succeed on retry or on another backend. */
export class EncodeFailedError extends MarqueeError {}

/** A rendition missed its quality floor or an output check. */
export class QcFailedError extends MarqueeError {}

/** A write lost an optimistic-concurrency race or hit an existing item. */
export class ConflictError extends MarqueeError {}

/** A job id that the store does not know. */
export class JobNotFoundError extends MarqueeError {}
