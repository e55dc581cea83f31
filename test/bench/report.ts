import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where benchmarks read shared data: ../shared beside the project, overridable per input. */
export const SHARED_DIR = resolve(process.env.MARQUEE_SHARED ?? join(import.meta.dirname, '../../../shared'));

/** Print rows as an aligned text table. */
export function printTable(rows: Record<string, string | number>[], title?: string): void {
  if (title) console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log('(no rows)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

/**
 * Write bench/results/<name>.json: `summary` holds the headline figures under the names the
 * issue gives (fractions 0..1, percentages as numbers), the rest is detail.
 */
export function writeResult(name: string, summary: Record<string, unknown>, detail: Record<string, unknown> = {}): string {
  const dir = resolve(import.meta.dirname, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ name, at: new Date().toISOString(), summary, ...detail }, null, 2));
  console.log(`\nwrote ${path}`);
  return path;
}
