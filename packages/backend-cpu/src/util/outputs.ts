import type { KernelName, KernelOutputs, TensorInfo } from '@hypercolumn/core';

/**
 * The output tuple of a multi-output kernel, in the contract's order. One typed place for the
 * conversion: `KernelOutputs` maps over the output-name tuple through an indexed access, which
 * TypeScript does not treat as a homomorphic tuple mapping (it demands `length: TensorInfo`), so a
 * plain array literal does not type-check against it.
 */
export function outputs<K extends KernelName>(...infos: TensorInfo<Float32Array>[]): KernelOutputs<K, Float32Array> {
  return infos as unknown as KernelOutputs<K, Float32Array>;
}
