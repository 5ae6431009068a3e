/**
 * "Draw a digit": strokes on a canvas, turned into an MNIST-like 28×28 image (the digit scaled into a
 * 20×20 box, centred by its centre of mass, as the MNIST images were made) and classified live,
 * with a bar chart of the softmax probabilities.
 */
import * as hc from '@hypercolumn/core';
import { classify, loadPretrained, PIXELS, type Classifier } from '../model.js';
import { byId, drawBars, drawMap, errorText, showError } from '../ui.js';

const SIZE = 28;
const BOX = 20;

/** MNIST-style 28×28 image in [0, 1] from a white-on-black drawing; undefined when nothing is drawn. */
export function mnistImage(canvas: HTMLCanvasElement): Float32Array | undefined {
  const { width, height } = canvas;
  const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[(y * width + x) * 4]! > 25) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return undefined;
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = BOX / Math.max(bw, bh);
  const [sw, sh] = [Math.max(1, Math.round(bw * scale)), Math.max(1, Math.round(bh * scale))];
  const small = new OffscreenCanvas(sw, sh);
  const sctx = small.getContext('2d')!;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(canvas, x0, y0, bw, bh, 0, 0, sw, sh);
  const pixels = sctx.getImageData(0, 0, sw, sh).data;
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = pixels[(y * sw + x) * 4]! / 255;
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  const ox = Math.round(SIZE / 2 - (mass ? mx / mass : sw / 2) - 0.5);
  const oy = Math.round(SIZE / 2 - (mass ? my / mass : sh / 2) - 0.5);
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const [tx, ty] = [x + ox, y + oy];
      if (tx >= 0 && tx < SIZE && ty >= 0 && ty < SIZE) out[ty * SIZE + tx] = pixels[(y * sw + x) * 4]! / 255;
    }
  }
  return out;
}

export interface DrawPanel {
  /** Classifies with `c` from now on (the model trained on this page, or the pretrained one again). */
  useClassifier(c: Classifier | undefined): void;
  /** Reloads the pretrained model on the current backend (after a backend switch). */
  backendChanged(): Promise<void>;
}

export function mountDrawPanel(): DrawPanel {
  const canvas = byId<HTMLCanvasElement>('draw-canvas');
  const preview = byId<HTMLCanvasElement>('draw-preview');
  const bars = byId<HTMLCanvasElement>('draw-bars');
  const result = byId('draw-result');
  const source = byId('draw-model');
  const errorBox = byId('draw-error');
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let pretrained: Classifier | undefined;
  let trained: Classifier | undefined;
  let useTrained = false;

  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawMap(preview, new Float32Array(PIXELS), SIZE, SIZE, { range: [0, 1], maxSize: 84 });
    drawBars(bars, Array.from({ length: 10 }, (_, d) => ({ label: String(d), value: 0, note: '' })), { max: 1, labelWidth: 24, width: 300 });
    result.textContent = 'draw a digit (0–9) in the black square';
    delete result.dataset.prediction;
  };

  // One load at a time: callers that overlap (the first load at start, a backend switch, a stroke)
  // share it, so no model is loaded twice and the first copy left undisposed.
  let pretrainedLoad: Promise<unknown> | undefined;
  const classifier = async (): Promise<Classifier> => {
    if (useTrained && trained) return trained;
    while (!pretrained || pretrained.backend !== hc.getBackend()) {
      if (!pretrainedLoad) {
        pretrained?.model.dispose();
        pretrained = undefined;
        pretrainedLoad = loadPretrained()
          .then((c) => (pretrained = c))
          .finally(() => (pretrainedLoad = undefined));
      }
      await pretrainedLoad;
    }
    return pretrained;
  };

  let busy = false;
  let dirty = false;
  const update = async () => {
    if (busy) {
      dirty = true;
      return;
    }
    busy = true;
    try {
      do {
        dirty = false;
        const image = mnistImage(canvas);
        if (!image) continue;
        drawMap(preview, image, SIZE, SIZE, { range: [0, 1], maxSize: 84 });
        const c = await classifier();
        source.textContent = `model: ${c.source}, on ${c.backend}`;
        const probs = await classify(c, image);
        let best = 0;
        for (let d = 1; d < 10; d++) if (probs[d]! > probs[best]!) best = d;
        drawBars(
          bars,
          Array.from(probs, (p, d) => ({ label: String(d), value: p, note: `${(p * 100).toFixed(1)} %`, highlight: d === best })),
          { max: 1, labelWidth: 24, width: 300 },
        );
        result.textContent = `it is a ${best} (${(probs[best]! * 100).toFixed(1)} %)`;
        result.dataset.prediction = String(best);
        showError(errorBox, undefined);
      } while (dirty);
    } catch (err) {
      showError(errorBox, err, 'classifying the drawing');
    } finally {
      busy = false;
    }
  };

  let last: [number, number] | undefined;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  const stroke = (to: [number, number]) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 22;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? to));
    ctx.lineTo(...to);
    ctx.stroke();
    last = to;
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = undefined;
    stroke(at(e));
    void update();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    stroke(at(e));
    void update();
  });
  const end = () => {
    last = undefined;
    void update();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  byId('draw-clear').addEventListener('click', clear);
  const toggle = byId<HTMLInputElement>('draw-use-trained');
  toggle.addEventListener('change', () => {
    useTrained = toggle.checked;
    void update();
  });
  clear();
  classifier().then(
    (c) => (source.textContent = `model: ${c.source}, on ${c.backend}`),
    (err) => showError(errorBox, err, 'loading the pretrained model'),
  );

  return {
    useClassifier(c) {
      trained = c;
      toggle.disabled = !c;
      if (!c) toggle.checked = useTrained = false;
      void update();
    },
    async backendChanged() {
      try {
        const c = await classifier();
        source.textContent = `model: ${c.source}, on ${c.backend}`;
      } catch (err) {
        showError(errorBox, `${errorText(err)}`, 'loading the pretrained model');
      }
      void update();
    },
  };
}
