// Every kernel the JS side calls. Each parallel kernel takes [lo, hi) of its work units last, so
// one call can be split across threads sharing this memory.
export { heapBase, peakProbe } from './common';
export { padDilate, packWeights, convBlocked, convPairs, convRows, convRowsNarrow, convPixels, convPixelRows, padConvPixelRows, convFilterGrad, reverseSpatial } from './conv';
export { maxPool, avgPool, globalAvgPool } from './pool';
export {
  meanVar, meanSquare, channelAffine, planeGradSums, normGradApply, normGradParams,
  layerNormRows, layerNormGradRows, layerNormGradParams, tlu, tluGrad, tluGradTau,
} from './norm';
export { winogradWeights, maxMagnitude, winogradInput, winogradProducts, winogradOutput } from './winograd';
export { winogradRowsWeights, winogradRowsInput, winogradRowsProducts } from './winograd_rows';
export { gemm, transpose2d, softmax, softmaxGrad, argmax, crossEntropy } from './dense';
export { unary, strided, reduceAdd, copyBlocks, scaledAdd, sgd, sgdMomentum, adam, agc } from './elementwise';
