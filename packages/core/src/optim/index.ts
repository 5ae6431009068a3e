/** Optimizers and gradient clipping (`hc.optim`). */
export { SGD, type SGDOptions } from './sgd.js';
export { adaptiveGradClip, clipGradNorm, type AdaptiveGradClipOptions } from './clip.js';
export type { ParamsInput } from './params.js';
