import * as hc from '@hypercolumn/core';
import type { ModelName } from './options.js';

type Module = hc.nn.Module;

export const MODEL_DESCRIPTIONS: Record<ModelName, string> = {
  lenet: 'LeNet-5: conv 1→6 5×5 pad 2, ReLU, maxpool 2, conv 6→16 5×5, ReLU, maxpool 2, fc 400→120→84→10',
  'lenet-bn': 'LeNet-5 with BatchNorm2d after each conv (conv without bias)',
  'lenet-gn': 'LeNet-5 with GroupNorm after each conv (2 groups of 3 channels, 4 groups of 4)',
  'lenet-frn': 'LeNet-5 with FilterResponseNorm2d (FRN + TLU, replacing the ReLU) after each conv',
  'lenet-renorm': 'LeNet-5 with BatchRenorm2d (rMax 3, dMax 5) after each conv (conv without bias)',
  nf: 'normaliser-free LeNet-5: WSConv2d (scaled weight standardisation) + ReLU, trained with AGC',
};

/**
 * The conv part of one stage: conv → [norm] → activation → maxpool 2. `conv1` has pad 2 so the
 * 28×28 input keeps its size (as in the classic 32×32 LeNet-5), conv2 is unpadded: 14 → 10 → 5.
 */
function stage(model: ModelName, inC: number, outC: number, padding: number): Module[] {
  const nn = hc.nn;
  const pool = new nn.MaxPool2d(2);
  switch (model) {
    case 'lenet':
      return [new nn.Conv2d(inC, outC, 5, { padding }), new nn.ReLU(), pool];
    case 'lenet-bn':
      return [new nn.Conv2d(inC, outC, 5, { padding, bias: false }), new nn.BatchNorm2d(outC), new nn.ReLU(), pool];
    case 'lenet-renorm':
      return [new nn.Conv2d(inC, outC, 5, { padding, bias: false }), new nn.BatchRenorm2d(outC), new nn.ReLU(), pool];
    case 'lenet-gn':
      return [new nn.Conv2d(inC, outC, 5, { padding }), new nn.GroupNorm(outC === 6 ? 2 : 4, outC), new nn.ReLU(), pool];
    case 'lenet-frn':
      return [new nn.Conv2d(inC, outC, 5, { padding }), new nn.FilterResponseNorm2d(outC), pool];
    case 'nf':
      return [new nn.WSConv2d(inC, outC, 5, { padding }), new nn.ReLU(), pool];
  }
}

/** Builds a model (PyTorch default initialisation from hypercolumn's global seeded generator). */
export function buildModel(model: ModelName): hc.nn.Sequential {
  const nn = hc.nn;
  return new nn.Sequential(
    ...stage(model, 1, 6, 2),
    ...stage(model, 6, 16, 0),
    new nn.Flatten(),
    new nn.Linear(400, 120),
    new nn.ReLU(),
    new nn.Linear(120, 84),
    new nn.ReLU(),
    new nn.Linear(84, 10),
  );
}

/** Parameters of every layer except the classifier (the last Linear): AGC leaves it alone (Brock et al.). */
export function agcParameters(model: hc.nn.Sequential): hc.Tensor[] {
  const layers = model.children();
  const classifier = layers[layers.length - 1]!;
  const skip = new Set(classifier.parameters());
  return model.parameters().filter((p) => !skip.has(p));
}

/**
 * A copy of `model` for inference with every Conv2d → BatchNorm2d pair folded into one Conv2d
 * (`hc.fuseConvBatchNorm`); the other layers are shared with `model`. Returns the new Sequential
 * and the fused convs (dispose those when done, not the shared layers), or undefined when the
 * model has no such pair.
 */
export function fuseBatchNorm(model: hc.nn.Sequential): { model: hc.nn.Sequential; fused: hc.nn.Conv2d[] } | undefined {
  const layers = model.children();
  const out: Module[] = [];
  const fused: hc.nn.Conv2d[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i]!;
    const next = layers[i + 1];
    if (layer instanceof hc.nn.Conv2d && next instanceof hc.nn.BatchNorm2d) {
      const conv = hc.fuseConvBatchNorm(layer, next);
      conv.eval();
      fused.push(conv);
      out.push(conv);
      i++;
    } else out.push(layer);
  }
  if (!fused.length) return undefined;
  const seq = new hc.nn.Sequential(...out);
  seq.eval();
  return { model: seq, fused };
}

export function parameterCount(model: Module): number {
  return model.parameters().reduce((n, p) => n + p.size, 0);
}
