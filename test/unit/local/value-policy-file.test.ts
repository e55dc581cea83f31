import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../lib/local/config';
import { readValuePolicy } from '../../../lib/local/session';
import { readConfig } from '../../../infra/config';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = (body: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'marquee-vp-'));
  dirs.push(dir);
  const p = join(dir, 'policy.json');
  writeFileSync(p, body);
  return p;
};

describe('value policy overrides', () => {
  it('loads a policy file given with --value-policy (or MARQUEE_VALUE_POLICY) over the defaults', () => {
    const p = file('{"thresholds":{"critical":90,"premium":50,"standard":20}}');
    expect(loadConfig({ valuePolicy: p }, {}, 2).valuePolicyFile).toBe(p);
    expect(loadConfig({}, { MARQUEE_VALUE_POLICY: p }, 2).valuePolicyFile).toBe(p);
    const policy = readValuePolicy(p);
    expect(policy.thresholds).toEqual({ critical: 90, premium: 50, standard: 20 });
    expect(policy.agingStepMinutes.standard).toBeGreaterThan(0);
  });

  it('refuses a policy file that is missing or invalid, naming the file and the field', () => {
    expect(() => readValuePolicy('/no/such/policy.json')).toThrow(ConfigError);
    expect(() => readValuePolicy(file('{"thresholds":{"premium":"x"}}'))).toThrow(/policy\.json.*thresholds\.premium/);
    expect(() => readValuePolicy(file('not json'))).toThrow(ConfigError);
  });

  it('takes the CDK context marquee:valuePolicy, validated at synth, with per-tier deadlines on top', () => {
    const ctx: Record<string, unknown> = { 'marquee:valuePolicy': '{"thresholds":{"critical":95,"premium":70,"standard":40}}', 'marquee:deadlineMinutes': { premium: 90 } };
    const config = readConfig((k) => ctx[k]);
    expect(config.valuePolicy.thresholds.critical).toBe(95);
    expect(config.valuePolicy.defaultDeadlineMinutes.premium).toBe(90);
    expect(() => readConfig((k) => (k === 'marquee:valuePolicy' ? { thresholds: { premium: 'x' } } : undefined))).toThrow(/context marquee:valuePolicy/);
  });
});
