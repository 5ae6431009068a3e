/**
 * LeNet-5 for the page: train-mnist's own model definition (so the committed pretrained weights fit
 * it by construction), the digits asset, and the pretrained state dict.
 */
import * as hc from '@hypercolumn/core';
import { buildModel } from 'train-mnist/dist/models.js';
import { decodeDigits, type DigitsAsset, PIXELS } from './digits-format.js';

export { PIXELS };

/** A model, the backend its parameters live on, and the standardisation its inputs need. */
export interface Classifier {
  model: hc.nn.Sequential;
  backend: string;
  mean: number;
  std: number;
  source: string;
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const url = `${import.meta.env.BASE_URL}${path}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot load ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

let digits: Promise<DigitsAsset> | undefined;

/** The mnist digits in train-mnist's split (8,000 train / 2,000 test), fetched once. */
export function loadDigitsAsset(): Promise<DigitsAsset> {
  digits ??= fetchBytes('data/digits.bin').then(decodeDigits);
  digits.catch(() => (digits = undefined));
  return digits;
}

/** A fresh LeNet-5 on the current backend, PyTorch default initialisation from `seed`. */
export function freshLenet(seed: number): hc.nn.Sequential {
  hc.manualSeed(seed);
  return buildModel('lenet');
}

let pretrainedBytes: Promise<{ state: Uint8Array; meta: { mean: number; std: number; testAccuracy?: number; epochs?: number } }> | undefined;

/** The committed pretrained LeNet-5 (apps/web-demo/pretrained/lenet.hcm), on the current backend. */
export async function loadPretrained(): Promise<Classifier> {
  pretrainedBytes ??= Promise.all([fetchBytes('data/lenet.hcsd'), fetchBytes('data/lenet.json')]).then(([state, meta]) => ({
    state,
    meta: JSON.parse(new TextDecoder().decode(meta)),
  }));
  pretrainedBytes.catch(() => (pretrainedBytes = undefined));
  const { state, meta } = await pretrainedBytes;
  const model = buildModel('lenet');
  const dict = hc.nn.loadStateDictBytes(state);
  try {
    model.loadStateDict(dict);
  } finally {
    for (const t of Object.values(dict)) t.dispose();
  }
  model.eval();
  const accuracy = typeof meta.testAccuracy === 'number' ? `, ${(meta.testAccuracy * 100).toFixed(2)} % on the 2,000 test digits` : '';
  return { model, backend: hc.getBackend(), mean: meta.mean, std: meta.std, source: `pretrained (train-mnist, ${meta.epochs ?? '?'} epochs${accuracy})` };
}

/** Softmax probabilities of one 28×28 image (raw pixels in [0, 1]) under `c`, on the model's backend. */
export async function classify(c: Classifier, pixels: Float32Array): Promise<Float32Array> {
  const x = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) x[i] = (pixels[i]! - c.mean) / c.std;
  const probs = hc.noGrad(() => hc.scope(() => hc.softmax(c.model.forward(hc.tensor(x, [1, 1, 28, 28], { backend: c.backend })))));
  try {
    return await probs.data();
  } finally {
    probs.dispose();
  }
}
