import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const CORE = join(import.meta.dirname, '../../../lib/core');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const FORBIDDEN: [RegExp, string][] = [
  [/from\s+['"]@aws-sdk\//, 'imports the AWS SDK'],
  [/from\s+['"](node:)?(fs|child_process|path|os)(\/[^'"]*)?['"]/, 'does I/O through node built-ins'],
  [/process\.env/, 'reads process.env'],
  [/Date\.now\(/, 'reads the wall clock'],
  [/Math\.random\(/, 'uses an unseeded RNG'],
  [/from\s+['"]\.\.\/(\.\.\/)*(ports|aws|media|local|sim)\b/, 'imports outside lib/core'],
];

describe('lib/core dependency rule', () => {
  it('keeps every core module free of I/O, AWS, wall clock and unseeded randomness', () => {
    const files = sources(CORE);
    expect(files.length).toBeGreaterThan(5);
    const offences = files.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      return FORBIDDEN.filter(([re]) => re.test(text)).map(([, what]) => `${relative(CORE, f)} ${what}`);
    });
    expect(offences).toEqual([]);
  });
});
