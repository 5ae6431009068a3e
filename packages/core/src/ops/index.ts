import { setGradHelpers } from '../autograd.js';
import { add } from './elementwise.js';
import { full } from './creation.js';

setGradHelpers(add, (t) => full(t.shape, 1, { backend: t.backend }));

export * from './creation.js';
export { add, sub, mul, div, maximum, minimum, neg, sqrt, abs, exp, log, type Operand } from './elementwise.js';
export { sum, mean, broadcastTo } from './reduce.js';
export { reshape, flatten } from './reshape.js';
export * from './conv.js';
export * from './pool.js';
export * from './norm.js';
export * from './activation.js';
export * from './linear.js';
export * from './transform.js';
export { sigmoid, tanh, permute, transpose, concat, argmax, dropout, type DropoutOptions } from './pytorch.js';
