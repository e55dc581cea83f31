/**
 * x264 encoder options in the dataset's vocabulary, x264's speed presets in the same terms, and the
 * mapping of a Marquee rendition's preset to the nearest measured configuration.
 *
 * The x264 encode-times dataset measures 201 option sets per video (columns `cabac`, `ref`, `deblock`,
 * `analyse`, `me`, `subme`, …). Marquee renditions name an x264 preset instead. Each preset is a
 * known option set (x264 `common/base.c`), so it is encoded with the same function and matched to
 * the closest measured configuration (weighted L1 over the cost-relevant options).
 */

/** Raw option strings as they appear in the dataset's CSV columns. */
export type X264Options = Record<string, string>;

/** Option columns of the dataset, in header order (without `configurationID`). */
export const X264_OPTION_COLUMNS = [
  'cabac', 'ref', 'deblock', 'analyse', 'me', 'subme', 'mixed_ref', 'me_range', 'trellis', '8x8dct', 'fast_pskip',
  'chroma_qp_offset', 'bframes', 'b_pyramid', 'b_adapt', 'direct', 'weightb', 'open_gop', 'weightp', 'scenecut',
  'rc_lookahead', 'mbtree', 'qpmax', 'aq-mode',
] as const;

const ME_COST: Record<string, number> = { dia: 0, hex: 1, umh: 2, esa: 3, tesa: 4 };

const num = (v: string | undefined, dflt = 0): number => {
  if (v === undefined || v === 'None' || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : dflt;
};

/** Count of partition flags set in an `analyse` value like `0x3:0x113`. */
function partitions(v: string | undefined): number {
  if (!v || v === 'None') return 0;
  return v.split(':').reduce((n, part) => {
    let bits = Number.parseInt(part, 16) || 0;
    let c = 0;
    while (bits) {
      c += bits & 1;
      bits >>>= 1;
    }
    return n + c;
  }, 0);
}

/**
 * Encode options as a numeric vector whose distances track encoding cost: log-scaled reference and
 * b-frame counts, motion-estimation method as an ordinal, and so on.
 */
export function encodeOptions(o: X264Options): number[] {
  return [
    num(o.cabac),
    Math.log2(1 + num(o.ref, 1)),
    num(o.deblock?.split(':')[0]),
    partitions(o.analyse) / 2,
    ME_COST[o.me ?? 'hex'] ?? 1,
    num(o.subme) / 2,
    num(o.mixed_ref),
    num(o.me_range, 16) / 16,
    num(o.trellis),
    num(o['8x8dct']),
    1 - num(o.fast_pskip, 1),
    Math.log2(1 + num(o.bframes)),
    num(o.b_adapt),
    num(o.weightp),
    num(o.rc_lookahead) / 20,
    num(o.mbtree),
    num(o['aq-mode']),
  ];
}

/** x264 presets as option sets in the dataset's vocabulary (x264 `common/base.c`). */
export const X264_PRESETS: Record<string, X264Options> = {
  ultrafast: { cabac: '0', ref: '1', deblock: '0:0:0', analyse: '0:0', me: 'dia', subme: '0', mixed_ref: '0', me_range: '16', trellis: '0', '8x8dct': '0', fast_pskip: '1', bframes: '0', b_adapt: 'None', weightp: '0', rc_lookahead: 'None', mbtree: '0', 'aq-mode': '0' },
  superfast: { cabac: '1', ref: '1', deblock: '1:0:0', analyse: '0x3:0x3', me: 'dia', subme: '1', mixed_ref: '0', me_range: '16', trellis: '0', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '1', weightp: '1', rc_lookahead: 'None', mbtree: '0', 'aq-mode': '1' },
  veryfast: { cabac: '1', ref: '1', deblock: '1:0:0', analyse: '0x3:0x113', me: 'hex', subme: '2', mixed_ref: '0', me_range: '16', trellis: '0', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '1', weightp: '1', rc_lookahead: '10', mbtree: '1', 'aq-mode': '1' },
  faster: { cabac: '1', ref: '2', deblock: '1:0:0', analyse: '0x3:0x113', me: 'hex', subme: '4', mixed_ref: '0', me_range: '16', trellis: '1', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '1', weightp: '1', rc_lookahead: '20', mbtree: '1', 'aq-mode': '1' },
  fast: { cabac: '1', ref: '2', deblock: '1:0:0', analyse: '0x3:0x113', me: 'hex', subme: '6', mixed_ref: '1', me_range: '16', trellis: '1', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '1', weightp: '1', rc_lookahead: '30', mbtree: '1', 'aq-mode': '1' },
  medium: { cabac: '1', ref: '3', deblock: '1:0:0', analyse: '0x3:0x113', me: 'hex', subme: '7', mixed_ref: '1', me_range: '16', trellis: '1', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '1', weightp: '2', rc_lookahead: '40', mbtree: '1', 'aq-mode': '1' },
  slow: { cabac: '1', ref: '5', deblock: '1:0:0', analyse: '0x3:0x113', me: 'umh', subme: '8', mixed_ref: '1', me_range: '16', trellis: '2', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '2', weightp: '2', rc_lookahead: '50', mbtree: '1', 'aq-mode': '1' },
  slower: { cabac: '1', ref: '8', deblock: '1:0:0', analyse: '0x3:0x133', me: 'umh', subme: '9', mixed_ref: '1', me_range: '16', trellis: '2', '8x8dct': '1', fast_pskip: '1', bframes: '3', b_adapt: '2', weightp: '2', rc_lookahead: '60', mbtree: '1', 'aq-mode': '1' },
  veryslow: { cabac: '1', ref: '16', deblock: '1:0:0', analyse: '0x3:0x133', me: 'umh', subme: '10', mixed_ref: '1', me_range: '24', trellis: '2', '8x8dct': '1', fast_pskip: '1', bframes: '8', b_adapt: '2', weightp: '2', rc_lookahead: '60', mbtree: '1', 'aq-mode': '1' },
};

/** Index of the configuration whose encoded options are nearest (L1) to `target`. */
export function nearestConfig(target: readonly number[], configs: readonly { vector: readonly number[] }[]): number {
  let best = 0;
  let bestD = Infinity;
  configs.forEach((c, i) => {
    let d = 0;
    for (let j = 0; j < target.length; j++) d += Math.abs((c.vector[j] ?? 0) - target[j]!);
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}
