/**
 * Benchmark runner: `npm run bench -- <name> [options]` runs test/bench/<name>.ts.
 * Each bench module default-exports `(args: string[]) => Promise<void>` and writes
 * bench/results/<name>.json through `writeResult`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f) && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name> [options]\navailable: ${available.join(', ')}`);
  process.exit(2);
}
const mod = (await import(join(here, `${name}.ts`))) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
