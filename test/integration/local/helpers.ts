/** Helpers for the local runtime's integration tests: tiny real clips, a config, captured output. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig, type LocalConfig } from '../../../lib/local/config';
import type { SessionIo } from '../../../lib/local/session';
import { synthesizeClip, type SynthKind } from '../../../lib/media/synth';

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `marquee-${prefix}-`));

/** A tiny clip (160x90, 1–2 s) and, when given, its sidecar manifest. */
export async function tinyClip(dir: string, name: string, kind: SynthKind, sidecar?: unknown, opts: { durationSec?: number; audio?: 'music' | 'none'; width?: number; height?: number } = {}): Promise<string> {
  const path = join(dir, `${name}.mp4`);
  await synthesizeClip(kind, path, { width: opts.width ?? 160, height: opts.height ?? 90, durationSec: opts.durationSec ?? 1.5, audio: opts.audio ?? 'none', fps: 25 });
  if (sidecar !== undefined) writeFileSync(join(dir, `${name}.json`), typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
  return path;
}

export function testConfig(outDir: string, over: Partial<LocalConfig> = {}): LocalConfig {
  return { ...loadConfig({ out: outDir, workers: 1, threads: 1 }, {}, 2), ...over };
}

/** Session IO whose output is captured (not a TTY: plain log lines). */
export function capturedIo(): SessionIo & { text: () => string } {
  let text = '';
  const sink = () => {
    const s = new PassThrough();
    s.on('data', (d: Buffer) => (text += d.toString()));
    return s as unknown as NodeJS.WriteStream;
  };
  return { stdout: sink(), stderr: sink(), cwdRelative: (p) => p, stopSignals: [], text: () => text };
}

export const HIGH_VALUE = { creatorTier: 'star', expectedViews: 10_000_000, monetized: true, premium: true, trending: 1, title: 'Finals' };
export const LOW_VALUE = { creatorTier: 'new', expectedViews: 0, monetized: false, premium: false };
export const MID_VALUE = { creatorTier: 'partner', expectedViews: 100_000, monetized: true };
