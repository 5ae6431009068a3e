/** Small DOM and canvas helpers shared by the panels (no UI framework). */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page: element #${id} is missing`);
  return node as T;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Shows `err` in a panel's message box (role=alert), or clears it. */
export function showError(box: HTMLElement, err: unknown | undefined, context = ''): void {
  if (err === undefined) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  box.hidden = false;
  box.textContent = (context ? `${context}: ` : '') + errorText(err);
  // The picker listens: a failure may mean a backend was lost (core then reports it unavailable).
  window.dispatchEvent(new CustomEvent('hc-panel-error'));
}

export interface Stats {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export function statsOf(values: ArrayLike<number>, start = 0, end = values.length): Stats {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < end; i++) {
    const v = values[i]!;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = end - start;
  const mean = sum / n;
  let sq = 0;
  for (let i = start; i < end; i++) sq += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n), min, max };
}

export const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits).replace(/^-(0\.0*)$/, '$1') : String(v));

export function statsText(s: Stats): string {
  return `mean ${fmt(s.mean)} · std ${fmt(s.std)} · min ${fmt(s.min)} · max ${fmt(s.max)}`;
}

/**
 * Draws a `height`×`width` map into `canvas`, scaled up with square pixels. `gray`: lo→black,
 * hi→white. `diverging`: negative blue, zero white-ish grey, positive orange, symmetric around 0.
 */
export function drawMap(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  height: number,
  width: number,
  options: { offset?: number; scheme?: 'gray' | 'diverging'; range?: [number, number]; maxSize?: number } = {},
): void {
  const offset = options.offset ?? 0;
  const scheme = options.scheme ?? 'gray';
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) {
    for (let i = 0; i < height * width; i++) {
      const v = values[offset + i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (scheme === 'diverging') {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    [lo, hi] = [-m, m];
  }
  const span = hi - lo || 1;
  const image = new ImageData(width, height);
  for (let i = 0; i < height * width; i++) {
    const t = Math.min(1, Math.max(0, (values[offset + i]! - lo) / span));
    const p = i * 4;
    if (scheme === 'gray') {
      image.data[p] = image.data[p + 1] = image.data[p + 2] = Math.round(t * 255);
    } else {
      // blue (t = 0) → light grey (0.5) → orange (1)
      const a = Math.abs(t - 0.5) * 2;
      const [r, g, b] = t < 0.5 ? [33, 102, 172] : [214, 96, 37];
      image.data[p] = Math.round(235 + (r - 235) * a);
      image.data[p + 1] = Math.round(235 + (g - 235) * a);
      image.data[p + 2] = Math.round(235 + (b - 235) * a);
    }
    image.data[p + 3] = 255;
  }
  const maxSize = options.maxSize ?? 256;
  const scale = Math.max(1, Math.floor(maxSize / Math.max(width, height)));
  canvas.width = width * scale;
  canvas.height = height * scale;
  const ctx = canvas.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  const tmp = new OffscreenCanvas(width, height);
  tmp.getContext('2d')!.putImageData(image, 0, 0);
  ctx.drawImage(tmp, 0, 0, width * scale, height * scale);
}

export interface Bar {
  label: string;
  value: number;
  note?: string;
  highlight?: boolean;
  color?: string;
}

/** Horizontal bar chart: one row per bar, value printed at the end of the bar. */
export function drawBars(canvas: HTMLCanvasElement, bars: Bar[], options: { unit?: string; max?: number; labelWidth?: number; width?: number } = {}): void {
  const rowHeight = 22;
  const labelWidth = options.labelWidth ?? 150;
  const width = options.width ?? 560;
  canvas.width = width;
  canvas.height = Math.max(1, bars.length) * rowHeight + 8;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const max = options.max ?? Math.max(1e-12, ...bars.map((b) => b.value));
  ctx.font = '12px system-ui, sans-serif';
  const noteOf = (bar: Bar) => bar.note ?? `${fmt(bar.value, 2)}${options.unit ? ` ${options.unit}` : ''}`;
  const noteWidth = Math.max(0, ...bars.map((b) => ctx.measureText(noteOf(b)).width)) + 12;
  ctx.textBaseline = 'middle';
  bars.forEach((bar, i) => {
    const y = 4 + i * rowHeight;
    ctx.fillStyle = '#222';
    ctx.textAlign = 'right';
    ctx.fillText(bar.label, labelWidth - 8, y + rowHeight / 2);
    const length = Math.max(0, (bar.value / max) * (width - labelWidth - noteWidth));
    ctx.fillStyle = bar.highlight ? '#d6602a' : (bar.color ?? '#3b7dd8');
    ctx.fillRect(labelWidth, y + 3, length, rowHeight - 6);
    ctx.fillStyle = '#222';
    ctx.textAlign = 'left';
    ctx.fillText(noteOf(bar), labelWidth + length + 6, y + rowHeight / 2);
  });
}

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Own y range; defaults to the data's. */
  range?: [number, number];
}

/** Line chart of several series over a shared x axis, each scaled to its own y range (legend shows it). */
export function drawLines(canvas: HTMLCanvasElement, series: Series[], xLabel: string): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = { left: 40, right: 10, top: 24, bottom: 24 };
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const xMax = Math.max(1, ...xs);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#555';
  ctx.textAlign = 'center';
  ctx.fillText(`${xLabel} (0 … ${xMax})`, width / 2, height - 6);
  series.forEach((s, k) => {
    const ys = s.points.map((p) => p[1]);
    const [lo, hi] = s.range ?? [Math.min(0, ...ys), Math.max(1e-9, ...ys)];
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => {
      const px = pad.left + (x / xMax) * (width - pad.left - pad.right);
      const py = height - pad.bottom - ((y - lo) / (hi - lo || 1)) * (height - pad.top - pad.bottom);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.stroke();
    ctx.fillStyle = s.color;
    // Dots as well: a series measured now and then (test accuracy) may have a single point.
    for (const [x, y] of s.points.length <= 60 ? s.points : []) {
      ctx.beginPath();
      ctx.arc(pad.left + (x / xMax) * (width - pad.left - pad.right), height - pad.bottom - ((y - lo) / (hi - lo || 1)) * (height - pad.top - pad.bottom), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.textAlign = 'left';
    const last = ys.length ? fmt(ys[ys.length - 1]!, 3) : '–';
    ctx.fillText(`${s.label}: ${last} (axis ${fmt(lo, 2)}…${fmt(hi, 2)})`, pad.left + k * 220, 14);
  });
}

/** Lets the browser paint between chunks of work. */
export const nextFrame = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
