import { Option, type Command } from 'commander';
import { relative } from 'node:path';
import { ConfigError, loadConfig, type RunOptions } from '../config';
import { OutputFolderBusyError, runLocal } from '../session';

/** `marquee run [inputs...]`: the embedded local runtime (also `npm start`). */
export function registerRun(program: Command): void {
  program
    .command('run', { isDefault: true })
    .description('analyse, prioritise, encode (ffmpeg), verify and publish uploads locally; no inputs = a generated sample workload')
    .argument('[inputs...]', 'video files or folders (a `<name>.json` sidecar next to a file carries its business metadata)')
    .option('-o, --out <dir>', 'output folder: <out>/<jobId>/ renditions, HLS, job.json; <out>/report.json; the job database (env MARQUEE_OUT; default marquee-out)')
    .addOption(new Option('-w, --workers <n>', 'concurrent ffmpeg encodes (env MARQUEE_WORKERS; default: half the cores)'))
    .addOption(new Option('--threads <n>', 'threads per ffmpeg (default: cores / workers)'))
    .option('--vmaf-model <path>', 'libvmaf .pkl model: adds VMAF to verification (env MARQUEE_VMAF_MODEL)')
    .option('--no-quality', 'skip PSNR/SSIM/VMAF measurement while verifying (outputs are still probed)')
    .addOption(new Option('--attempts <n>', 'encode attempts per job before it fails').default('2'))
    .addOption(new Option('--chunk-seconds <s>', 'encode every rendition of titles at least 2×s long as closed-GOP chunks of about s seconds, in parallel, then join (default: titles ≥ 10 min, 4K rungs, or when the allocation asks)'))
    .option('--value-policy <file>', 'JSON file overriding the value policy: weights, tier thresholds, default deadlines, aging steps (env MARQUEE_VALUE_POLICY)')
    .addOption(new Option('--hull-probe <mode>', 'measured per-title ladders (trial encodes) for critical/premium uploads: auto = titles of 60 s or more, always, off').default('auto'))
    .option('--fresh', 'forget previous runs in <out> (database, job outputs, sample clips) and start over')
    .option('--json', 'print report.json to stdout (log lines go to stderr)')
    .action(async (inputs: string[], opts: RunOptions) => {
      let config;
      try {
        config = loadConfig(opts);
      } catch (err) {
        if (err instanceof ConfigError) program.error(`error: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      try {
        const result = await runLocal(inputs, config, {
          stdout: process.stdout,
          stderr: process.stderr,
          cwdRelative: (p) => relative(process.cwd(), p) || '.',
        });
        process.exitCode = result.exitCode;
      } catch (err) {
        if (err instanceof OutputFolderBusyError || err instanceof ConfigError) program.error(`error: ${err.message}`, { exitCode: 2 });
        throw err;
      }
    });
}
