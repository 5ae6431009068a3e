/**
 * The digits asset the build prepares from the `mnist` package (see vite.config.ts) and the page
 * reads: one binary file, so the browser needs no JSON parse of 10,000 images.
 *
 *   bytes 0–7    magic "HCDIGIT1"
 *   8–11, 12–15  uint32 LE: train count, test count
 *   16–19, 20–23 float32 LE: mean and std of the training pixels (the standardisation train-mnist uses)
 *   24…          train pixels (count·784 bytes), train labels (count bytes), then the same for test
 *
 * Pixels are stored as round(v·255) (the package gives them to 3 decimals in [0, 1]; the error is
 * below 0.002, far under what the model notices).
 */
export const DIGITS_MAGIC = 'HCDIGIT1';
export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
const HEADER = 24;

/** Images as [count, 784] floats in [0, 1], labels 0–9. */
export interface DigitSet {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface DigitsAsset {
  train: DigitSet;
  test: DigitSet;
  mean: number;
  std: number;
}

export function encodeDigits(asset: DigitsAsset): Uint8Array {
  const { train, test } = asset;
  const out = new Uint8Array(HEADER + (train.count + test.count) * (PIXELS + 1));
  out.set(new TextEncoder().encode(DIGITS_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, train.count, true);
  view.setUint32(12, test.count, true);
  view.setFloat32(16, asset.mean, true);
  view.setFloat32(20, asset.std, true);
  let at = HEADER;
  for (const set of [train, test]) {
    for (let i = 0; i < set.count * PIXELS; i++) out[at + i] = Math.round(Math.min(1, Math.max(0, set.images[i]!)) * 255);
    at += set.count * PIXELS;
    out.set(set.labels.subarray(0, set.count), at);
    at += set.count;
  }
  return out;
}

export function decodeDigits(bytes: Uint8Array): DigitsAsset {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== DIGITS_MAGIC) throw new Error(`digits asset: expected magic "${DIGITS_MAGIC}", got ${JSON.stringify(magic)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = [view.getUint32(8, true), view.getUint32(12, true)] as const;
  const expected = HEADER + (counts[0] + counts[1]) * (PIXELS + 1);
  if (bytes.length !== expected) throw new Error(`digits asset: expected ${expected} bytes, got ${bytes.length}`);
  let at = HEADER;
  const [train, test] = counts.map((count) => {
    const images = new Float32Array(count * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = bytes[at + i]! / 255;
    at += count * PIXELS;
    const labels = bytes.slice(at, at + count);
    at += count;
    return { images, labels, count };
  }) as [DigitSet, DigitSet];
  return { train, test, mean: view.getFloat32(16, true), std: view.getFloat32(20, true) };
}
