// zod/mini: tree-shakable, so the Analyze Lambda bundle carries only these checks.
import * as z from 'zod/mini';
import type { SourceAudio, SourceInfo } from '../types';

/**
 * Normalising ffprobe's JSON (`-show_format -show_streams -of json`) into SourceInfo.
 * Pure: the media adapter runs ffprobe and hands the parsed JSON here, so every branch is unit-testable
 * with hand-written probe output (including hostile values). ffprobe prints numbers as strings in many
 * fields; the schema is deliberately loose and everything is checked after parsing.
 */

const numeric = z.optional(z.union([z.number(), z.string()]));

const ffprobeStreamSchema = z.looseObject({
  index: z.optional(z.number()),
  codec_type: z.optional(z.string()),
  codec_name: z.optional(z.string()),
  width: z.optional(z.number()),
  height: z.optional(z.number()),
  pix_fmt: z.optional(z.string()),
  bits_per_raw_sample: numeric,
  r_frame_rate: z.optional(z.string()),
  avg_frame_rate: z.optional(z.string()),
  duration: numeric,
  bit_rate: numeric,
  nb_frames: numeric,
  nb_read_packets: numeric,
  field_order: z.optional(z.string()),
  color_transfer: z.optional(z.string()),
  color_primaries: z.optional(z.string()),
  color_range: z.optional(z.string()),
  channels: z.optional(z.number()),
  channel_layout: z.optional(z.string()),
  sample_rate: numeric,
  tags: z.optional(z.record(z.string(), z.unknown())),
  side_data_list: z.optional(z.array(z.record(z.string(), z.unknown()))),
  disposition: z.optional(z.record(z.string(), z.unknown())),
});

export const ffprobeOutputSchema = z.looseObject({
  streams: z._default(z.array(ffprobeStreamSchema), []),
  format: z.optional(
    z.looseObject({
      format_name: z.optional(z.string()),
      duration: numeric,
      size: numeric,
      bit_rate: numeric,
      nb_streams: z.optional(z.number()),
    }),
  ),
});

export type FfprobeOutput = z.infer<typeof ffprobeOutputSchema>;
export type FfprobeStream = z.infer<typeof ffprobeStreamSchema>;

/** Raw elementary streams have no container timing: ffmpeg needs `-r` before `-i`. */
export const RAW_ELEMENTARY_FORMATS = ['h264', 'hevc', 'mpegvideo', 'm4v', 'av1', 'obu', 'ivf'] as const;

/**
 * Video codecs the encoders accept as sources (what the npm ffmpeg 4.1 decodes and MediaConvert takes).
 * Anything else is REJECTED with the codec's name, rather than failing mid-encode.
 */
export const SUPPORTED_VIDEO_CODECS = new Set([
  'h264',
  'hevc',
  'mpeg2video',
  'mpeg1video',
  'mpeg4',
  'vp8',
  'vp9',
  'av1',
  'prores',
  'dnxhd',
  'mjpeg',
  'rawvideo',
  'h263',
  'theora',
  'wmv3',
  'vc1',
  'dvvideo',
  'ffv1',
  'png',
  'qtrle',
  'huffyuv',
  'utvideo',
  'cfhd',
  'msmpeg4v3',
  'flv1',
]);

/** A rational like `30000/1001` or `25/1`; 0 when undefined or `0/0`. */
export function parseRational(r: string | undefined): number {
  if (!r) return 0;
  const [n, d] = r.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return 0;
  if (d === undefined) return n;
  return d > 0 && Number.isFinite(d) ? n / d : 0;
}

const num = (v: string | number | undefined): number | undefined => {
  if (v === undefined || v === '' || v === 'N/A') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** Bit depth from a pixel format name (`yuv420p10le` → 10, `gray12le` → 12, `yuv420p` → 8). */
export function bitDepthOf(pixFmt: string | undefined, bitsPerRawSample?: number): number {
  const m = /(?:p|gray|rgb|gbrp|y)(\d{1,2})(?:le|be)?$/.exec(pixFmt ?? '');
  if (m && Number(m[1]) >= 8 && Number(m[1]) <= 16) return Number(m[1]);
  if (bitsPerRawSample && bitsPerRawSample >= 8 && bitsPerRawSample <= 16) return bitsPerRawSample;
  return 8;
}

/** HDR transfer functions: PQ (HDR10, Dolby Vision base) and HLG. */
export const HDR_TRANSFERS = ['smpte2084', 'arib-std-b67'] as const;

/** Rotation in degrees clockwise (0, 90, 180, 270) from the display matrix side data or the legacy `rotate` tag. */
export function rotationOf(stream: FfprobeStream): number {
  const tag = num(stream.tags?.['rotate'] as string | undefined);
  const matrix = stream.side_data_list
    ?.map((s) => num(s['rotation'] as number | string | undefined))
    .find((r) => r !== undefined);
  // The display matrix angle is counter-clockwise (ffprobe prints -90 for a `rotate=90` phone video).
  const deg = tag ?? (matrix !== undefined ? -matrix : 0);
  const norm = (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
  return norm;
}

export interface NormalizeOptions {
  /** Bytes of the file (from the object store or stat); falls back to ffprobe's format.size. */
  sizeBytes?: number;
  /** Frame rate to assume for raw elementary streams whose headers carry no timing. Default 25. */
  rawFps?: number;
}

export type NormalizeResult = { ok: true; source: SourceInfo; raw: boolean } | { ok: false; reason: string };

const isRaw = (formatName: string): boolean =>
  formatName.split(',').some((f) => (RAW_ELEMENTARY_FORMATS as readonly string[]).includes(f));

/**
 * Frame rate: the average rate when it is sane, else the base rate. For a raw H.264/HEVC stream,
 * ffprobe reports the VUI tick rate as r_frame_rate, which is twice the frame rate (field ticks),
 * and a demuxer default (25) as avg_frame_rate; the tick rate halved wins when it is present.
 */
function frameRateOf(v: FfprobeStream, raw: boolean, rawFps: number): number {
  const avg = parseRational(v.avg_frame_rate);
  const base = parseRational(v.r_frame_rate);
  if (raw) {
    if (base > 0 && Math.abs(base - avg) > 1e-6 && base / 2 >= 10 && base / 2 <= 120) return base / 2;
    return avg > 0 ? avg : rawFps;
  }
  // avg is the real rate for VFR phone video; r_frame_rate can be a timebase artefact (e.g. 90000).
  if (avg > 0 && avg <= 1000) return avg;
  return base;
}

/**
 * Turn ffprobe output into SourceInfo, or say why the input is unusable: no streams at all
 * (not a media file), no video stream, a codec nobody here decodes, or a file shorter than its
 * own index says (truncated). Limits on absurd values are `rejectionReason`'s job.
 */
export function sourceInfoFromProbe(json: unknown, opts: NormalizeOptions = {}): NormalizeResult {
  const parsed = ffprobeOutputSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'not a media file: ffprobe output could not be read' };
  const { streams, format } = parsed.data;
  const formatName = format?.format_name ?? 'unknown';
  if (streams.length === 0)
    return {
      ok: false,
      reason: `not a media file: no audio or video streams found (container ${formatName})`,
    };
  const video = streams.find((s) => s.codec_type === 'video' && s.disposition?.['attached_pic'] !== 1);
  if (!video) {
    const kinds = [...new Set(streams.map((s) => s.codec_type ?? 'unknown'))].join(', ');
    return { ok: false, reason: `no video stream: the file only has ${kinds}; upload a video file` };
  }
  const codec = video.codec_name ?? 'unknown';
  if (!SUPPORTED_VIDEO_CODECS.has(codec))
    return {
      ok: false,
      reason: `unsupported video codec "${codec.slice(0, 40)}": re-export the video as H.264, HEVC, ProRes, VP9 or AV1`,
    };
  const raw = isRaw(formatName);
  const rawFps = opts.rawFps ?? 25;
  const fps = frameRateOf(video, raw, rawFps);
  const packets = num(video.nb_read_packets) ?? num(video.nb_frames);
  let durationSec = num(format?.duration) ?? num(video.duration) ?? 0;
  if (raw && packets !== undefined && fps > 0) durationSec = packets / fps;
  const sizeBytes = opts.sizeBytes ?? num(format?.size) ?? 0;
  const rotation = rotationOf(video);
  const codedW = video.width ?? 0;
  const codedH = video.height ?? 0;
  const [width, height] = rotation === 90 || rotation === 270 ? [codedH, codedW] : [codedW, codedH];
  const bitrateKbps = (num(format?.bit_rate) ?? (durationSec > 0 ? (sizeBytes * 8) / durationSec : 0)) / 1000;

  // A truncated MP4 keeps its index (moov at the start) but loses media: the streams' declared bit
  // rates over the duration then add up to more bytes than the file holds.
  if (!raw && durationSec > 0 && sizeBytes > 0) {
    const declaredBits = streams.reduce(
      (sum, s) => sum + (num(s.bit_rate) ?? 0) * (num(s.duration) ?? durationSec),
      0,
    );
    if (declaredBits / 8 > sizeBytes * 1.05)
      return {
        ok: false,
        reason: `file is truncated: its index describes ${Math.round(declaredBits / 8)} bytes of media but the file has ${sizeBytes}; upload it again`,
      };
  }

  const a = streams.find((s) => s.codec_type === 'audio');
  const audio: SourceAudio | null = a
    ? {
        codec: a.codec_name ?? 'unknown',
        channels: a.channels ?? 0,
        sampleRate: num(a.sample_rate) ?? 0,
        ...(a.channel_layout ? { channelLayout: a.channel_layout } : {}),
      }
    : null;
  const transfer = video.color_transfer;
  const source: SourceInfo = {
    container: formatName,
    sizeBytes,
    durationSec,
    width,
    height,
    rotation,
    fps,
    videoCodec: codec,
    pixelFormat: video.pix_fmt ?? 'unknown',
    bitDepth: bitDepthOf(video.pix_fmt, num(video.bits_per_raw_sample)),
    hdr: transfer !== undefined && (HDR_TRANSFERS as readonly string[]).includes(transfer),
    interlaced: ['tt', 'bb', 'tb', 'bt'].includes(video.field_order ?? ''),
    bitrateKbps: Math.round(bitrateKbps),
    audio,
  };
  if (transfer && transfer !== 'unknown') source.colorTransfer = transfer;
  if (video.color_primaries && video.color_primaries !== 'unknown')
    source.colorPrimaries = video.color_primaries;
  if (video.color_range && video.color_range !== 'unknown') source.colorRange = video.color_range;
  if (packets !== undefined) source.frameCount = packets;
  return { ok: true, source, raw };
}
