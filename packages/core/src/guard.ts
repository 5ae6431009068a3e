import { beginOpFrame, endOpFrame } from './engine.js';
import { HypercolumnError } from './errors.js';

/**
 * Runs the body of a public function or constructor `op`. If it throws, every tensor created inside
 * is disposed (nothing allocated survives a rejected call), and the error names `op`, the function
 * the user called, even when an internal op raised it ("instanceNorm:", not "groupNorm:").
 * Nested calls collect into the outermost frame, so only the call the user made disposes and renames.
 */
export function publicOp<T>(op: string, body: () => T): T {
  const outer = beginOpFrame();
  try {
    const result = body();
    endOpFrame(outer);
    return result;
  } catch (err) {
    const created = endOpFrame(outer);
    if (outer !== undefined) throw err;
    for (const t of created) t.dispose();
    throw asUserError(op, err);
  }
}

/** Errors already named after the module method they failed in: outer frames keep that name. */
const attributed = new WeakSet<object>();

/**
 * Runs a module's method (`Conv2d.forward`) as a public op whose name survives nesting: inside
 * `Sequential.forward` a failing layer still says "Conv2d.forward: …", the layer that failed.
 */
export function moduleOp<T>(op: string, body: () => T): T {
  return publicOp(op, () => {
    try {
      return body();
    } catch (err) {
      const named = asUserError(op, err);
      if (named instanceof HypercolumnError) attributed.add(named);
      throw named;
    }
  });
}

/** The error as the user should see it: named after `op`; a failed allocation becomes a HypercolumnError. */
function asUserError(op: string, err: unknown): unknown {
  if (err instanceof HypercolumnError && attributed.has(err)) return err;
  if (err instanceof HypercolumnError) {
    if (err.op === undefined || err.op === op) return err;
    const prefix = `${err.op}: `;
    const text = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    return new HypercolumnError(`${op}: ${text}`, op, err.argument);
  }
  // the size guard rejects what no backend can hold; this catches the host running out of memory below that
  if (err instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer/i.test(err.message)) {
    return new HypercolumnError(`${op}: memory expected enough free memory for the result, got an allocation failure (${err.message})`, op, 'memory');
  }
  return err;
}

/** `fn` as a public op: every call runs through `publicOp(op, …)`. */
export function guarded<F extends (...args: never[]) => unknown>(op: string, fn: F): F {
  const wrapped = function (this: unknown, ...args: Parameters<F>) {
    return publicOp(op, () => fn.apply(this, args));
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name || op });
  return wrapped as unknown as F;
}
