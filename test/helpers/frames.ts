/** Tiny synthetic gray frames for the pure frame-statistics tests. */
export const FRAME_W = 64;
export const FRAME_H = 48;

/** A FRAME_W×FRAME_H 8-bit gray frame whose pixel (x, y) is `fn(x, y)`, clamped to 0..255. */
export function grayFrame(fn: (x: number, y: number) => number): Uint8Array {
  const f = new Uint8Array(FRAME_W * FRAME_H);
  for (let y = 0; y < FRAME_H; y++) for (let x = 0; x < FRAME_W; x++) f[y * FRAME_W + x] = Math.max(0, Math.min(255, Math.round(fn(x, y))));
  return f;
}
