/**
 * Adapters whose AWS SDK client loads when an invocation first uses it, for the clients only some
 * invocations need (the S3 check of the workflow's verify step, the events of a deadline action, the
 * encoder calls of a dispatch tick that has work…). Loading an SDK client package costs 10–60 ms of
 * init (see docs/deploy.md, Lambda cold start); a function loads eagerly only what every invocation
 * uses.
 *
 * The adapter modules are imported dynamically: esbuild then defers their `require` of the SDK
 * package (and the module itself) to the first call. Clients are wrapped for X-Ray like the eager ones.
 */
import type { CloudEncoder } from '../../lib/aws/encoders';
import type { TaskTokens } from '../../lib/aws/task-tokens';
import type { EventPublisher, ObjectStore } from '../../lib/ports';
import { traced } from './powertools';

/** Memoise an async factory: the first call starts it, later calls share it; a failed load is retried by the next call. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((e: unknown) => {
      loading = undefined;
      throw e;
    }));
}

/** EventBridge publisher (lib/aws/events) whose client loads with the first event. */
export function lazyEventPublisher(busName: string): EventPublisher {
  const publisher = once(async () => {
    const [{ EventBridgeClient }, { EventBridgePublisher }] = await Promise.all([import('@aws-sdk/client-eventbridge'), import('../../lib/aws/events')]);
    return new EventBridgePublisher(traced(new EventBridgeClient({})), busName);
  });
  return { publish: async (event) => (await publisher()).publish(event) };
}

/** S3 object store (lib/aws/object-store) whose client loads with the first object operation. */
export function lazyObjectStore(): ObjectStore {
  const store = once(async () => {
    const [{ S3Client }, { S3ObjectStore }] = await Promise.all([import('@aws-sdk/client-s3'), import('../../lib/aws/object-store')]);
    return new S3ObjectStore(traced(new S3Client({})));
  });
  return {
    exists: async (uri) => (await store()).exists(uri),
    list: async (prefix) => (await store()).list(prefix),
    readText: async (uri) => (await store()).readText(uri),
    writeText: async (uri, body) => (await store()).writeText(uri, body),
  };
}

/** Step Functions task-token answers (lib/aws/task-tokens) whose client loads with the first answer. */
export function lazyTaskTokens(): TaskTokens {
  const tokens = once(async () => {
    const [{ SFNClient }, { StepFunctionsTaskTokens }] = await Promise.all([import('@aws-sdk/client-sfn'), import('../../lib/aws/task-tokens')]);
    return new StepFunctionsTaskTokens(traced(new SFNClient({})));
  });
  return {
    succeed: async (token, output) => (await tokens()).succeed(token, output),
    fail: async (token, error, cause) => (await tokens()).fail(token, error, cause),
    heartbeat: async (token) => (await tokens()).heartbeat(token),
  };
}

/** A cloud encoder built by `load` (which imports its SDK client) on its first submit or cancel. */
export function lazyEncoder(backend: CloudEncoder['backend'], load: () => Promise<CloudEncoder>): CloudEncoder {
  const encoder = once(load);
  return {
    backend,
    submit: async (s) => (await encoder()).submit(s),
    cancel: async (externalId, reason) => (await encoder()).cancel(externalId, reason),
  };
}
