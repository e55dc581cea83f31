/**
 * A binary min-heap keyed by a number, with a sequence tie-break so equal keys pop in insertion
 * order (deterministic runs). Used for the event queue and the simulated job queue.
 */
export class MinHeap<T> {
  private keys: number[] = [];
  private seqs: number[] = [];
  private items: T[] = [];
  private tags: number[] = [];
  private seq = 0;
  /** Tag of the item the last `pop` returned. */
  lastTag = 0;

  get size(): number {
    return this.items.length;
  }

  /** Push an item; `tag` is a number carried with it (e.g. a version, to spot stale entries without wrapping the item). */
  push(key: number, item: T, tag = 0): void {
    this.keys.push(key);
    this.seqs.push(this.seq++);
    this.items.push(item);
    this.tags.push(tag);
    this.up(this.items.length - 1);
  }

  peekKey(): number | undefined {
    return this.keys[0];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  peekTag(): number | undefined {
    return this.tags[0];
  }

  pop(): T | undefined {
    const n = this.items.length;
    if (n === 0) return undefined;
    const top = this.items[0];
    this.lastTag = this.tags[0]!;
    const lastKey = this.keys.pop()!;
    const lastSeq = this.seqs.pop()!;
    const lastItem = this.items.pop()!;
    const lastTagged = this.tags.pop()!;
    if (n > 1) {
      this.keys[0] = lastKey;
      this.seqs[0] = lastSeq;
      this.items[0] = lastItem;
      this.tags[0] = lastTagged;
      this.down(0);
    }
    return top;
  }

  /** Items in heap (not sorted) order. */
  values(): readonly T[] {
    return this.items;
  }

  private less(i: number, j: number): boolean {
    const a = this.keys[i]!;
    const b = this.keys[j]!;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
    const s = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = s;
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
    const g = this.tags[i]!;
    this.tags[i] = this.tags[j]!;
    this.tags[j] = g;
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
