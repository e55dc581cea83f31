/**
 * `npm run bench -- pipeline --measure [--frames 300] [--chunks 5] [--clip flower_720p_300f.h264]`
 *
 * Re-measures, with the real (npm) ffmpeg on this machine, the constants the pipeline model uses
 * (`MEASURED_PIPELINE_COSTS` in lib/core/pipeline/measured.ts) and prints them in that file's shape:
 *
 * - the source: a shared clip scaled to 1920×1080 H.264 (CRF 18, 2 s GOP) — an upload stand-in;
 * - every rung of the 720p and 1080p `general` ladders (360p … 1080p, the recipe engine's own
 *   x264 arguments), encoded from it one process per rung: CPU seconds (`-benchmark`, 1 thread,
 *   so the figures are CPU work and little disturbed by other load on the machine);
 * - the same rungs decoded and scaled only (`-f null`): the decode share of each rung's encode;
 * - the cheap rungs (≤ 540p) and the whole ladder in one process with a `split` filter (one
 *   decode): the share of the smaller rungs' cost that grouping saves;
 * - the 1080p rung in N closed-GOP chunks (`chunkArgs`: accurate seek, forced keyframes) vs whole:
 *   the extra CPU per chunk (seek, encoder start, lookahead refill);
 * - an empty ffmpeg run (open, first frame) for the process start, and HLS packaging by stream
 *   copy and PSNR+SSIM QC of every rung against the source (the local runtime's QC), per
 *   rendition-second (mean over the ladder).
 *
 * CPU seconds become the model's reference slot-seconds through the 1080p rung: its measured CPU
 * seconds per content second against the prediction model's P50 for the same rung (`general`,
 * 1080p source) — a calibration by the same encode, so the content difference cancels.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planChunks } from '../../lib/core/pipeline';
import { renderFfmpegArgs } from '../../lib/core/recipes/ffmpeg';
import type { Rendition } from '../../lib/core/types';
import { ffmpegPath } from '../../lib/media/binaries';
import { chunkArgs } from '../../lib/media/chunked';
import { qualityFilterGraph } from '../../lib/media/quality';
import { benchmarkCpuSec, run } from '../../lib/media/process';
import { buildArchetypes } from '../../lib/sim/archetypes';
import { printTable, SHARED_DIR, writeResult } from './report';

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
}

const ffmpeg = ffmpegPath();

/** CPU seconds (user + system) and wall seconds of one ffmpeg run. */
async function cpu(args: string[]): Promise<{ cpuSec: number; wallSec: number }> {
  const res = await run(ffmpeg, ['-benchmark', ...args], { timeoutMs: 30 * 60_000 });
  const c = benchmarkCpuSec(res.stderr);
  if (c === undefined) throw new Error(`no -benchmark line from ffmpeg ${args.join(' ')}`);
  return { cpuSec: c, wallSec: res.wallMs / 1000 };
}

/** The rendition's own video arguments after its filter (frame rate, codec, GOP, keyframes). */
function codecArgs(r: Rendition, out: string): { filter: string; opts: string[] } {
  const a = renderFfmpegArgs({ source: 'SRC', rendition: r, audio: null, output: { kind: 'mp4', path: out } });
  const vf = a.indexOf('-vf');
  const an = a.indexOf('-an');
  return { filter: a[vf + 1]!, opts: [...a.slice(vf + 2, an), '-threads', '1', '-an', '-f', 'mp4', out] };
}

/** One process, one decode, several rungs: `split` then each rung's own scale and encoder. */
function groupArgs(source: string, rungs: readonly Rendition[], dir: string): string[] {
  const parts = rungs.map((r, i) => ({ r, ...codecArgs(r, join(dir, `g-${i}.mp4`)) }));
  const graph = [`[0:v]split=${parts.length}${parts.map((_, i) => `[s${i}]`).join('')}`, ...parts.map((p, i) => `[s${i}]${p.filter}[o${i}]`)].join(';');
  return ['-hide_banner', '-nostdin', '-y', '-threads', '1', '-i', source, '-filter_complex_threads', '1', '-filter_complex', graph, ...parts.flatMap((p, i) => ['-map', `[o${i}]`, ...p.opts])];
}

export async function measurePipelineCosts(args: string[]): Promise<void> {
  const frames = Number(option(args, 'frames', '300'));
  const chunks = Number(option(args, 'chunks', '5'));
  const clip = join(SHARED_DIR, 'clips', option(args, 'clip', 'flower_720p_300f.h264'));
  statSync(clip);
  const dir = mkdtempSync(join(tmpdir(), 'marquee-measure-'));
  const load = () => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').trim() : 'n/a');
  console.log(`Measuring on ${clip} (${frames} frames at 1920×1080), load ${load()}`);
  try {
    // The upload stand-in: 1080p H.264, 2 s GOP, at the rungs' frame rate.
    const archetypes = buildArchetypes();
    const general = archetypes.filter((a) => a.contentClass === 'general' && (a.height === 720 || a.height === 1080));
    const byHeight = new Map<number, Rendition>();
    for (const a of general) for (const rc of a.rungs[0] ?? []) if (!byHeight.has(rc.rendition.height)) byHeight.set(rc.rendition.height, rc.rendition);
    const rungs = [...byHeight.values()].sort((a, b) => a.height - b.height);
    const top = rungs.at(-1)!;
    const fps = top.fps;
    const source = join(dir, 'source.mp4');
    await run(ffmpeg, ['-hide_banner', '-nostdin', '-y', '-i', clip, '-frames:v', String(frames), '-vf', `scale=1920:1080:flags=bicubic,fps=${fps}`, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-g', String(2 * fps), '-pix_fmt', 'yuv420p', '-an', source], { timeoutMs: 600_000 });
    const durationSec = frames / fps;

    // Process start: open the source, decode one frame, exit.
    const starts = [];
    for (let i = 0; i < 5; i++) starts.push(await cpu(['-hide_banner', '-nostdin', '-threads', '1', '-i', source, '-frames:v', '1', '-f', 'null', '-']));
    const startWall = starts.map((s) => s.wallSec).sort((a, b) => a - b)[2]!;
    const startCpu = starts.map((s) => s.cpuSec).sort((a, b) => a - b)[2]!;

    // Each rung alone, and decode+scale alone.
    const rows: Record<string, string | number>[] = [];
    const enc = new Map<string, number>();
    const qcCpu: number[] = [];
    for (const r of rungs) {
      const a = renderFfmpegArgs({ source, rendition: r, audio: null, output: { kind: 'mp4', path: join(dir, `${r.id}.mp4`) }, threads: 1 });
      a.splice(a.indexOf('-i'), 0, '-threads', '1');
      const e = await cpu(a);
      const d = await cpu(['-hide_banner', '-nostdin', '-threads', '1', '-i', source, '-filter_threads', '1', '-vf', codecArgs(r, 'x').filter, '-f', 'null', '-']);
      // QC as the local runtime runs it: PSNR + SSIM of the rung against the source at display size, every frame.
      const q = await cpu(['-hide_banner', '-nostdin', '-threads', '1', '-i', join(dir, `${r.id}.mp4`), '-threads', '1', '-i', source, '-filter_complex_threads', '1', '-lavfi', qualityFilterGraph({ width: r.width, height: r.height }), '-f', 'null', '-']);
      enc.set(r.id, e.cpuSec);
      qcCpu.push(q.cpuSec);
      rows.push({ rung: r.id, 'encode cpu s/s': e.cpuSec / durationSec, 'decode+scale cpu s/s': d.cpuSec / durationSec, 'decode share': d.cpuSec / e.cpuSec, 'qc cpu s/s': q.cpuSec / durationSec });
    }
    const topDecodeCpu = (rows.at(-1)!['decode+scale cpu s/s'] as number) * durationSec;
    const decodeShareByHeight = Object.fromEntries(rungs.map((r, i) => [r.height, Number((rows[i]!['decode share'] as number).toFixed(3))]));

    // Grouping: the cheap rungs, and the whole ladder, in one process.
    const groupShare = async (group: readonly Rendition[]) => {
      const g = await cpu(groupArgs(source, group, dir));
      const costs = group.map((r) => enc.get(r.id)!);
      const separate = costs.reduce((x, y) => x + y, 0);
      return { separate, together: g.cpuSec, share: (separate - g.cpuSec) / (separate - Math.max(...costs)), saved: 1 - g.cpuSec / separate };
    };
    const cheap = rungs.filter((r) => r.height <= 540);
    const gCheap = await groupShare(cheap);
    const gAll = await groupShare(rungs);

    // Chunks of the top rung vs the whole rung.
    const plan = planChunks(durationSec, top.gopSeconds, top.fps, { targetChunkSec: durationSec / chunks, minChunkSec: 0.5, maxChunks: chunks });
    let chunkCpu = 0;
    for (const c of plan) {
      const a = chunkArgs({ source, rendition: top, chunk: c, outPath: join(dir, `c${c.index}.mp4`), threads: 1 }).slice(1); // cpu() adds -benchmark
      a.splice(a.indexOf('-i'), 0, '-threads', '1');
      chunkCpu += (await cpu(a)).cpuSec;
    }
    const whole = enc.get(top.id)!;
    const perChunkCpu = (chunkCpu - whole) / Math.max(1, plan.length - 1);

    // Packaging (HLS by stream copy) of the top rung; QC is the mean over the rungs.
    const pkg = await cpu(['-hide_banner', '-nostdin', '-y', '-i', join(dir, `${top.id}.mp4`), '-c', 'copy', '-f', 'hls', '-hls_time', '4', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(dir, 'seg-%03d.ts'), join(dir, 'p.m3u8')]);
    const qc = { cpuSec: qcCpu.reduce((a, x) => a + x, 0) / qcCpu.length };

    // Calibration: the model's P50 for the same rung (general, 1080p source) per CPU second here.
    const modelTop = general.find((a) => a.height === 1080)!.rungs[0]!.find((x) => x.rendition.id === top.id)!.secPerSec;
    const refPerCpu = modelTop / (whole / durationSec);
    printTable(rows, `Rungs from a ${durationSec.toFixed(1)} s 1080p source, 1 thread (CPU seconds per content second)`);
    const measured = {
      processStartSec: Number(startWall.toFixed(3)),
      // The chunks here start on the source's keyframes; an upload's GOPs need not line up with the
      // rung's, so a chunk's seek decodes half a source GOP (2 s) more on average.
      chunkStartSec: Number(((Math.max(0, perChunkCpu) + (topDecodeCpu / durationSec) * 1) * refPerCpu).toFixed(3)),
      chunkStartShareOfChunk: Number((perChunkCpu / (whole / plan.length)).toFixed(4)),
      groupSharedShareCheap: Number(gCheap.share.toFixed(3)),
      groupSharedShareLadder: Number(gAll.share.toFixed(3)),
      groupSavedShareLadder: Number(gAll.saved.toFixed(3)),
      decodeShareByHeight,
      packageSecPerRenditionSourceSec: Number(((pkg.cpuSec / durationSec) * refPerCpu).toFixed(4)),
      qcSecPerRenditionSourceSec: Number(((qc.cpuSec / durationSec) * refPerCpu).toFixed(4)),
      refSlotSecPerCpuSec: Number(refPerCpu.toFixed(4)),
    };
    printTable(
      [
        { what: 'process start (open + first frame), wall s', value: startWall, cpu: startCpu },
        { what: `${top.id} in ${plan.length} chunks vs whole, extra cpu s per chunk`, value: perChunkCpu, cpu: chunkCpu },
        { what: `group ${cheap.map((r) => r.id).join('+')}: share of the smaller rungs saved`, value: gCheap.share, cpu: gCheap.together },
        { what: `group whole ladder: share of the smaller rungs saved`, value: gAll.share, cpu: gAll.together },
        { what: 'HLS packaging (stream copy), cpu s per rendition-second', value: pkg.cpuSec / durationSec, cpu: pkg.cpuSec },
        { what: 'QC PSNR+SSIM at display size, cpu s per rendition-second (ladder mean)', value: qc.cpuSec / durationSec, cpu: qc.cpuSec },
        { what: `reference slot-seconds per cpu second (model ${top.id} P50 ${modelTop.toFixed(3)} s/s)`, value: refPerCpu, cpu: whole },
      ],
      'Measured pipeline costs',
    );
    console.log('\nIn MEASURED_PIPELINE_COSTS units (reference slot-seconds):');
    console.log(JSON.stringify(measured, null, 2));
    writeResult('pipeline-measure', measured, { clip, frames, durationSec, loadavg: load(), rows, chunks: plan.length, gCheap, gAll });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
