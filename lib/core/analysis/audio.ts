import type { AudioKind } from '../types';

/**
 * Speech vs music vs silence from mono 16-bit PCM (the analyzer resamples a sample of the track to
 * 8 kHz mono). The rule uses the low short-time energy ratio (LSTER, Lu, Zhang & Jiang 2002):
 * speech alternates syllables and pauses, so many 25 ms frames are far quieter than the second around
 * them; music is sustained. Silence is an overall level below −55 dBFS.
 */
export interface AudioSignalStats {
  /** Overall RMS level, dBFS. */
  rmsDbfs: number;
  /** Share of 25 ms frames whose energy is below half the mean energy of their 1 s window (0..1). */
  lowEnergyRatio: number;
  /** Share of 25 ms frames below −45 dBFS (pauses). */
  pauseShare: number;
  frames: number;
}

export const SILENCE_DBFS = -55;
export const SPEECH_LSTER = 0.25;

const dbfs = (rms: number): number => (rms > 0 ? 20 * Math.log10(rms / 32768) : -120);

/** Short-time energy statistics of PCM samples. */
export function audioSignalStats(pcm: Int16Array, sampleRate: number): AudioSignalStats {
  const frameLen = Math.max(1, Math.round(sampleRate * 0.025));
  const perWindow = 40; // 40 × 25 ms = 1 s
  const energies: number[] = [];
  let total = 0;
  for (let start = 0; start + frameLen <= pcm.length; start += frameLen) {
    let e = 0;
    for (let i = start; i < start + frameLen; i++) e += pcm[i]! * pcm[i]!;
    energies.push(e / frameLen);
    total += e;
  }
  if (energies.length === 0) return { rmsDbfs: -120, lowEnergyRatio: 0, pauseShare: 1, frames: 0 };
  let low = 0;
  let pauses = 0;
  const pauseEnergy = (32768 * 10 ** (-45 / 20)) ** 2;
  for (let w = 0; w < energies.length; w += perWindow) {
    const win = energies.slice(w, w + perWindow);
    const avg = win.reduce((a, b) => a + b, 0) / win.length;
    for (const e of win) {
      if (e < 0.5 * avg) low++;
      if (e < pauseEnergy) pauses++;
    }
  }
  return {
    rmsDbfs: dbfs(Math.sqrt(total / (energies.length * frameLen))),
    lowEnergyRatio: low / energies.length,
    pauseShare: pauses / energies.length,
    frames: energies.length,
  };
}

/** Classify the signal: silence, speech (strongly modulated, with pauses) or music-like (sustained). */
export function audioKindOf(stats: AudioSignalStats): Exclude<AudioKind, 'none'> {
  if (stats.frames === 0 || stats.rmsDbfs < SILENCE_DBFS) return 'silence';
  return stats.lowEnergyRatio >= SPEECH_LSTER ? 'speech' : 'music';
}

/** Integrated loudness (LUFS) from the summary that ffmpeg's `ebur128` filter prints; undefined when absent. */
export function parseEbur128Summary(stderr: string): number | undefined {
  const i = stderr.lastIndexOf('Integrated loudness:');
  if (i < 0) return undefined;
  const m = /I:\s+(-?[\d.]+|-inf)\s+LUFS/.exec(stderr.slice(i));
  if (!m) return undefined;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}
