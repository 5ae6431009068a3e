/**
 * "Pooling and normalization": the picture through max/avg/global pooling (luminance) and through
 * BN/LN/IN/GN/FRN (a batch of two 4-channel images), drawn, with their statistics.
 */
import * as hc from '@hypercolumn/core';
import { currentPicture, onPicture, type Picture } from '../image-source.js';
import { byId, drawMap, el, fmt, showError, statsOf, statsText } from '../ui.js';

interface PoolCase {
  label: string;
  run: (x: hc.Tensor) => hc.Tensor;
}

const POOLS: PoolCase[] = [
  { label: 'max pool 2×2 s2', run: (x) => hc.maxPool2d(x, { kernelSize: 2 }) },
  { label: 'avg pool 2×2 s2', run: (x) => hc.avgPool2d(x, { kernelSize: 2 }) },
  { label: 'max pool 3×3 s2 p1', run: (x) => hc.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }) },
  { label: 'avg pool 4×4 s4', run: (x) => hc.avgPool2d(x, { kernelSize: 4 }) },
  { label: 'global avg pool', run: (x) => hc.globalAvgPool2d(x) },
];

const CHANNELS = ['R', 'G', 'B', 'luma'];

interface NormCase {
  label: string;
  /** What the statistics are taken over. */
  over: string;
  run: (x: hc.Tensor) => hc.Tensor;
}

const NORMS: NormCase[] = [
  {
    label: 'BatchNorm (training)',
    over: 'per channel, over both images and all pixels',
    run: (x) => hc.batchNorm(x, hc.zeros([4]), hc.ones([4]), null, null, { training: true }),
  },
  { label: 'LayerNorm', over: 'per image, over C·H·W', run: (x) => hc.layerNorm(x, [...x.shape.slice(1)] as number[]) },
  { label: 'InstanceNorm', over: 'per image and channel, over H·W', run: (x) => hc.instanceNorm(x) },
  { label: 'GroupNorm (2 groups)', over: 'per image and group of 2 channels', run: (x) => hc.groupNorm(x, 2) },
  { label: 'FRN (ν² = mean x², no centring)', over: 'per image and channel, over H·W', run: (x) => hc.frn(x) },
];

/** Two images as one batch: the picture, and its mirror at half contrast (so batch ≠ instance statistics). */
function batchOf(p: Picture): Float32Array {
  const plane = p.width * p.height;
  const out = new Float32Array(2 * 4 * plane);
  for (let c = 0; c < 4; c++) {
    const src = c < 3 ? p.rgb.subarray(c * plane, (c + 1) * plane) : p.gray;
    out.set(src, c * plane);
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) out[(4 + c) * plane + y * p.width + x] = 0.25 + 0.5 * src[y * p.width + (p.width - 1 - x)]!;
    }
  }
  return out;
}

export function mountPoolNormPanel(): { render: () => Promise<void> } {
  const poolBox = byId('pool-results');
  const normBox = byId('norm-results');
  const errorBox = byId('poolnorm-error');

  const render = async () => {
    const picture = currentPicture();
    if (!picture) return;
    try {
      const { width: w, height: h } = picture;
      const outs = hc.scope(() => {
        const gray = hc.tensor(picture.gray, [1, 1, h, w]);
        const batch = hc.tensor(batchOf(picture), [2, 4, h, w]);
        return [...POOLS.map((p) => p.run(gray)), ...NORMS.map((n) => n.run(batch))];
      });
      const values: Float32Array[] = [];
      const shapes = outs.map((t) => t.shape);
      try {
        for (const t of outs) values.push(await t.data());
      } finally {
        for (const t of outs) t.dispose();
      }
      renderPools(values.slice(0, POOLS.length), shapes.slice(0, POOLS.length));
      renderNorms(values.slice(POOLS.length), h, w);
      poolBox.dataset.backend = hc.getBackend();
      showError(errorBox, undefined);
    } catch (err) {
      showError(errorBox, err, 'pooling / normalization');
    }
  };

  const renderPools = (values: Float32Array[], shapes: (readonly number[])[]) => {
    const picture = currentPicture()!;
    poolBox.replaceChildren(
      ...POOLS.map((pool, i) => {
        const [, , oh, ow] = shapes[i]! as number[];
        const canvas = el('canvas', { 'data-op': pool.label });
        drawMap(canvas, values[i]!, oh!, ow!, { range: [0, 1], maxSize: 128 });
        canvas.style.width = canvas.style.height = '';
        return el(
          'figure',
          {},
          canvas,
          el('figcaption', {}, `${pool.label}: ${picture.height}×${picture.width} → ${oh}×${ow}`, el('br'), statsText(statsOf(values[i]!))),
        );
      }),
    );
  };

  const renderNorms = (values: Float32Array[], h: number, w: number) => {
    const plane = h * w;
    normBox.replaceChildren(
      el('div', { class: 'norm-row norm-head' }, el('span', {}, 'image 1 of the batch →'), ...CHANNELS.map((c) => el('span', {}, c)), el('span', {}, 'statistics of the output (both images)')),
      ...NORMS.map((norm, i) => {
        const v = values[i]!;
        const canvases = CHANNELS.map((c, ch) => {
          const canvas = el('canvas', { 'data-op': `${norm.label} ${c}` });
          drawMap(canvas, v, h, w, { offset: ch * plane, scheme: 'diverging', range: [-2.5, 2.5], maxSize: 96 });
          return canvas;
        });
        const perChannel = CHANNELS.map((c, ch) => {
          const s = statsOf(v, ch * plane, (ch + 1) * plane);
          return `${c} ${fmt(s.mean, 2)}±${fmt(s.std, 2)}`;
        }).join(', ');
        return el(
          'div',
          { class: 'norm-row' },
          el('span', { class: 'norm-name' }, norm.label, el('small', {}, norm.over)),
          ...canvases,
          el('span', { class: 'norm-stats' }, statsText(statsOf(v)), el('br'), `image 1 per channel (mean±std): ${perChannel}`),
        );
      }),
    );
  };

  onPicture(() => void render());
  return { render };
}
