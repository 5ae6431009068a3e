/**
 * A second reference as data: a one-node ONNX model description and its feeds. Running it needs
 * ONNX Runtime (Node only), which `@hypercolumn/conformance` plugs in as an `Oracle`.
 */

type AttrValue = number | number[] | string;

export interface OnnxNode {
  opType: string;
  /** Node inputs in ONNX order; '' for an omitted optional input. */
  inputs: { name: string; shape: readonly number[]; dtype?: 'float32' | 'int64' }[];
  outputs: string[];
  /** Outputs that are not float32 (ArgMax's int64 indices): returned as float32 values. */
  outputTypes?: Record<string, 'int64'>;
  attrs?: Record<string, AttrValue>;
  /** Opset of the default domain (18 unless the op needs a newer one). */
  opset?: number;
}

/** Runs a one-node model; feeds are float32 (or int64 for dtype 'int64'); returns every output in order. */
export type Oracle = (node: OnnxNode, feeds: Record<string, ArrayLike<number>>) => Promise<{ data: Float32Array; shape: number[] }[]>;
