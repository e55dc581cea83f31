import { spawn } from 'node:child_process';
import { MarqueeError } from '../core/errors';

/** A child process that failed, timed out or was cancelled; stderr's tail says why. */
export class ProcessError extends MarqueeError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    readonly timedOut: boolean,
    readonly aborted: boolean,
  ) {
    super(message);
  }
}

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each stderr chunk (ffmpeg progress lines). */
  onStderr?: (chunk: string) => void;
  /** Keep at most this many bytes of stdout (default 64 MiB). */
  maxStdoutBytes?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** CPU seconds (user + system) from the `bench:` line that ffmpeg prints with `-benchmark`. */
export function benchmarkCpuSec(stderr: string): number | undefined {
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
  return m ? Number(m[1]) + Number(m[2]) : undefined;
}

const TAIL = 4000;

/**
 * Spawn a binary with an argument array (never a shell), with a timeout and cancellation.
 * Resolves on exit code 0; rejects with ProcessError otherwise.
 */
export function run(bin: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ProcessError(`${bin} cancelled before start`, null, '', false, true));
      return;
    }
    // Own process group, so a timeout also kills what a wrapper script started.
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    const maxOut = opts.maxStdoutBytes ?? 64 * 1024 * 1024;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < maxOut) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-64 * 1024);
      opts.onStderr?.(d);
    });
    const finish = () => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      finish();
      reject(new ProcessError(`${bin} could not start: ${err.message}`, null, '', false, false));
    });
    child.on('close', (code) => {
      finish();
      const wallMs = performance.now() - started;
      if (code === 0 && !timedOut && !aborted) {
        resolve({ stdout, stderr, wallMs });
        return;
      }
      const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : aborted ? 'cancelled' : `exited with code ${code}`;
      reject(new ProcessError(`${bin.split('/').pop()} ${why}`, code, stderr.slice(-TAIL), timedOut, aborted));
    });
  });
}
