import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '../../../lib/local/cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'marquee-cli-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('marquee run configuration from the environment', () => {
  it('writes its database and report under MARQUEE_OUT when --out is not given', async () => {
    const out = join(dir, 'from-env');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, 'run', join(dir, 'missing.mp4'), '--no-quality'], {
      env: { ...process.env, MARQUEE_OUT: out },
      cwd: join(import.meta.dirname, '../../..'),
      timeout: 60_000,
    });
    expect(stdout).toMatch(/1 REJECTED/);
    expect(existsSync(join(out, 'marquee.db'))).toBe(true);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    expect(stdout).toMatch(/report: .*from-env\/report\.json/);
  });
});
