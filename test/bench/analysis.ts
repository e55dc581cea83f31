/**
 * `npm run bench -- analysis [--clips DIR] [--no-synth] [--metadata JSON] [--long SEC]`
 *
 * For each clip in ../shared/clips (or MARQUEE_CLIPS / --clips) and for generated samples of each
 * synthetic kind: the analysis features, the content class, the analysis wall time, the wall time
 * of really encoding the default recipe the way the local runtime does (planJob for a standard-tier
 * upload — regular creator, 10k expected views, or `--metadata` — then each rendition of the active
 * ladder through LocalFfmpegEncoder with the runtime's threads per worker, one after another as a
 * worker slot would), and the ratio. Summary: `maxAnalysisToEncodeRatio`, the largest ratio among
 * clips of 5 s or more (target ≤ 0.05), and the load average (the machine is shared: timings move with it).
 * Beside it, two floors per clip as ratios to the same encode (`floor_spawn`, `floor_decode`; summary
 * `maxSpawnFloorRatio`, `maxDecodeFloorRatio`): what any analysis costs at least — see `floors()`.
 * The generated samples are 960×540, 6 s, as before; `--long SEC` adds each kind again at 1280×720
 * and SEC seconds (uploads are minutes long), which the summary's maximum includes.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newJob } from '../../lib/core/job';
import { planJob } from '../../lib/core/plan';
import { activeLadder } from '../../lib/core/recipes';
import { parseBusinessMetadata } from '../../lib/core/value/metadata';
import type { BusinessMetadata, ContentProfile } from '../../lib/core/types';
import { FfmpegContentAnalyzer } from '../../lib/media/analyze';
import { LocalFfmpegEncoder } from '../../lib/media/encode';
import { poolSize } from '../../lib/local/config';
import { SYNTH_KINDS, synthesizeClip } from '../../lib/media/synth';
import { ffmpegPath } from '../../lib/media/binaries';
import { FfprobeProber, inputArgs } from '../../lib/media/probe';
import { run } from '../../lib/media/process';
import { SHARED_DIR, printTable, writeResult } from './report';

/** The upload the "default recipe" is planned for: a standard-tier title (regular creator, 10k expected views). */
const DEFAULT_UPLOAD = { creatorTier: 'regular', expectedViews: 10_000 };

const VIDEO_EXT = /\.(mp4|mov|mkv|webm|m4v|h264|264|h265|hevc|y4m|ts)$/i;

/** The expected class of each shared clip, from its manifest's description (for the "wrong" column). */
const EXPECTED: Record<string, string> = {
  bigbuckbunny: 'animation',
  bikes: 'high-motion',
  carphone: 'talking-head',
  foreman: 'talking-head|high-motion',
  flower: 'general|high-motion',
  mobile: 'high-motion|general',
  screen: 'screen',
  static: 'static',
  slides: 'static|screen',
  animation: 'animation',
  talking: 'talking-head',
  noisy: 'film-grain',
  motion: 'high-motion',
};

/**
 * Encode a clip exactly as the local runtime would after analysing it: planJob (value → recipe →
 * prediction → allocation) on a standard-tier upload, then every rendition of the active ladder
 * through LocalFfmpegEncoder (the runtime's encoder: same args, same threads per worker as `npm start`
 * on this machine, HLS remux when the recipe packages HLS), one after another as one worker slot runs them.
 */
async function encodeAsRuntime(uri: string, profile: ContentProfile, outDir: string, metadata: BusinessMetadata): Promise<{ wallSec: number; cpuSec: number; rungs: string }> {
  const now = Date.now();
  const job = planJob(newJob({ id: `bench-${now}`, source: { uri }, metadata, now }), profile, { now, backend: 'local' });
  if (job.status !== 'ANALYZED' || !job.recipe) throw new Error(`planJob did not accept the clip: ${job.history.at(-1)?.reason ?? job.status}`);
  const encoder = new LocalFfmpegEncoder({ threads: poolSize(availableParallelism()).threadsPerWorker });
  let wallMs = 0;
  let cpuSec = 0;
  const ladder = activeLadder(job.recipe);
  for (const rendition of ladder) {
    const started = performance.now();
    const result = await encoder.encode({ job, recipe: job.recipe, rendition, outputPrefix: outDir });
    wallMs += performance.now() - started;
    cpuSec += result.cpuSec ?? 0;
  }
  return { wallSec: wallMs / 1000, cpuSec, rungs: `${job.value?.tier}:${ladder.map((r) => `${r.height}${r.codec === 'h264' ? '' : r.codec}/${r.preset}`).join(',')}` };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * What no analysis of this clip can go below, wall seconds (median of 3): `spawn` — the probe (one
 * ffprobe) and one ffmpeg that opens the file and decodes a single frame (process start, demuxer and
 * decoder set-up); `decode` — the probe and one ffmpeg that decodes the video stream of the whole
 * title to nothing, which the analysis of a short title with one keyframe cannot avoid (its windows
 * are spread over the title and its overview scans all of it).
 */
async function floors(path: string, source: ContentProfile['source']): Promise<{ spawnSec: number; decodeSec: number }> {
  const prober = new FfprobeProber();
  const time = async (f: () => Promise<unknown>) => {
    const s = performance.now();
    await f();
    return (performance.now() - s) / 1000;
  };
  const spawn: number[] = [];
  const decode: number[] = [];
  for (let i = 0; i < 3; i++) {
    const probe = await time(() => prober.probe(path));
    spawn.push(probe + (await time(() => run(ffmpegPath(), ['-nostdin', '-v', 'error', ...inputArgs(path, source), '-frames:v', '1', '-an', '-f', 'null', '-']))));
    decode.push(probe + (await time(() => run(ffmpegPath(), ['-nostdin', '-v', 'error', ...inputArgs(path, source), '-an', '-f', 'null', '-']))));
  }
  return { spawnSec: median(spawn), decodeSec: median(decode) };
}

export default async function bench(args: string[]): Promise<void> {
  const clipsArg = args.indexOf('--clips');
  const clipsDir = resolve(clipsArg >= 0 && args[clipsArg + 1] ? args[clipsArg + 1]! : (process.env.MARQUEE_CLIPS ?? join(SHARED_DIR, 'clips')));
  const work = mkdtempSync(join(tmpdir(), 'marquee-bench-analysis-'));
  const inputs: { name: string; path: string; origin: 'shared' | 'synthetic' }[] = [];
  if (existsSync(clipsDir)) {
    for (const f of readdirSync(clipsDir).sort()) if (VIDEO_EXT.test(f)) inputs.push({ name: f, path: join(clipsDir, f), origin: 'shared' });
  } else {
    console.log(`no clip folder at ${clipsDir}: synthetic samples only`);
  }
  const longArg = args.indexOf('--long');
  const longSec = longArg >= 0 ? Number(args[longArg + 1]) : 0;
  if (longArg >= 0 && !(longSec >= 5 && longSec <= 3600)) throw new Error('--long: seconds between 5 and 3600');
  if (!args.includes('--no-synth')) {
    const audioOf = (kind: string) => (kind === 'talking' ? 'speech' : kind === 'static' ? 'none' : 'music');
    for (const kind of SYNTH_KINDS) {
      const path = join(work, `synth-${kind}.mp4`);
      await synthesizeClip(kind, path, { width: 960, height: 540, durationSec: 6, audio: audioOf(kind) });
      inputs.push({ name: `synth-${kind}`, path, origin: 'synthetic' });
    }
    // Uploads are minutes long, not 6 s: the same kinds at 720p and `--long` seconds show the ratio at a realistic length.
    for (const kind of longSec ? SYNTH_KINDS : []) {
      const path = join(work, `synth-${kind}-${longSec}s.mp4`);
      console.log(`generating synth-${kind}-${longSec}s (1280x720)…`);
      await synthesizeClip(kind, path, { width: 1280, height: 720, durationSec: longSec, audio: audioOf(kind), timeoutMs: 30 * 60_000 });
      inputs.push({ name: `synth-${kind}-${longSec}s`, path, origin: 'synthetic' });
    }
  }
  const metaArg = args.indexOf('--metadata');
  const parsed = parseBusinessMetadata(metaArg >= 0 && args[metaArg + 1] ? JSON.parse(args[metaArg + 1]!) : DEFAULT_UPLOAD);
  if (!parsed.ok) throw new Error(`--metadata: ${parsed.reason}`);
  const metadata = parsed.metadata;
  const analyzer = new FfmpegContentAnalyzer();
  const loadBefore = loadavg()[0]!;
  const rows: Record<string, string | number>[] = [];
  const detail: Record<string, unknown>[] = [];
  for (const input of inputs) {
    let profile: ContentProfile;
    try {
      profile = await analyzer.analyze(input.path);
    } catch (err) {
      rows.push({ clip: input.name, class: `REJECTED: ${(err as Error).message.slice(0, 60)}` });
      continue;
    }
    const outDir = mkdtempSync(join(work, 'enc-'));
    const enc = await encodeAsRuntime(input.path, profile, outDir, metadata);
    rmSync(outDir, { recursive: true, force: true });
    const floor = await floors(input.path, profile.source);
    const c = profile.complexity;
    const key = Object.keys(EXPECTED).find((k) => input.name.replace(/^synth-/, '').startsWith(k));
    const expected = key ? EXPECTED[key]! : '?';
    const ratio = profile.analysisWallMs / 1000 / enc.wallSec;
    const cpuRatio = profile.analysisCpuMs !== undefined && enc.cpuSec > 0 ? profile.analysisCpuMs / 1000 / enc.cpuSec : null;
    rows.push({
      clip: input.name.slice(0, 34),
      dur: Number(profile.source.durationSec.toFixed(1)),
      size: `${profile.source.width}x${profile.source.height}`,
      SI: Math.round(c.spatialInfo),
      TI: Math.round(c.temporalInfo),
      TImean: Number((c.temporalInfoMean ?? 0).toFixed(1)),
      ovTI: Number((c.overviewTemporalInfo ?? 0).toFixed(1)),
      still: Number((c.stillPairShare ?? 0).toFixed(2)),
      ctr: Number((c.centreMotionConcentration ?? 0).toFixed(2)),
      cuts_min: Math.round(c.sceneCutsPerMinute),
      flat: Number((c.flatShare ?? 0).toFixed(2)),
      bg: Number((c.dominantLevelShare ?? 0).toFixed(2)),
      sat: Number((c.saturation ?? 0).toFixed(1)),
      noise: Number((c.noiseSigma ?? 0).toFixed(1)),
      bpp: Number(c.probeBitsPerPixel.toFixed(3)),
      probe_fps: Math.round(c.probeFps),
      share: Number(c.sampledShare.toFixed(2)),
      scan: Number((c.cutScanShare ?? 0).toFixed(2)),
      audio: profile.audio.kind,
      lufs: profile.audio.loudnessLufs ?? '-',
      class: profile.contentClass,
      ok: expected.split('|').includes(profile.contentClass) ? 'yes' : `NO (${expected})`,
      diff: Number(profile.difficulty.toFixed(2)),
      analysis_s: Number((profile.analysisWallMs / 1000).toFixed(2)),
      encode_s: Number(enc.wallSec.toFixed(2)),
      ratio: Number(ratio.toFixed(3)),
      cpu_ratio: cpuRatio === null ? '-' : Number(cpuRatio.toFixed(3)),
      floor_spawn: Number((floor.spawnSec / enc.wallSec).toFixed(3)),
      floor_decode: Number((floor.decodeSec / enc.wallSec).toFixed(3)),
    });
    detail.push({
      clip: input.name,
      origin: input.origin,
      profile,
      encodeWallSec: enc.wallSec,
      encodeCpuSec: enc.cpuSec,
      recipe: enc.rungs,
      ratio,
      cpuRatio,
      expectedClass: expected,
      floorSpawnSec: floor.spawnSec,
      floorDecodeSec: floor.decodeSec,
      floorSpawnRatio: floor.spawnSec / enc.wallSec,
      floorDecodeRatio: floor.decodeSec / enc.wallSec,
    });
  }
  rmSync(work, { recursive: true, force: true });
  const loadAfter = loadavg()[0]!;
  printTable(rows, `Content analysis vs default-recipe encode (${inputs.length} clips; clips from ${clipsDir})`);
  const long = detail.filter((d) => (d.profile as ContentProfile).source.durationSec >= 5);
  const maxRatio = long.length ? Math.max(...long.map((d) => d.ratio as number)) : null;
  const cpuRatios = long.map((d) => d.cpuRatio as number | null).filter((r): r is number => r !== null);
  const maxCpuRatio = cpuRatios.length ? Math.max(...cpuRatios) : null;
  const realLong = long.filter((d) => d.origin === 'shared');
  const maxRealRatio = realLong.length ? Math.max(...realLong.map((d) => d.ratio as number)) : null;
  const wrong = rows.filter((r) => typeof r.ok === 'string' && r.ok.startsWith('NO')).map((r) => `${r.clip}: ${r.class} (expected ${String(r.ok).slice(4, -1)})`);
  console.log(`\nmaxAnalysisToEncodeRatio (clips ≥ 5 s): ${maxRatio?.toFixed(4) ?? 'n/a'}  (target ≤ 0.05)`);
  console.log(`  by CPU time (analysis ffmpeg + analyzer process vs encode ffmpeg): ${maxCpuRatio?.toFixed(4) ?? 'n/a'}; shared clips only (wall): ${maxRealRatio?.toFixed(4) ?? 'n/a'}`);
  const maxOf = (key: string) => (long.length ? Math.max(...long.map((d) => d[key] as number)) : null);
  const floorSpawn = maxOf('floorSpawnRatio');
  const floorDecode = maxOf('floorDecodeRatio');
  console.log(
    `  floors (clips ≥ 5 s, largest ratio to the encode): probe + ffmpeg start ${floorSpawn?.toFixed(4) ?? 'n/a'}; probe + decoding the whole title ${floorDecode?.toFixed(4) ?? 'n/a'}` +
      ' — an analysis of a short title with one keyframe cannot go below the second',
  );
  console.log(`load average (1 min) at start ${loadBefore.toFixed(1)}, at end ${loadAfter.toFixed(1)} on ${availableParallelism()} cores`);
  console.log(`classes not as expected: ${wrong.length ? wrong.join('; ') : 'none'}`);
  writeResult(
    'analysis',
    {
      maxAnalysisToEncodeRatio: maxRatio,
      clipsAtLeast5s: long.length,
      maxAnalysisToEncodeCpuRatio: maxCpuRatio,
      maxAnalysisToEncodeRatioSharedClips: maxRealRatio,
      maxSpawnFloorRatio: floorSpawn,
      maxDecodeFloorRatio: floorDecode,
      clips: detail.length,
      medianRatioAtLeast5s: long.length ? long.map((d) => d.ratio as number).sort((a, b) => a - b)[Math.floor(long.length / 2)] : null,
      classesNotAsExpected: wrong,
      loadAverageAtStart: Number(loadBefore.toFixed(2)),
      loadAverageAtEnd: Number(loadAfter.toFixed(2)),
    },
    { clipsDir, rows, detail },
  );
}
