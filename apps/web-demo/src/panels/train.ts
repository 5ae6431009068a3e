/**
 * "Train LeNet here": LeNet-5 trained on the mnist digits on the chosen backend, SGD with momentum
 * as train-mnist does, one step per batch with the page kept responsive between steps; a live
 * loss/accuracy chart, images/s, pause/resume and stop. The result can then classify drawings.
 */
import * as hc from '@hypercolumn/core';
import type { DigitSet } from '../digits-format.js';
import { freshLenet, loadDigitsAsset, PIXELS, type Classifier } from '../model.js';
import { byId, drawLines, fmt, nextFrame, showError } from '../ui.js';

/** Test accuracy is measured every EVAL_EVERY steps on the first EVAL_IMAGES test digits (every class is in them). */
const EVAL_EVERY = 25;
const EVAL_IMAGES = 500;

type State = 'idle' | 'running' | 'paused' | 'stopping';

export interface TrainPanel {
  stop(reason: string): void;
}

function argmax(values: Float32Array, row: number): number {
  let best = 0;
  for (let c = 1; c < 10; c++) if (values[row * 10 + c]! > values[row * 10 + best]!) best = c;
  return best;
}

/** Accuracy of `model` on the first `n` images of `set` (standardised with mean/std). */
async function testAccuracy(model: hc.nn.Sequential, backend: string, set: DigitSet, n: number, mean: number, std: number): Promise<number> {
  model.eval();
  const x = new Float32Array(n * PIXELS);
  for (let i = 0; i < x.length; i++) x[i] = (set.images[i]! - mean) / std;
  const logits = hc.noGrad(() => hc.scope(() => model.forward(hc.tensor(x, [n, 1, 28, 28], { backend }))));
  const values = await logits.data().finally(() => logits.dispose());
  model.train();
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmax(values, i) === set.labels[i]) correct++;
  return correct / n;
}

export function mountTrainPanel(onModel: (c: Classifier | undefined) => void): TrainPanel {
  const startButton = byId<HTMLButtonElement>('train-start');
  const pauseButton = byId<HTMLButtonElement>('train-pause');
  const stopButton = byId<HTMLButtonElement>('train-stop');
  const batchInput = byId<HTMLSelectElement>('train-batch');
  const lrInput = byId<HTMLInputElement>('train-lr');
  const status = byId('train-status');
  const chart = byId<HTMLCanvasElement>('train-chart');
  const errorBox = byId('train-error');
  let state: State = 'idle';
  // Read through a function: the buttons change it while `run` awaits, which TS's narrowing cannot see.
  const now = (): State => state;
  let resume: (() => void) | undefined;
  let stopReason = '';
  let lastModel: hc.nn.Sequential | undefined;

  const setState = (next: State) => {
    state = next;
    status.dataset.state = next;
    startButton.disabled = next !== 'idle';
    pauseButton.disabled = next === 'idle' || next === 'stopping';
    stopButton.disabled = next === 'idle' || next === 'stopping';
    pauseButton.textContent = next === 'paused' ? 'Resume' : 'Pause';
  };

  const run = async () => {
    const batchSize = Number(batchInput.value);
    const lr = Number(lrInput.value);
    if (!(lr > 0 && lr <= 1)) throw new Error(`learning rate: expected a number in (0, 1], got ${JSON.stringify(lrInput.value)}`);
    status.textContent = 'loading the digits…';
    const digits = await loadDigitsAsset();
    const { train, test, mean, std } = digits;
    const backend = hc.getBackend();
    const model = freshLenet(1);
    const optimizer = new hc.optim.SGD(model.parameters(), { lr, momentum: 0.9, weightDecay: 5e-4 });
    const rng = new hc.RandomGenerator(1);
    const order = Int32Array.from({ length: train.count }, (_, i) => i);
    const x = new Float32Array(batchSize * PIXELS);
    const y = new Int32Array(batchSize);
    const losses: [number, number][] = [];
    const accuracies: [number, number][] = [];
    status.dataset.losses = '[]';
    status.dataset.steps = '0';
    let images = 0;
    let activeMs = 0;
    let step = 0;
    let correctInEpoch = 0;
    let seenInEpoch = 0;
    model.train();
    try {
      for (let epoch = 1; now() !== 'stopping'; epoch++) {
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.floor(rng.nextFloat() * (i + 1));
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        correctInEpoch = seenInEpoch = 0;
        for (let at = 0; at + batchSize <= train.count && now() !== 'stopping'; at += batchSize) {
          if (now() === 'paused') await new Promise<void>((r) => (resume = r));
          if (now() === 'stopping') break;
          const t0 = performance.now();
          for (let k = 0; k < batchSize; k++) {
            const src = order[at + k]!;
            for (let p = 0; p < PIXELS; p++) x[k * PIXELS + p] = (train.images[src * PIXELS + p]! - mean) / std;
            y[k] = train.labels[src]!;
          }
          const [logits, loss] = hc.scope(() => {
            // Explicit backend: a switch in the picker stops training, but must not move a step that is under way.
            const out = model.forward(hc.tensor(x, [batchSize, 1, 28, 28], { backend }));
            const l = hc.crossEntropy(out, y);
            l.backward();
            optimizer.step();
            optimizer.zeroGrad();
            return [out, l];
          });
          const lossValue = (await loss.data().finally(() => loss.dispose()))[0]!;
          const values = await logits.data().finally(() => logits.dispose());
          if (!Number.isFinite(lossValue)) throw new Error(`training diverged: loss is ${lossValue} at step ${step + 1} (try a smaller learning rate)`);
          for (let k = 0; k < batchSize; k++) if (argmax(values, k) === y[k]) correctInEpoch++;
          seenInEpoch += batchSize;
          activeMs += performance.now() - t0;
          images += batchSize;
          step++;
          losses.push([step, lossValue]);
          if (step % EVAL_EVERY === 0) accuracies.push([step, await testAccuracy(model, backend, test, Math.min(EVAL_IMAGES, test.count), mean, std)]);
          status.dataset.losses = JSON.stringify(losses.map((l) => l[1]));
          status.dataset.steps = String(step);
          // Live tensors (the whole page's) after each step: flat once the optimizer's buffers exist,
          // while no other panel holds tensors of its own work (the e2e test checks it).
          status.dataset.liveTensors = `${status.dataset.liveTensors && step > 1 ? `${status.dataset.liveTensors},` : ''}${hc.memory().numTensors}`;
          status.textContent =
            `epoch ${epoch}, step ${step}: loss ${fmt(lossValue, 4)}, train accuracy this epoch ${fmt((100 * correctInEpoch) / seenInEpoch, 1)} %` +
            (accuracies.length ? `, test accuracy ${fmt(100 * accuracies[accuracies.length - 1]![1], 1)} % (${EVAL_IMAGES} digits)` : '') +
            ` · ${fmt(images / (activeMs / 1000), 0)} images/s on ${backend} (batch ${batchSize})`;
          drawLines(
            chart,
            [
              { label: 'loss', color: '#d6602a', points: losses, range: [0, Math.max(2.5, ...losses.map((l) => l[1]))] },
              { label: `test accuracy (every ${EVAL_EVERY} steps)`, color: '#3b7dd8', points: accuracies, range: [0, 1] },
            ],
            'step',
          );
          await nextFrame();
        }
      }
      lastModel = model;
      onModel({ model, backend, mean, std, source: `trained here (${step} steps, batch ${batchSize})` });
      status.textContent += ` · stopped${stopReason ? `: ${stopReason}` : ''}; draw a digit below with this model`;
    } catch (err) {
      model.dispose();
      throw err;
    } finally {
      optimizer.zeroGrad();
      optimizer.dispose();
    }
  };

  startButton.addEventListener('click', () => {
    showError(errorBox, undefined);
    stopReason = '';
    onModel(undefined);
    lastModel?.dispose();
    lastModel = undefined;
    setState('running');
    run()
      .catch((err) => showError(errorBox, err, 'training'))
      .finally(() => setState('idle'));
  });
  pauseButton.addEventListener('click', () => {
    if (state === 'running') setState('paused');
    else if (state === 'paused') {
      setState('running');
      resume?.();
    }
  });
  const stop = (reason: string) => {
    if (state === 'idle') return;
    stopReason = reason;
    setState('stopping');
    resume?.();
  };
  stopButton.addEventListener('click', () => stop(''));
  setState('idle');
  return { stop };
}
