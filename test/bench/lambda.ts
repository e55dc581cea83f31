/**
 * `npm run bench -- lambda [--runs N]`: esbuild bundle size of every Lambda (the same options as the
 * CDK bundling: ESM, minified, AWS SDK v3 from the runtime) and its cold init time — `import()` of the
 * bundle in a fresh Node process, median of N runs. Targets: ≤ 300 KB per bundle (the ffprobe layer
 * is not part of a bundle), init ≤ 150 ms. Summary keys: maxBundleKB, maxInitMs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLING, functionEntry, PROJECT_ROOT } from '../../infra/constructs/marquee-function';
import { printTable, writeResult } from './report';

const FUNCTIONS = ['ingest', 'analyze', 'workflow', 'dispatch', 'complete', 'deadline-watch', 'priority-api'];

/** Environment a handler's module scope needs (config is read and validated at import). */
const ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'Marquee',
  POWERTOOLS_TRACE_ENABLED: 'false',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
  JOBS_TABLE: 'jobs',
  OUTPUT_BUCKET: 'out-bucket',
  TIER_QUEUES: JSON.stringify({ critical: 'https://sqs/c', premium: 'https://sqs/p', standard: 'https://sqs/s', bulk: 'https://sqs/b' }),
  MEDIACONVERT_QUEUES: JSON.stringify({ critical: 'arn:q:c', premium: 'arn:q:p', standard: 'arn:q:s', bulk: 'arn:q:b' }),
  MEDIACONVERT_ROLE_ARN: 'arn:aws:iam::123456789012:role/mc',
  BATCH_JOB_QUEUES: JSON.stringify({ critical: 'arn:b:c', premium: 'arn:b:p', standard: 'arn:b:s', bulk: 'arn:b:b' }),
  BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/w:1',
  CAPACITY: JSON.stringify({ mediaconvert: 20, 'batch-gpu': 8 }),
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export default async function lambdaBench(args: string[]): Promise<void> {
  const runsArg = args.indexOf('--runs');
  const runs = runsArg >= 0 ? Number(args[runsArg + 1]) : 7;
  // Inside the project so the runtime-provided @aws-sdk/* resolve from node_modules, as on Lambda.
  const outDir = join(PROJECT_ROOT, 'bench', 'results', 'lambda-bundles');
  mkdirSync(outDir, { recursive: true });
  const rows: { fn: string; bundleKB: number; initMs: number; initP90Ms: number }[] = [];
  for (const fn of FUNCTIONS) {
    const outfile = join(outDir, `${fn}.mjs`);
    await build({ entryPoints: [functionEntry(fn)], bundle: true, outfile, format: BUNDLING.format, target: BUNDLING.target, platform: BUNDLING.platform, minify: BUNDLING.minify, mainFields: BUNDLING.mainFields, external: BUNDLING.external, banner: { js: BUNDLING.banner }, logLevel: 'error' });
    const bundleKB = statSync(outfile).size / 1024;
    const times: number[] = [];
    const probe = `const t=performance.now();await import(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t));`;
    for (let i = 0; i < runs; i++) {
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env: { ...process.env, ...ENV }, encoding: 'utf8' });
      times.push(Number(out));
    }
    const sorted = [...times].sort((a, b) => a - b);
    rows.push({ fn, bundleKB: Math.round(bundleKB * 10) / 10, initMs: Math.round(median(times) * 10) / 10, initP90Ms: Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]! * 10) / 10 });
  }
  printTable(rows.map((r) => ({ function: r.fn, 'bundle KB': r.bundleKB, 'init ms (median)': r.initMs, 'init ms (p90)': r.initP90Ms })));
  const summary = { maxBundleKB: Math.max(...rows.map((r) => r.bundleKB)), maxInitMs: Math.max(...rows.map((r) => r.initMs)) };
  console.log(`maxBundleKB ${summary.maxBundleKB} (target ≤ 300), maxInitMs ${summary.maxInitMs} (target ≤ 150), ${runs} runs each, Node ${process.version}`);
  writeResult('lambda', summary, { runs, node: process.version, functions: rows, note: 'AWS SDK v3 external (provided by the Node.js Lambda runtime); init = dynamic import of the bundle in a fresh process, SDK clients constructed, no network' });
  writeFileSync(join(outDir, 'README.txt'), 'Bundles written by npm run bench -- lambda; safe to delete.\n');
}
