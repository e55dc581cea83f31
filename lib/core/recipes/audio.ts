import type { AudioFeatures, AudioProfile, SourceInfo, Tier } from '../types';

/** Streaming loudness target (LUFS); sources further than 3 LU from it are normalised. */
export const LOUDNESS_TARGET_LUFS = -16;

/**
 * Audio profile from the audio analysis: no track when the source has none; speech gets a lean
 * AAC-LC (64 kbit/s mono or 96 kbit/s stereo), music 128 kbit/s stereo (160 for premium/critical);
 * multichannel is downmixed to stereo for the streaming ladder. Loudness is normalised to
 * −16 LUFS when the measured level is far from it.
 */
export function chooseAudio(source: SourceInfo, audio: AudioFeatures, tier: Tier): AudioProfile | null {
  if (!source.audio || audio.kind === 'none') return null;
  const channels = Math.min(2, Math.max(1, audio.channels || source.audio.channels || 2));
  let bitrateKbps: number;
  if (audio.kind === 'silence') bitrateKbps = 32;
  else if (audio.kind === 'speech') bitrateKbps = channels === 1 ? 64 : 96;
  else bitrateKbps = tier === 'critical' || tier === 'premium' ? 160 : 128;
  const profile: AudioProfile = { codec: 'aac', bitrateKbps, channels, sampleRate: 48000 };
  if (audio.kind !== 'silence' && audio.loudnessLufs !== undefined && Math.abs(audio.loudnessLufs - LOUDNESS_TARGET_LUFS) > 3) {
    profile.loudnessTarget = LOUDNESS_TARGET_LUFS;
  }
  return profile;
}
