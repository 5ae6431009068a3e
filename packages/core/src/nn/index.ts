/** Layers (`hc.nn`): modules with parameters, buffers, train/eval modes and state dicts. */
export { Module, type LoadStateDictOptions } from './module.js';
export { Conv1d, Conv2d, WSConv2d, type Conv1dLayerOptions, type Conv2dLayerOptions, type WSConv2dOptions } from './conv.js';
export {
  MaxPool2d, AvgPool2d, MaxPool1d, AvgPool1d, GlobalAvgPool2d, ReLU, Flatten, Linear,
  BatchNorm2d, BatchNorm1d, BatchRenorm2d, LayerNorm, InstanceNorm2d, GroupNorm, FilterResponseNorm2d,
  Sequential, Residual,
  type LinearOptions, type BatchNormLayerOptions, type BatchRenormLayerOptions, type LayerNormOptions,
  type AffineNormOptions, type FilterResponseNormOptions, type ResidualOptions,
} from './layers.js';
export { saveStateDict, saveStateDictAsync, loadStateDictBytes, STATE_DICT_FORMAT_VERSION } from './serialize.js';
export { fuseConvBatchNorm } from './fuse.js';
export { Sigmoid, Tanh, Dropout, type DropoutLayerOptions } from './activations.js';
export { summary, type SummaryRow } from './summary.js';
