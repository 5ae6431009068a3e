/**
 * The float64 reference: every op written from its definition (DESIGN §2–3) with plain loops over
 * Float64Array. It shares no code with core or any backend.
 */
export * from './array.js';
export * from './conv.js';
export * from './pool.js';
export * from './norm.js';
export * from './dense.js';
export * from './train.js';
export { magnitude } from './magnitude.js';
export * from './elementwise.js';
export * from './network.js';
