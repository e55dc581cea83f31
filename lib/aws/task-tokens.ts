import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, TaskDoesNotExist, TaskTimedOut, type SFNClient } from '@aws-sdk/client-sfn';

/** How a workflow waiting on a task token is answered. */
export interface TaskTokens {
  succeed(token: string, output: unknown): Promise<boolean>;
  fail(token: string, error: string, cause: string): Promise<boolean>;
  heartbeat(token: string): Promise<boolean>;
}

const gone = (e: unknown): boolean => e instanceof TaskDoesNotExist || e instanceof TaskTimedOut || ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'].includes((e as Error).name);

/**
 * Task-token answers through Step Functions. A token that is no longer waited on (timed out,
 * already answered) returns false instead of throwing: a duplicate encoder event must not fail.
 */
export class StepFunctionsTaskTokens implements TaskTokens {
  constructor(private readonly sfn: SFNClient) {}

  private async call(f: () => Promise<unknown>): Promise<boolean> {
    try {
      await f();
      return true;
    } catch (e) {
      if (gone(e)) return false;
      throw e;
    }
  }

  succeed(token: string, output: unknown): Promise<boolean> {
    return this.call(() => this.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) })));
  }

  fail(token: string, error: string, cause: string): Promise<boolean> {
    return this.call(() => this.sfn.send(new SendTaskFailureCommand({ taskToken: token, error: error.slice(0, 256), cause: cause.slice(0, 32_000) })));
  }

  heartbeat(token: string): Promise<boolean> {
    return this.call(() => this.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })));
  }
}
