import { noGrad, scope } from '../engine.js';
import { zeros } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { checkShapeArgument } from '../validate.js';
import type { Module } from './module.js';

export interface SummaryRow {
  /** Dotted name ('' for the module itself). */
  name: string;
  /** Class name. */
  type: string;
  /** Parameters this module owns directly (not its children's). */
  parameters: number;
  /** Output shape of this module's forward, when `summary` ran an input through. */
  outputShape?: number[];
}

/**
 * Per-layer table of a module (PyTorch users know it from torchsummary): every module in order with
 * its own parameter count and, given an input shape, its output shape from one forward pass on
 * zeros (no gradients, eval mode for the pass, the module's mode restored after). Returns the rows
 * and the printable text.
 */
export function summary(module: Module, inputShape?: readonly number[]): { rows: SummaryRow[]; total: number; trainable: number; text: string } {
  const op = 'summary';
  const modules = module.namedModules();
  const rows: SummaryRow[] = modules.map(([name, m]) => ({
    name,
    type: m.constructor.name,
    parameters: m.parameters(false).reduce((n, p) => n + p.size, 0),
  }));
  if (inputShape !== undefined) {
    const shape = checkShapeArgument(op, inputShape);
    const modes = modules.map(([, m]) => m.training);
    // record each module's output shape by wrapping its forward for this one pass
    // (and forwardActivated: Sequential runs conv/BN + ReLU as one fused kernel where it can)
    const wrapped = ['forward', 'forwardActivated'] as const;
    const originals = modules.map(([, m], i) =>
      wrapped.map((method) => {
        const original = (m as unknown as Record<string, unknown>)[method];
        if (typeof original !== 'function') return undefined;
        Object.defineProperty(m, method, {
          configurable: true,
          value: (...args: unknown[]) => {
            const y = (original as (...a: unknown[]) => Tensor | undefined).apply(m, args);
            if (y) rows[i]!.outputShape = [...y.shape];
            return y;
          },
        });
        return original;
      }),
    );
    try {
      module.eval();
      noGrad(() => scope(() => void module.forward(zeros(shape))));
    } finally {
      modules.forEach(([, m], i) => {
        wrapped.forEach((method, k) => {
          const original = originals[i]![k];
          if (original === undefined) return;
          delete (m as unknown as Record<string, unknown>)[method];
          if ((m as unknown as Record<string, unknown>)[method] !== original) Object.defineProperty(m, method, { configurable: true, writable: true, value: original });
        });
        m.training = modes[i]!;
      });
    }
    // a layer folded into the previous one's fused kernel (ReLU after conv/BN) was not called itself:
    // its output has the shape of the layer it was folded into
    rows.forEach((r, i) => {
      if (!r.outputShape && i > 0 && rows[i - 1]!.outputShape) r.outputShape = rows[i - 1]!.outputShape;
    });
  }
  const total = module.parameters().reduce((n, p) => n + p.size, 0);
  const trainable = module.parameters().filter((p) => p.requiresGrad).reduce((n, p) => n + p.size, 0);
  const table = [['layer', 'type', 'output shape', 'parameters'], ...rows.map((r) => [r.name || '(root)', r.type, r.outputShape ? `[${r.outputShape.join(', ')}]` : '-', String(r.parameters)])];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  const text = [line(table[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...table.slice(1).map(line), `total parameters: ${total} (trainable ${trainable})`].join('\n');
  return { rows, total, trainable, text };
}
