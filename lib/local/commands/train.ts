/**
 * `marquee train` (`npm run train`): fit the encode-cost model from the x264 encode-times dataset
 * and write the versioned artifact; optionally fold completed-job feedback into a calibration file.
 */
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { fitCostModel } from '../../core/prediction/fit';
import type { Calibration } from '../../core/prediction';
import { loadEncodeTimes } from '../training/dataset';
import { DEFAULT_MODEL_PATH, writeCostModel } from '../training/model-file';
import { calibrateFromFeedback, feedbackReport, readFeedback } from '../training/feedback';

const DEFAULT_DATA = resolve(import.meta.dirname, '../../../../shared/data/x264-encode-times');

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('fit the encode-time model from x264 encode-times CSVs and write models/encode-time-model.json')
    .option('--data <dir>', 'directory of encode-time CSVs', process.env.MARQUEE_X264_DIR ?? DEFAULT_DATA)
    .option('--out <file>', 'artifact to write', DEFAULT_MODEL_PATH)
    .option('--seed <n>', 'random seed', '42')
    .option('--feedback <jsonl>', 'completed-job records (predicted vs actual) to calibrate backends from')
    .option('--calibration <file>', 'calibration JSON to update with --feedback', 'models/calibration.json')
    .action((opts: { data: string; out: string; seed: string; feedback?: string; calibration: string }) => {
      const started = performance.now();
      const videos = loadEncodeTimes(opts.data);
      console.log(`training on ${videos.length} videos from ${opts.data} (seed ${opts.seed})`);
      const model = fitCostModel(videos, { seed: Number(opts.seed), notes: { data: 'x264-encode-times (YouTube-UGC)', videos: videos.length } });
      writeCostModel(model, opts.out);
      const kib = (readFileSync(opts.out).length / 1024).toFixed(0);
      console.log(`wrote ${opts.out} (${model.version}, ${model.configs.length} configurations, ${kib} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      if (opts.feedback) {
        const records = readFeedback(opts.feedback);
        const calPath = resolve(opts.calibration);
        const start = existsSync(calPath) ? (JSON.parse(readFileSync(calPath, 'utf8')) as Calibration) : {};
        const cal = calibrateFromFeedback(records, start);
        writeFileSync(calPath, JSON.stringify(cal, null, 2) + '\n');
        for (const r of feedbackReport(records)) console.log(`${r.backend}: ${r.n} renditions, ${(100 * r.within15Wall).toFixed(1)}% within ±15%, MAPE ${r.mapeWall.toFixed(1)}%`);
        console.log(`calibration → ${join(calPath)}`);
      }
    });
}
