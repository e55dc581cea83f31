/**
 * `npm run bench -- lambda [--runs N] [--format cjs|esm]`: bundle size of every Lambda and its cold
 * init time, as Lambda does it.
 *
 * - Bundle: esbuild with the CDK bundling options (`BUNDLING` in infra/constructs/marquee-function.ts:
 *   CommonJS, minified, the AWS SDK v3 external because the Node.js runtime provides it). The ffprobe
 *   layer is not part of any bundle.
 * - Init: the time to load the bundle in a fresh Node process — module evaluation, the SDK packages
 *   it requires from node_modules (as the runtime's copy would be), configuration parsed and SDK
 *   clients and middy/Powertools constructed at module scope — under the environment the CDK stack
 *   gives the function plus the variables the Lambda runtime sets (so Powertools Tracer is enabled).
 *   No network. Clients that only some invocations use load on first use (functions/shared/lazy.ts)
 *   and are not in this figure: the first invocation that needs one pays 7–30 ms (docs/deploy.md).
 *   Median and p90 of N runs; the machine's load average is printed with the result.
 *   The CPU time of the load (user + system) is printed too: on a shared, loaded machine the wall
 *   time mostly measures waiting for a core.
 * - `--format esm` builds the ESM variant (the previous configuration) for comparison.
 *
 * Targets: ≤ 300 KB per bundle, init ≤ 150 ms. Summary keys: maxBundleKB, maxInitMs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLING, functionEntry, PROJECT_ROOT } from '../../infra/constructs/marquee-function';
import { printTable, writeResult } from './report';

const FUNCTIONS = ['ingest', 'analyze', 'workflow', 'dispatch', 'complete', 'deadline-watch', 'priority-api'];

/** What the Lambda runtime sets, and what the stack gives every function (config is read and validated at load). */
const ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_METRICS_NAMESPACE: 'Marquee',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:m',
  JOBS_TABLE: 'jobs',
  EVENT_BUS_NAME: 'default',
  OUTPUT_BUCKET: 'out-bucket',
  TIER_QUEUES: JSON.stringify({ critical: 'https://sqs.us-east-1.amazonaws.com/1/c', premium: 'https://sqs.us-east-1.amazonaws.com/1/p', standard: 'https://sqs.us-east-1.amazonaws.com/1/s', bulk: 'https://sqs.us-east-1.amazonaws.com/1/b' }),
  MEDIACONVERT_QUEUES: JSON.stringify({ critical: 'arn:q:c', premium: 'arn:q:p', standard: 'arn:q:s', bulk: 'arn:q:b' }),
  MEDIACONVERT_ROLE_ARN: 'arn:aws:iam::123456789012:role/mc',
  BATCH_JOB_QUEUES: JSON.stringify({ critical: 'arn:b:c', premium: 'arn:b:p', standard: 'arn:b:s', bulk: 'arn:b:b' }),
  BATCH_JOB_DEFINITION: 'arn:aws:batch:us-east-1:123456789012:job-definition/w:1',
  CAPACITY: JSON.stringify({ mediaconvert: 20, 'batch-gpu': 8 }),
  MARQUEE_FFPROBE: '/opt/bin/ffprobe',
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const p90 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)]!;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

function buildOptions(format: 'cjs' | 'esm'): BuildOptions {
  const common = { bundle: true, target: BUNDLING.target, platform: BUNDLING.platform, minify: BUNDLING.minify, mainFields: BUNDLING.mainFields, external: BUNDLING.external, logLevel: 'error' as const };
  if (format === 'cjs') return { ...common, format: 'cjs', define: BUNDLING.define, banner: { js: BUNDLING.banner } };
  // The previous configuration: ESM with a `require` shim for CommonJS dependencies.
  return { ...common, format: 'esm', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } };
}

const REPORT = "const d=performance.now()-t,u=process.cpuUsage(c);if(typeof m.handler!=='function')throw new Error('no handler');process.stdout.write(JSON.stringify([d,(u.user+u.system)/1000]));";

/** Load the bundle in a fresh Node process; the handler must be exported. Returns [wall ms, CPU ms]. */
function initOnce(outfile: string, format: 'cjs' | 'esm', fn: string): [number, number] {
  const probe =
    format === 'cjs'
      ? `const c=process.cpuUsage(),t=performance.now();const m=require(${JSON.stringify(outfile)});${REPORT}`
      : `const c=process.cpuUsage(),t=performance.now();const m=await import(${JSON.stringify(outfile)});${REPORT}`;
  const args = format === 'cjs' ? ['-e', probe] : ['--input-type=module', '-e', probe];
  const env = { PATH: process.env.PATH ?? '', ...ENV, AWS_LAMBDA_FUNCTION_NAME: `marquee-${fn}`, POWERTOOLS_SERVICE_NAME: `marquee-${fn}` };
  return JSON.parse(execFileSync(process.execPath, args, { env, encoding: 'utf8', cwd: PROJECT_ROOT })) as [number, number];
}

export default async function lambdaBench(args: string[]): Promise<void> {
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = Number(opt('--runs') ?? 9);
  const format = (opt('--format') ?? BUNDLING.format) as 'cjs' | 'esm';
  if (!(runs >= 1) || !['cjs', 'esm'].includes(format)) throw new Error('usage: npm run bench -- lambda [--runs N ≥ 1] [--format cjs|esm]');
  // Inside the project so the runtime-provided @aws-sdk/* resolve from node_modules, as on Lambda.
  const outDir = join(PROJECT_ROOT, 'bench', 'results', 'lambda-bundles');
  mkdirSync(outDir, { recursive: true });
  const loadBefore = loadavg()[0]!;
  const rows: { fn: string; bundleKB: number; initMs: number; initP90Ms: number; initMinMs: number; initCpuMs: number }[] = [];
  for (const fn of FUNCTIONS) {
    const outfile = join(outDir, `${fn}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
    await build({ ...buildOptions(format), entryPoints: [functionEntry(fn)], outfile });
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const [wall, cpuMs] = initOnce(outfile, format, fn);
      times.push(wall);
      cpu.push(cpuMs);
    }
    rows.push({ fn, bundleKB: round1(statSync(outfile).size / 1024), initMs: round1(median(times)), initP90Ms: round1(p90(times)), initMinMs: round1(Math.min(...times)), initCpuMs: round1(median(cpu)) });
  }
  const loadAfter = loadavg()[0]!;
  printTable(rows.map((r) => ({ function: r.fn, 'bundle KB': r.bundleKB, 'init ms (median)': r.initMs, 'init ms (p90)': r.initP90Ms, 'init ms (min)': r.initMinMs, 'init CPU ms (median)': r.initCpuMs })));
  const summary = { maxBundleKB: Math.max(...rows.map((r) => r.bundleKB)), maxInitMs: Math.max(...rows.map((r) => r.initMs)) };
  console.log(
    `maxBundleKB ${summary.maxBundleKB} (target ≤ 300), maxInitMs ${summary.maxInitMs} (target ≤ 150); ${format}, ${runs} runs each, Node ${process.version}, load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}`,
  );
  writeResult('lambda', summary, {
    runs,
    format,
    node: process.version,
    loadAverage: { before: round1(loadBefore), after: round1(loadAfter) },
    functions: rows,
    note: 'AWS SDK v3 external (provided by the Node.js Lambda runtime, loaded from node_modules here); init = loading the bundle in a fresh process (module evaluation, SDK packages, config parsed, SDK clients and middleware constructed), no network',
  });
  writeFileSync(join(outDir, 'README.txt'), 'Bundles written by npm run bench -- lambda; safe to delete.\n');
}
