import { describe, expect, it } from 'vitest';
import { parseBusinessMetadata } from '../../../lib/core/value/metadata';

const reason = (raw: unknown): string => {
  const r = parseBusinessMetadata(raw);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.metadata)}`);
  return r.reason;
};

describe('parseBusinessMetadata', () => {
  it('gives validated defaults when no metadata came with the upload', () => {
    expect(parseBusinessMetadata(undefined)).toEqual({
      ok: true,
      metadata: { creatorTier: 'regular', expectedViews: 0, monetized: false, premium: false, formats: ['abr'] },
    });
  });

  it('reads S3 object metadata: prefixed, lower-cased, all strings', () => {
    const r = parseBusinessMetadata({
      'x-amz-meta-creatortier': 'star',
      'x-amz-meta-expected-views': '250000',
      'x-amz-meta-monetized': 'true',
      'x-amz-meta-premium': 'no',
      'x-amz-meta-formats': 'hd, mobile',
      'x-amz-meta-deadline': '2026-12-01T10:00:00Z',
      'x-amz-meta-uploaded-with': 'rclone', // someone else's key: ignored
    });
    expect(r).toEqual({
      ok: true,
      metadata: {
        creatorTier: 'star',
        expectedViews: 250000,
        monetized: true,
        premium: false,
        formats: ['hd', 'mobile'],
        deadlineAt: Date.parse('2026-12-01T10:00:00Z'),
      },
    });
  });

  it('accepts snake_case and British spellings in a sidecar', () => {
    const r = parseBusinessMetadata({ creator_tier: 'partner', monetised: true, views: 10 });
    expect(r.ok && r.metadata).toMatchObject({ creatorTier: 'partner', monetized: true, expectedViews: 10 });
  });

  it.each([
    [{ creatorTier: 'celebrity' }, /creatorTier/],
    [{ creatorTier: 42 }, /creatorTier/],
    [{ expectedViews: -3 }, /expectedViews: must not be negative/],
    [{ expectedViews: 1e15 }, /expectedViews: must be at most/],
    [{ expectedViews: 'lots' }, /expectedViews/],
    [{ expectedViews: [1] }, /expectedViews/],
    [{ monetized: 'maybe' }, /monetized/],
    [{ trending: 7 }, /trending/],
    [{ formats: ['8k'] }, /formats/],
    [{ formats: '' }, /formats/],
    [{ deadline: 'tomorrow-ish' }, /deadline/],
    [{ title: 'x'.repeat(10_000) }, /title: must be at most 500/],
    [{ title: 'evil\u0007bell' }, /title: must not contain control characters/],
    [{ premum: true }, /premum/],
    ['just a string', /expected an object/],
    [[1, 2], /expected an object of fields, got an array/],
  ])('rejects %j with a reason naming the field', (raw, why) => {
    expect(reason(raw)).toMatch(why);
  });

  it.each([['../../etc/passwd'], ['x-amz-meta-../tier'], ['tier\u0000'], ['a/b'], ['k'.repeat(200)], ['__proto__'], ['constructor..x']])(
    'refuses the key %j outright, without echoing control characters',
    (key) => {
      const why = reason(JSON.parse(JSON.stringify({ [key]: 'star' })));
      expect(why).toMatch(/key .* is not allowed/);
      // eslint-disable-next-line no-control-regex -- asserting control characters are gone
      expect(why).not.toMatch(/[\u0000-\u001f]/);
      expect(why.length).toBeLessThan(300);
    },
  );

  it('refuses a field given twice under two spellings', () => {
    expect(reason({ creatorTier: 'star', 'creator-tier': 'new' })).toMatch(/creatorTier is given twice/);
  });

  it('never throws on hostile input', () => {
    const hostile: unknown[] = [null, 0, true, Symbol.iterator.toString(), { a: { b: { c: {} } } }, { expectedViews: Number.NaN }, { formats: 'a,'.repeat(1000) }];
    for (const raw of hostile) expect(() => parseBusinessMetadata(raw)).not.toThrow();
  });
});
