/**
 * `npm run bench -- ladder [--preset medium] [--seconds 4] [--clips flower,bikes] [--no-vmaf] [--vmaf-subsample 1]`
 *
 * On every clip in ../shared/clips (MARQUEE_CLIPS), encode three H.264 ladders with the same encoder
 * (the npm ffmpeg's libx264), the same preset and the same GOP rules (2 s closed GOPs, keyframes
 * forced at the same times, no scene-cut keyframes — what ABR packaging needs):
 *
 * - Marquee: the ladder `chooseRecipe` picks from the clip's analysed profile (one fixed premium
 *   value for every clip; nothing is tuned per clip). Capped CRF as the recipe renders it, with its
 *   content tune and psycho-visual flags (`x264PerceptualArgs`); the baselines use x264's defaults.
 * - Apple: the HLS Authoring Specification's H.264 ladder (416x234@145k … 1920x1080@7800k), encoded as
 *   Apple describes it: average bitrates with x264 two-pass VBR, peaks capped at 200% of the average.
 * - AWS VOD: the Video on Demand on AWS solution's default QVBR ladder (README table, 270p–1080p with
 *   max bitrates and QVBR levels 7/8), emulated as capped CRF: crf = 37 − 2·level, maxrate = MaxBitrate,
 *   bufsize = 2·MaxBitrate (the presets' HrdBufferSize).
 *
 * Rungs are fitted to the source's aspect ratio inside each rung's box; rungs whose fitted size
 * exceeds the source are dropped for every baseline alike (Marquee never produces one). When that
 * leaves a baseline fewer than 3 rungs (sources smaller than 234p/270p), the lowest dropped rungs are
 * encoded at the source size with their bitrates instead, so a curve exists to compare against.
 *
 * Quality: VMAF (MARQUEE_VMAF_MODEL, default ../shared/vmaf/vmaf_v0.6.1.pkl) and luma PSNR, each
 * rendition upscaled (bicubic) to the source size. Rate: the sum of the video packets' sizes.
 * BD-rate: VCEG-M33 cubic fit in log-rate on each ladder's convex hull (lib/core/qc/bdrate.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { bdRate, type RatePoint } from '../../lib/core/qc/bdrate';
import { chooseRecipe, measuresHull } from '../../lib/core/recipes';
import type { MeasuredHull } from '../../lib/core/recipes/hull';
import { probeHull } from '../../lib/media/hull-probe';
import { crfForQvbrLevel } from '../../lib/core/recipes/codecs';
import { renderFfmpegArgs, x264PerceptualArgs } from '../../lib/core/recipes/ffmpeg';
import type { ContentProfile, Rendition, SourceInfo, ValueScore } from '../../lib/core/types';
import { leversFor } from '../../lib/core/value';
import { ffmpegPath, ffprobePath } from '../../lib/media/binaries';
import { FfprobeProber } from '../../lib/media/probe';
import { run } from '../../lib/media/process';
import { FfmpegQualityMeter } from '../../lib/media/quality';
import { fallbackProfile } from './_profile';
import { printTable, SHARED_DIR, writeResult } from './report';

/** Apple HLS Authoring Specification for Apple Devices, H.264 ladder (16:9 boxes, average kbit/s). */
export const APPLE_LADDER = [
  { w: 416, h: 234, kbps: 145 },
  { w: 640, h: 360, kbps: 365 },
  { w: 768, h: 432, kbps: 730 },
  { w: 768, h: 432, kbps: 1100 },
  { w: 960, h: 540, kbps: 2000 },
  { w: 1280, h: 720, kbps: 3000 },
  { w: 1280, h: 720, kbps: 4500 },
  { w: 1920, h: 1080, kbps: 6000 },
  { w: 1920, h: 1080, kbps: 7800 },
];

/** Video on Demand on AWS, QVBR mode (README "QVBR Mode" table), 270p–1080p H.264 rungs. */
export const VOD_QVBR_LADDER = [
  { w: 480, h: 270, maxKbps: 400, level: 7 },
  { w: 640, h: 360, maxKbps: 600, level: 7 },
  { w: 640, h: 360, maxKbps: 1200, level: 7 },
  { w: 960, h: 540, maxKbps: 3500, level: 7 },
  { w: 960, h: 540, maxKbps: 6500, level: 7 },
  { w: 1280, h: 720, maxKbps: 3500, level: 7 },
  { w: 1280, h: 720, maxKbps: 5000, level: 8 },
  { w: 1280, h: 720, maxKbps: 6500, level: 8 },
  { w: 1920, h: 1080, maxKbps: 8500, level: 8 },
];

/** One fixed value for every clip: a premium title (QVBR level 8, full rung set). */
const BENCH_VALUE: ValueScore = { score: 70, tier: 'premium', components: {}, levers: leversFor('premium', 70), policyVersion: 'bench' };

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** Fit a rung's box to the source aspect ratio (the picture fills the box's width or height). */
export function fitBox(box: { w: number; h: number }, src: { width: number; height: number }): { width: number; height: number } {
  const aspect = src.width / src.height;
  return aspect >= box.w / box.h ? { width: even(box.w), height: even(box.w / aspect) } : { width: even(box.h * aspect), height: even(box.h) };
}

/** Keep rungs that fit in the source; when fewer than 3 do, encode the lowest dropped ones at the source size. */
export function dropAboveSource<T extends { w: number; h: number }>(rungs: readonly T[], src: { width: number; height: number }): (T & { width: number; height: number; clamped: boolean })[] {
  const fitted = rungs.map((r) => ({ ...r, ...fitBox(r, src), clamped: false }));
  const kept = fitted.filter((r) => r.width <= src.width && r.height <= src.height);
  const dropped = fitted.filter((r) => !(r.width <= src.width && r.height <= src.height));
  while (kept.length < 3 && dropped.length > 0) kept.push({ ...dropped.shift()!, width: src.width - (src.width % 2), height: src.height - (src.height % 2), clamped: true });
  return kept;
}

/** `argv` with the first occurrence of the contiguous run `drop` removed. */
function withoutArgs(argv: string[], drop: readonly string[]): string[] {
  if (drop.length === 0) return argv;
  const i = argv.findIndex((_, k) => drop.every((d, j) => argv[k + j] === d));
  return i < 0 ? argv : [...argv.slice(0, i), ...argv.slice(i + drop.length)];
}

interface Clip {
  file: string;
  path: string;
  fps?: number;
  content?: string;
}

function listClips(dir: string, filter: string[] | undefined): Clip[] {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = existsSync(manifestPath) ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as { file: string; r_frame_rate?: string; content?: string }[]) : [];
  const byFile = new Map(manifest.map((m) => [m.file, m]));
  return readdirSync(dir)
    .filter((f) => /\.(mp4|mov|mkv|webm|h264|264|h265|hevc|y4m)$/i.test(f))
    .filter((f) => !filter || filter.some((s) => f.includes(s)))
    .sort()
    .map((file) => {
      const m = byFile.get(file);
      const [num, den] = (m?.r_frame_rate ?? '').split('/').map(Number);
      const fps = num && den ? num / den : undefined;
      return { file, path: join(dir, file), ...(fps ? { fps } : {}), ...(m?.content ? { content: m.content } : {}) };
    });
}

/** Use the analysis engineer's ContentAnalyzer when it is committed; else the labelled fallback. */
async function analyzerFor(): Promise<{ name: string; analyze: (path: string, source: SourceInfo, fps?: number) => Promise<ContentProfile> }> {
  let tracked: boolean;
  try {
    execFileSync('git', ['ls-files', '--error-unmatch', 'lib/media/analyze.ts'], { cwd: join(import.meta.dirname, '../..'), stdio: 'ignore' });
    tracked = true;
  } catch {
    tracked = false;
  }
  if (tracked) {
    const mod = (await import('../../lib/media/analyze')) as { FfmpegContentAnalyzer: new (o?: object) => { analyze(uri: string): Promise<ContentProfile> } };
    return {
      name: 'lib/media/analyze.ts FfmpegContentAnalyzer',
      analyze: async (path, _source, fps) => {
        const analyzer = new mod.FfmpegContentAnalyzer({ prober: new FfprobeProber(fps ? { rawFps: fps } : {}) });
        return analyzer.analyze(path);
      },
    };
  }
  return { name: 'bench fallback (test/bench/_profile.ts: probe encode + sobel/tblend stats)', analyze: (path, source) => fallbackProfile(path, source) };
}

interface Measured {
  ladder: string;
  rung: string;
  width: number;
  height: number;
  kbps: number;
  vmaf?: number;
  psnr: number;
}

async function videoBytes(path: string): Promise<number> {
  const { stdout } = await run(ffprobePath(), ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=size', '-of', 'csv=p=0', path], { timeoutMs: 60_000 });
  return stdout.split('\n').reduce((a, l) => a + (Number(l.trim()) || 0), 0);
}

function summarize(perClip: Record<string, unknown>[], meta: Record<string, unknown>): Record<string, unknown> {
  const avg = (key: string) => {
    const xs = perClip.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
  };
  const worst = (key: string) => {
    const xs = perClip.map((r) => r[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return xs.length ? Math.max(...xs) : null;
  };
  const r2 = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
  return {
    bdRateVmafVsApple: r2(avg('bdVmafApple')),
    bdRatePsnrVsApple: r2(avg('bdPsnrApple')),
    bdRateVmafVsVodDefault: r2(avg('bdVmafVod')),
    bdRatePsnrVsVodDefault: r2(avg('bdPsnrVod')),
    worstClipBdRateVmafVsApple: r2(worst('bdVmafApple')),
    clips: perClip.length,
    clipsWithBdRateVsApple: perClip.filter((r) => typeof r.bdVmafApple === 'number').length,
    clipsWithBdRateVsVodDefault: perClip.filter((r) => typeof r.bdVmafVod === 'number').length,
    hullProbeSec: r2(perClip.reduce((a, r) => a + ((r.probeSec as number) ?? 0), 0)),
    marqueeLadderEncodeSec: r2(perClip.reduce((a, r) => a + ((r.ladderEncodeSec as number) ?? 0), 0)),
    hullProbeShareOfLadderEncode: (() => {
      const p = perClip.reduce((a, r) => a + ((r.probeSec as number) ?? 0), 0);
      const e = perClip.reduce((a, r) => a + ((r.ladderEncodeSec as number) ?? 0), 0);
      return e > 0 ? r2(p / e) : null;
    })(),
    totalMbitsMarquee: r2(perClip.reduce((a, r) => a + (r.mbitsMarquee as number), 0)),
    totalMbitsApple: r2(perClip.reduce((a, r) => a + (r.mbitsApple as number), 0)),
    totalMbitsVodDefault: r2(perClip.reduce((a, r) => a + (r.mbitsVod as number), 0)),
    ...meta,
  };
}

export default async function ladderBench(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const preset = opt('preset') ?? 'medium';
  const seconds = Number(opt('seconds') ?? 4);
  const subsample = Number(opt('vmaf-subsample') ?? 1);
  const filter = opt('clips')?.split(',');
  const clipsDir = process.env.MARQUEE_CLIPS ?? join(SHARED_DIR, 'clips');
  const vmafModel = process.env.MARQUEE_VMAF_MODEL ?? join(SHARED_DIR, 'vmaf/vmaf_v0.6.1.pkl');
  const useVmaf = !args.includes('--no-vmaf') && existsSync(vmafModel);
  if (!existsSync(clipsDir)) throw new Error(`no clips folder at ${clipsDir} (set MARQUEE_CLIPS)`);
  const meter = new FfmpegQualityMeter(useVmaf ? { vmafModelPath: vmafModel, vmafSubsample: subsample } : { disableVmaf: true });
  const analyzer = await analyzerFor();
  const work = mkdtempSync(join(tmpdir(), 'marquee-bench-ladder-'));
  const started = performance.now();
  console.log(`ladder bench: preset ${preset}, first ${seconds}s of each clip, VMAF ${useVmaf ? vmafModel : 'off'}, profile from ${analyzer.name}`);

  const perClip: Record<string, unknown>[] = [];
  const allPoints: Measured[] = [];
  const bdRows: Record<string, string | number>[] = [];
  try {
    for (const clip of listClips(clipsDir, filter)) {
      const clipStart = performance.now();
      const source = await new FfprobeProber(clip.fps ? { rawFps: clip.fps } : {}).probe(clip.path);
      if (clip.fps) source.fps = clip.fps;
      const profile = await analyzer.analyze(clip.path, source, clip.fps);
      const src = { width: profile.source.width, height: profile.source.height };
      const dur = Math.min(seconds, source.durationSec || seconds);
      const raw = /\.(h264|264|h265|hevc)$/i.test(clip.file);
      const inputArgs = raw ? ['-r', String(source.fps)] : [];
      // The same path the runtime takes for the tier: premium titles are measured with a hull probe.
      let measuredHull: MeasuredHull | undefined;
      if (measuresHull(BENCH_VALUE.tier) && !args.includes('--predicted')) {
        measuredHull = await probeHull(clip.path, profile, {
          durationSec: dur,
          targetPreset: preset,
          ...(useVmaf ? { vmafModelPath: vmafModel } : { disableVmaf: true }),
          onTrial: (p) => console.log(`  ${clip.file} trial ${p.width}x${p.height} crf${p.crf} ${p.preset}: ${p.kbps.toFixed(1)} kbit/s, VMAF ${p.vmaf?.toFixed(2) ?? 'n/a'}, PSNR ${p.psnr.toFixed(2)}`),
        });
      }
      const recipe = chooseRecipe({ jobId: basename(clip.file), profile, value: BENCH_VALUE, formats: ['abr'], preset, ...(measuredHull ? { measuredHull } : {}) });
      let marqueeEncodeSec = 0;
      const marquee = recipe.ladder.filter((r) => r.codec === 'h264');
      const base = marquee[marquee.length - 1]!;
      const asRendition = (id: string, width: number, height: number, crf: number, maxKbps: number): Rendition => {
        const { tune: _t, ...rest } = base;
        return { ...rest, id, width, height, crf, maxBitrateKbps: maxKbps, bufferKbits: 2 * maxKbps, profile: 'high', preset, mandatory: false };
      };

      const measured: Measured[] = [];
      const encodeAndMeasure = async (ladder: string, rung: string, r: Rendition, twoPassKbps?: number) => {
        const out = join(work, `${basename(clip.file)}-${ladder}-${rung}.mp4`);
        let argv = renderFfmpegArgs({ source: clip.path, rendition: r, audio: null, output: { kind: 'mp4', path: out }, inputArgs, durationSec: dur, threads: 2 });
        // Baselines keep x264's default psycho-visual settings (as they have no tune): Marquee's
        // per-content psy/AQ choice is part of its recipe, not of the baselines' ladders.
        if (ladder !== 'marquee') argv = withoutArgs(argv, x264PerceptualArgs(undefined));
        if (twoPassKbps) {
          // Apple: average bitrate, two-pass VBR; the renderer's capped-CRF flags become -b:v.
          const i = argv.indexOf('-crf');
          argv = [...argv.slice(0, i), '-b:v', `${twoPassKbps}k`, ...argv.slice(i + 2)];
          const log = join(work, `${basename(clip.file)}-${rung}-2pass`);
          // argv ends with: -movflags +faststart -f mp4 <out>
          await run(ffmpegPath(), [...argv.slice(0, -5), '-pass', '1', '-passlogfile', log, '-f', 'mp4', '/dev/null'], { timeoutMs: 20 * 60_000 });
          argv = [...argv.slice(0, -5), '-pass', '2', '-passlogfile', log, ...argv.slice(-5)];
        }
        const t0 = performance.now();
        await run(ffmpegPath(), argv, { timeoutMs: 20 * 60_000 });
        if (ladder === 'marquee') marqueeEncodeSec += (performance.now() - t0) / 1000;
        const kbps = ((await videoBytes(out)) * 8) / dur / 1000;
        const q = await meter.measure(clip.path, out, { width: src.width, height: src.height, referenceFps: source.fps, durationSec: dur });
        const m: Measured = { ladder, rung, width: r.width, height: r.height, kbps, psnr: q.psnrY, ...(q.vmaf !== undefined ? { vmaf: q.vmaf } : {}) };
        measured.push(m);
        rmSync(out, { force: true });
        console.log(`  ${clip.file} ${ladder} ${rung}: ${kbps.toFixed(1)} kbit/s, VMAF ${m.vmaf?.toFixed(2) ?? 'n/a'}, PSNR ${m.psnr.toFixed(2)}`);
      };

      for (const r of marquee) await encodeAndMeasure('marquee', `${r.height}p-crf${r.crf}`, r);
      for (const r of dropAboveSource(APPLE_LADDER, src)) {
        await encodeAndMeasure('apple', `${r.h}p@${r.kbps}k${r.clamped ? '(src)' : ''}`, asRendition('apple', r.width, r.height, 23, 2 * r.kbps), r.kbps);
      }
      const vodSeen = new Set<string>();
      for (const r of dropAboveSource(VOD_QVBR_LADDER, src)) {
        const crf = crfForQvbrLevel(r.level);
        const key = `${r.width}x${r.height}:${crf}:${r.maxKbps}`;
        if (vodSeen.has(key)) continue;
        vodSeen.add(key);
        await encodeAndMeasure('vod', `${r.h}p@${r.maxKbps}k-q${r.level}${r.clamped ? '(src)' : ''}`, asRendition('vod', r.width, r.height, crf, r.maxKbps));
      }
      allPoints.push(...measured.map((m) => ({ ...m, clip: clip.file }) as Measured));

      const curve = (ladder: string, metric: 'vmaf' | 'psnr'): RatePoint[] =>
        measured.filter((m) => m.ladder === ladder && m[metric] !== undefined).map((m) => ({ rate: m.kbps, quality: m[metric]! }));
      const bd = (anchor: string, metric: 'vmaf' | 'psnr') => bdRate(curve(anchor, metric), curve('marquee', metric))?.percent;
      const totalKbits = (ladder: string) => measured.filter((m) => m.ladder === ladder).reduce((a, m) => a + m.kbps * dur, 0);
      const row = {
        clip: clip.file,
        class: profile.contentClass,
        bpp: Number(profile.complexity.probeBitsPerPixel.toFixed(3)),
        rungs: `${marquee.length}/${measured.filter((m) => m.ladder === 'apple').length}/${measured.filter((m) => m.ladder === 'vod').length}`,
        bdVmafApple: bd('apple', 'vmaf'),
        bdPsnrApple: bd('apple', 'psnr'),
        bdVmafVod: bd('vod', 'vmaf'),
        bdPsnrVod: bd('vod', 'psnr'),
        mbitsMarquee: totalKbits('marquee') / 1000,
        mbitsApple: totalKbits('apple') / 1000,
        mbitsVod: totalKbits('vod') / 1000,
        sec: Math.round((performance.now() - clipStart) / 1000),
        probeSec: measuredHull ? Math.round(measuredHull.costSec) : 0,
        ladderEncodeSec: Math.round(marqueeEncodeSec),
        probeShare: measuredHull ? Number((measuredHull.costSec / Math.max(1e-9, marqueeEncodeSec)).toFixed(2)) : 0,
      };
      perClip.push({ ...row, ...(measuredHull ? { hull: measuredHull } : {}), ladder: marquee.map((r) => `${r.width}x${r.height}@crf${r.crf}`), rationale: recipe.rationale, points: measured });
      // Partial results after every clip, so a long run that is stopped still leaves its figures.
      writeResult('ladder', { ...summarize(perClip, { preset, secondsPerClip: seconds, vmafSubsample: subsample, vmaf: useVmaf, profileSource: analyzer.name }), partial: true }, { clips: perClip });
      bdRows.push(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === undefined ? 'n/a' : typeof v === 'number' ? Number(v.toFixed(2)) : v])));
      printTable(
        measured.map((m) => ({ ladder: m.ladder, rung: m.rung, size: `${m.width}x${m.height}`, kbps: Number(m.kbps.toFixed(1)), vmaf: m.vmaf === undefined ? 'n/a' : Number(m.vmaf.toFixed(2)), psnr: Number(m.psnr.toFixed(2)) })),
        `${clip.file} (${profile.contentClass}, ${src.width}x${src.height}, ${row.sec}s)`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const meta = () => ({ preset, secondsPerClip: seconds, vmafSubsample: subsample, vmaf: useVmaf, profileSource: analyzer.name, wallSec: Math.round((performance.now() - started) / 1000) });
  const summary = summarize(perClip, meta());
  printTable(bdRows, 'BD-rate of Marquee (percent, negative = fewer bits for the same quality) and total Mbit per ladder');
  printTable([Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, v === null ? "n/a" : (v as string | number)]))], "summary");
  writeResult('ladder', summary, { clips: perClip, points: allPoints });
}
