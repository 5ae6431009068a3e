/** Optimizers and gradient clipping (`hc.optim`). */
export { SGD, type SGDOptions } from './sgd.js';
export { adaptiveGradClip, clipGradNorm, type AdaptiveGradClipOptions } from './clip.js';
export type { ParamsInput } from './params.js';
export { Adam, AdamW, type AdamOptions, type AdamState } from './adam.js';
export { StepLR, CosineAnnealingLR, type HasLearningRate } from './scheduler.js';
