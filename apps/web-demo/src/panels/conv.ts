/**
 * "Convolution as feature detection": the picture through one 2-d filter on the current backend,
 * the output size from the formula, and the same convolution as a dense (Toeplitz) matrix on a
 * small input (hc.convToMatrix), checked against conv2d.
 */
import * as hc from '@hypercolumn/core';
import { currentPicture, loadFile, loadScene, onPicture, setPicture } from '../image-source.js';
import { byId, drawMap, el, fmt, showError, statsOf, statsText } from '../ui.js';

export const PRESETS: Record<string, number[][]> = {
  'Sobel x': [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
  'Sobel y': [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
  Laplacian: [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
  blur: [[1 / 16, 2 / 16, 1 / 16], [2 / 16, 4 / 16, 2 / 16], [1 / 16, 2 / 16, 1 / 16]],
  sharpen: [[0, -1, 0], [-1, 5, -1], [0, -1, 0]],
  'diagonal edge': [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
  identity: [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
};

/** The Toeplitz view's input: small enough that every matrix entry is a visible cell. */
const MATRIX_INPUT = 6;

export interface ConvSettings {
  kernel: number[][];
  padding: 'valid' | 'same' | 'explicit';
  explicitPad: number;
  stride: number;
  dilation: number;
  mode: hc.ConvMode;
}

function paddingOption(s: ConvSettings): hc.Padding2d {
  return s.padding === 'explicit' ? s.explicitPad : s.padding;
}

/** Output size per axis, the formula with the numbers put in (DESIGN §3). */
export function formulaText(axis: string, size: number, k: number, s: ConvSettings, before: number, after: number, out: number): string {
  const d = s.dilation;
  const general = `floor((${axis} + p₁ + p₂ − d(k−1) − 1)/s) + 1`;
  const values = `floor((${size} + ${before} + ${after} − ${d}·${k - 1} − 1)/${s.stride}) + 1 = ${out}`;
  const same = s.padding === 'same' ? ` (same: out = ceil(${size}/${s.stride}), total pad max((out−1)s + d(k−1) + 1 − ${axis}, 0) = ${before + after}, odd pixel after)` : '';
  return `${axis}out = ${general} = ${values}${same}`;
}

export function mountConvPanel(): { render: () => Promise<void> } {
  const grid = byId('conv-kernel');
  const presetSelect = byId<HTMLSelectElement>('conv-preset');
  const sizeSelect = byId<HTMLSelectElement>('conv-size');
  const paddingSelect = byId<HTMLSelectElement>('conv-padding');
  const padInput = byId<HTMLInputElement>('conv-pad');
  const strideInput = byId<HTMLInputElement>('conv-stride');
  const dilationInput = byId<HTMLInputElement>('conv-dilation');
  const modeSelect = byId<HTMLSelectElement>('conv-mode');
  const fileInput = byId<HTMLInputElement>('conv-file');
  const sceneButton = byId<HTMLButtonElement>('conv-scene');
  const errorBox = byId('conv-error');
  const inputCanvas = byId<HTMLCanvasElement>('conv-input');
  const outputCanvas = byId<HTMLCanvasElement>('conv-output');
  const formula = byId('conv-formula');
  const outStats = byId('conv-stats');
  const matrixCanvas = byId<HTMLCanvasElement>('conv-matrix');
  const matrixNote = byId('conv-matrix-note');

  for (const name of Object.keys(PRESETS)) presetSelect.append(el('option', { value: name }, name));
  let cells: HTMLInputElement[] = [];

  const buildGrid = (kernel: number[][]) => {
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `repeat(${kernel.length}, 4.2em)`;
    cells = kernel.flat().map((v, i) => {
      const input = el('input', { type: 'number', step: '0.1', 'aria-label': `kernel ${Math.floor(i / kernel.length)},${i % kernel.length}` });
      input.value = String(Math.round(v * 10000) / 10000);
      input.addEventListener('input', () => void render());
      grid.append(input);
      return input;
    });
  };

  const usePreset = (name: string) => {
    const base = PRESETS[name]!;
    const size = Number(sizeSelect.value);
    // A 5×5 preset is the 3×3 one at the centre (zeros around): same response, the formula shows the bigger k.
    const kernel = Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => base[r - (size - 3) / 2]?.[c - (size - 3) / 2] ?? 0));
    buildGrid(kernel);
  };

  const settings = (): ConvSettings => {
    const size = Math.round(Math.sqrt(cells.length));
    const bad = cells.findIndex((c) => c.value.trim() === '' || !Number.isFinite(Number(c.value)));
    const values = cells.map((c) => Number(c.value));
    if (bad >= 0) throw new Error(`kernel cell ${Math.floor(bad / size)},${bad % size}: expected a number, got ${JSON.stringify(cells[bad]!.value)}`);
    return {
      kernel: Array.from({ length: size }, (_, r) => values.slice(r * size, r * size + size)),
      padding: paddingSelect.value as ConvSettings['padding'],
      explicitPad: Number(padInput.value),
      stride: Number(strideInput.value),
      dilation: Number(dilationInput.value),
      mode: modeSelect.value as hc.ConvMode,
    };
  };

  let generation = 0;
  const render = async () => {
    const picture = currentPicture();
    if (!picture) return;
    const mine = ++generation;
    padInput.disabled = paddingSelect.value !== 'explicit';
    try {
      const s = settings();
      drawMap(inputCanvas, picture.gray, picture.height, picture.width, { range: [0, 1] });
      const k = s.kernel.length;
      const options: hc.Conv2dOptions = { padding: paddingOption(s), stride: s.stride, dilation: s.dilation, mode: s.mode };
      // Core checks everything (HypercolumnError naming the argument) before any tensor exists.
      const geometry = hc.conv2dGeometry('conv2d', [1, 1, picture.height, picture.width], [1, 1, k, k], options);
      const y = hc.scope(() => {
        const x = hc.tensor(picture.gray, [1, 1, picture.height, picture.width]);
        const w = hc.tensor(s.kernel.flat(), [1, 1, k, k]);
        return hc.conv2d(x, w, null, options);
      });
      let values: Float32Array;
      try {
        values = await y.data();
      } finally {
        y.dispose();
      }
      if (mine !== generation) return;
      drawMap(outputCanvas, values, geometry.outHeight, geometry.outWidth, { scheme: 'diverging' });
      outputCanvas.dataset.backend = hc.getBackend();
      formula.replaceChildren(
        el('div', {}, formulaText('H', picture.height, k, s, geometry.padTop, geometry.padBottom, geometry.outHeight)),
        el('div', {}, formulaText('W', picture.width, k, s, geometry.padLeft, geometry.padRight, geometry.outWidth)),
        el('div', {}, `input ${picture.height}×${picture.width} (${picture.name}) → feature map ${geometry.outHeight}×${geometry.outWidth} on ${hc.getBackend()}; ${s.mode === 'convolution' ? 'true convolution: kernel flipped in both axes' : 'correlation (what deep learning calls convolution)'}`),
      );
      outStats.textContent = `feature map: ${statsText(statsOf(values))} (blue < 0 < orange)`;
      await renderMatrix(s, options);
      showError(errorBox, undefined);
    } catch (err) {
      if (mine !== generation) return;
      showError(errorBox, err, 'convolution');
      // No stale picture beside the message: the map, formula and matrix were for other settings.
      for (const canvas of [outputCanvas, matrixCanvas]) canvas.width = canvas.height = 1;
      formula.textContent = outStats.textContent = matrixNote.textContent = '';
      delete outputCanvas.dataset.backend;
    }
  };

  /** The Toeplitz matrix of this filter on a 6×6 input, and a check that M·x equals conv2d(x). */
  const renderMatrix = async (s: ConvSettings, options: hc.Conv2dOptions) => {
    const k = s.kernel.length;
    try {
      const [m, y, xValues] = hc.scope(() => {
        const w = hc.tensor(s.kernel.flat(), [1, 1, k, k]);
        const xValues = Float32Array.from({ length: MATRIX_INPUT ** 2 }, (_, i) => ((i * 7) % 11) / 10);
        const x = hc.tensor(xValues, [1, 1, MATRIX_INPUT, MATRIX_INPUT]);
        return [hc.convToMatrix(w, [1, MATRIX_INPUT, MATRIX_INPUT], options), hc.conv2d(x, w, null, options), xValues] as const;
      });
      try {
        const [rows, cols] = m.shape as [number, number];
        const matrix = await m.data();
        const direct = await y.data();
        let worst = 0;
        for (let r = 0; r < rows; r++) {
          let dot = 0;
          for (let c = 0; c < cols; c++) dot += matrix[r * cols + c]! * xValues[c]!;
          worst = Math.max(worst, Math.abs(dot - direct[r]!));
        }
        drawMap(matrixCanvas, matrix, rows, cols, { scheme: 'diverging', maxSize: 432 });
        matrixNote.textContent =
          `M is ${rows}×${cols}: one row per output pixel (${y.shape[2]}×${y.shape[3]}), one column per input pixel (${MATRIX_INPUT}×${MATRIX_INPUT}); ` +
          `each row is the kernel laid onto the input where that output looks. max |M·x − conv2d(x)| = ${fmt(worst, 7)}`;
      } finally {
        m.dispose();
        y.dispose();
      }
    } catch (err) {
      matrixNote.textContent = `no matrix view for these settings on a ${MATRIX_INPUT}×${MATRIX_INPUT} input: ${(err as Error).message}`;
      matrixCanvas.width = matrixCanvas.height = 1;
    }
  };

  presetSelect.addEventListener('change', () => {
    usePreset(presetSelect.value);
    void render();
  });
  sizeSelect.addEventListener('change', () => {
    usePreset(presetSelect.value);
    void render();
  });
  for (const input of [paddingSelect, padInput, strideInput, dilationInput, modeSelect]) input.addEventListener('input', () => void render());
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      setPicture(await loadFile(file));
    } catch (err) {
      showError(errorBox, err, 'image');
    }
  });
  sceneButton.addEventListener('click', async () => {
    setPicture(await loadScene());
  });
  onPicture(() => void render());
  usePreset('Sobel x');
  return { render };
}
