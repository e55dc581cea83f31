/**
 * Compact regression forests: the inference half of a random forest trained with
 * `ml-random-forest` (see `fit.ts`), stored as flat pre-order arrays so the JSON artifact stays
 * small and a prediction is a few dozen comparisons.
 */

/**
 * One regression tree in pre-order. Node `i` is a leaf when `feature[i] < 0`, and then
 * `threshold[i]` is its value; otherwise rows with `x[feature[i]] < threshold[i]` go to the left
 * child (`i + 1`), the others to `right[i]`.
 */
export interface CompactTree {
  feature: number[];
  threshold: number[];
  right: number[];
}

/** Mean of its trees, like the forest it was converted from. */
export interface CompactForest {
  trees: CompactTree[];
}

/** Evaluate one tree on a feature row. */
export function predictTree(tree: CompactTree, x: readonly number[]): number {
  let i = 0;
  for (;;) {
    const f = tree.feature[i]!;
    if (f < 0) return tree.threshold[i]!;
    i = (x[f] ?? 0) < tree.threshold[i]! ? i + 1 : tree.right[i]!;
  }
}

/** Evaluate a forest (mean over trees) on a feature row. */
export function predictForest(forest: CompactForest, x: readonly number[]): number {
  if (forest.trees.length === 0) return 0;
  let s = 0;
  for (const t of forest.trees) s += predictTree(t, x);
  return s / forest.trees.length;
}

/** The node shape of an `ml-cart` regression tree after `toJSON()`. */
export interface CartNode {
  splitValue?: number;
  splitColumn?: number;
  distribution?: number | number[];
  left?: CartNode;
  right?: CartNode;
}

/** Round to `digits` significant digits (keeps the artifact small; far below the data's noise). */
export function roundSig(v: number, digits = 5): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  return Number(v.toPrecision(digits));
}

/**
 * Convert an `ml-cart` tree (its `toJSON().root`) to the compact form. `columns` maps the tree's
 * column numbers to the forest's feature indices (a forest with `maxFeatures < 1` trains each tree
 * on a subset of the columns).
 */
export function compactTree(root: CartNode, columns?: readonly number[]): CompactTree {
  const t: CompactTree = { feature: [], threshold: [], right: [] };
  const visit = (n: CartNode): void => {
    const i = t.feature.length;
    if (n.left && n.right && n.splitColumn !== undefined && n.splitValue !== undefined) {
      t.feature.push(columns ? columns[n.splitColumn]! : n.splitColumn);
      t.threshold.push(roundSig(n.splitValue, 6));
      t.right.push(-1);
      visit(n.left);
      t.right[i] = t.feature.length;
      visit(n.right);
    } else {
      const d = n.distribution;
      t.feature.push(-1);
      t.threshold.push(roundSig(typeof d === 'number' ? d : Array.isArray(d) ? (d[0] ?? 0) : 0));
      t.right.push(-1);
    }
  };
  visit(root);
  return t;
}
