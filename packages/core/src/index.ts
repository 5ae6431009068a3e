export { HypercolumnError } from './errors.js';
export { Tensor } from './tensor.js';
export type { Backend, BackendFactory, KernelImpl, KernelTable } from './backend.js';
export * from './kernels.js';
export {
  registerBackend, removeBackend, setBackend, getBackend, listBackends, ready, memory, scope, keep, noGrad,
  isGradEnabled, runKernel, DEFAULT_PRIORITIES, type BackendInfo, type MemoryInfo,
} from './engine.js';
export * from './shape.js';
