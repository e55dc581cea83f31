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

/**
 * Cuts a byte stream into fixed-size frames as chunks arrive. A frame inside one chunk is handed over
 * as a view of it (no copy); only a frame that spans chunks is assembled, in a buffer of its own.
 */
export class FrameAssembler {
  private partial: Buffer | null = null;
  private partialBytes = 0;

  constructor(
    private readonly frameBytes: number,
    private readonly onFrame: (frame: Uint8Array) => void,
  ) {}

  push(chunk: Buffer): void {
    const size = this.frameBytes;
    if (size <= 0) return;
    let at = 0;
    if (this.partial) {
      const take = Math.min(size - this.partialBytes, chunk.length);
      chunk.copy(this.partial, this.partialBytes, 0, take);
      this.partialBytes += take;
      at = take;
      if (this.partialBytes < size) return;
      const frame = this.partial;
      this.partial = null;
      this.partialBytes = 0;
      this.onFrame(frame);
    }
    for (; at + size <= chunk.length; at += size) this.onFrame(chunk.subarray(at, at + size));
    if (at < chunk.length) {
      this.partial = Buffer.allocUnsafe(size);
      this.partialBytes = chunk.copy(this.partial, 0, at);
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
