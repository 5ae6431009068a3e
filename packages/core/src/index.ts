/**
 * @hypercolumn/core — tensors, the kernel contract, the backend registry, autograd, functional ops,
 * layers (`nn`) and optimizers (`optim`). Import a backend package (e.g. `@hypercolumn/backend-cpu`)
 * to register it.
 */
export { HypercolumnError } from './errors.js';
export { Tensor } from './tensor.js';
export type { Backend, BackendFactory, BackendOptions, KernelImpl, KernelTable } from './backend.js';
export * from './kernels.js';
export {
  registerBackend, removeBackend, setBackend, getBackend, listBackends, ready, memory, scope, keep, noGrad,
  isGradEnabled, runKernel, kernelResolution, sync, DEFAULT_PRIORITIES, type BackendInfo, type MemoryInfo, type Placement,
} from './engine.js';
export type { KernelResolution } from './resolution.js';
export { kernelOutputShapes } from './kernel_shapes.js';
export { COMPOSITES, type Composite } from './composites.js';
export { launchCounts, resetLaunchCounts, type BackendCounts } from './counters.js';
export {
  convOutputSize, samePadding, resolvePadding2d, conv2dGeometry, pool2dGeometry, poolOutputSize, broadcastShapes,
  type Padding1d, type Padding2d, type ConvOptions2d, type PoolOptions2d,
} from './shape.js';
export { traceKernels, type KernelLaunch, type KernelRoute } from './trace.js';
export * from './ops/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { manualSeed, randn, rand, RandomGenerator } from './random.js';
export { fuseConvBatchNorm } from './nn/fuse.js';
