import { nativeKernel } from '../backend.js';

// Attribute-free elementwise kernels (broadcasting binary ops and unary math).
export const add = nativeKernel('add');
export const sub = nativeKernel('sub');
export const mul = nativeKernel('mul');
export const div = nativeKernel('div');
export const maximum = nativeKernel('maximum');
export const minimum = nativeKernel('minimum');
export const neg = nativeKernel('neg');
export const sqrt = nativeKernel('sqrt');
export const abs = nativeKernel('abs');
export const exp = nativeKernel('exp');
export const log = nativeKernel('log');
export const sigmoid = nativeKernel('sigmoid');
export const tanh = nativeKernel('tanh');

// Scalar operand as an attribute.
export const addScalar = nativeKernel('addScalar', (a) => [a.value]);
export const mulScalar = nativeKernel('mulScalar', (a) => [a.value]);
export const rdivScalar = nativeKernel('rdivScalar', (a) => [a.value]);
export const maximumScalar = nativeKernel('maximumScalar', (a) => [a.value]);
export const minimumScalar = nativeKernel('minimumScalar', (a) => [a.value]);
export const fill = nativeKernel('fill', (a) => [a.value]);
