/**
 * The one error type of hypercolumn. Messages name the op, the argument, what was expected and
 * what came, so that the same text appears whatever backend runs the op.
 */
export class HypercolumnError extends Error {
  override readonly name = 'HypercolumnError';
  constructor(
    message: string,
    readonly op?: string,
    readonly argument?: string,
  ) {
    super(message);
  }
}

/** Formats a value for an error message: shapes as [a, b], strings quoted, NaN visible. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value instanceof Float32Array || value instanceof Int32Array) return `${value.constructor.name}(${value.length})`;
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return String(value);
}

/** Throws `HypercolumnError("op: argument expected …, got …")`. */
export function fail(op: string, argument: string, expected: string, got: unknown): never {
  throw new HypercolumnError(`${op}: ${argument} expected ${expected}, got ${describe(got)}`, op, argument);
}
