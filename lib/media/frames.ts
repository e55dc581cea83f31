import { spawn } from 'node:child_process';
import { ProcessError } from './process';

/**
 * Run a binary that writes binary data to stdout and to extra pipes (ffmpeg `pipe:3`, `pipe:4`, …),
 * with a timeout, cancellation and a cap on the bytes kept. `run()` in process.ts decodes stdout as
 * UTF-8, which would corrupt raw frames; this keeps Buffers.
 */
export interface CaptureOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Extra output pipes beyond stdout, as fds 3, 4, … */
  extraPipes?: number;
  /** Kill the child when any one pipe exceeds this many bytes (a hostile file cannot exhaust memory). */
  maxBytesPerPipe?: number;
  /**
   * Pipes handed to a consumer as they arrive instead of being kept (index as in `pipes`: 0 stdout,
   * 1 fd 3, …); their entry in the result is empty. Lets the caller work while the child is still running.
   */
  streamed?: ReadonlyMap<number, (chunk: Buffer) => void>;
  /** Every stderr chunk as it arrives (the result keeps only the last 256 KB). */
  onStderr?: (chunk: string) => void;
}

/** Cuts a byte stream into fixed-size frames as chunks arrive (a frame may span chunks). */
export class FrameAssembler {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.frameBytes <= 0) return;
    let data = chunk;
    if (this.pendingBytes > 0) {
      data = Buffer.concat([...this.pending, chunk]);
      this.pending = [];
      this.pendingBytes = 0;
    }
    let at = 0;
    for (; at + this.frameBytes <= data.length; at += this.frameBytes) this.onFrame(data.subarray(at, at + this.frameBytes));
    if (at < data.length) {
      this.pending.push(Buffer.from(data.subarray(at)));
      this.pendingBytes = data.length - at;
    }
  }
}

export interface CaptureResult {
  /** Index 0 is stdout, then fd 3, fd 4, … */
  pipes: Buffer[];
  stderr: string;
  wallMs: number;
}

export function captureRun(bin: string, args: readonly string[], opts: CaptureOptions): Promise<CaptureResult> {
  const started = performance.now();
  const extra = opts.extraPipes ?? 0;
  const maxBytes = opts.maxBytesPerPipe ?? 512 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new ProcessError(`${bin} cancelled before start`, null, '', false, true));
      return;
    }
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe', ...Array.from({ length: extra }, () => 'pipe' as const)];
    const child = spawn(bin, args, { stdio, shell: false });
    const outFds = [1, ...Array.from({ length: extra }, (_, i) => 3 + i)];
    const chunks: Buffer[][] = outFds.map(() => []);
    const sizes = outFds.map(() => 0);
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let overflow = false;
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    outFds.forEach((fd, i) => {
      const stream = child.stdio[fd] as NodeJS.ReadableStream | null;
      const consumer = opts.streamed?.get(i);
      stream?.on('data', (d: Buffer) => {
        sizes[i]! += d.length;
        if (sizes[i]! > maxBytes) {
          overflow = true;
          kill();
          return;
        }
        if (consumer) consumer(d);
        else chunks[i]!.push(d);
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      opts.onStderr?.(d);
      stderr = (stderr + d).slice(-256 * 1024);
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(new ProcessError(`${bin} could not start: ${err.message}`, null, '', false, false));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      const wallMs = performance.now() - started;
      if (code === 0 && !timedOut && !aborted && !overflow) {
        resolve({ pipes: chunks.map((c) => Buffer.concat(c)), stderr, wallMs });
        return;
      }
      const name = bin.split('/').pop();
      const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : aborted ? 'cancelled' : overflow ? `produced more than ${maxBytes} bytes` : `exited with code ${code}`;
      reject(new ProcessError(`${name} ${why}`, code, stderr.slice(-4000), timedOut, aborted));
    });
  });
}
