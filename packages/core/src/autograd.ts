import { flushAll, isGradEnabled, keep, noGrad, scope } from './engine.js';
import { fail, HypercolumnError } from './errors.js';
import type { Tensor } from './tensor.js';

/**
 * Gradients for each input of an op, in input order (undefined where none flows). `needs[i]` says
 * whether input i wants a gradient (skip work for the others).
 */
export type BackwardFn = (dy: Tensor, saved: (Tensor | undefined)[], needs: boolean[]) => (Tensor | undefined)[];

interface Edge {
  /** A leaf tensor with requiresGrad: its `.grad` accumulates. */
  leaf?: Tensor;
  /** The node that produced a non-leaf input. */
  node?: GradNode;
}

/**
 * One recorded op. It lives while its output tensor or a downstream node holds it; `backward()`
 * frees it, and so does disposing every holder (a forward pass that is never differentiated).
 */
export class GradNode {
  private refs = 1;
  freed = false;
  constructor(
    readonly op: string,
    readonly edges: (Edge | undefined)[],
    readonly saved: (Tensor | undefined)[],
    readonly backwardFn: BackwardFn,
  ) {}

  retain(): void {
    this.refs++;
  }
  release(): void {
    if (--this.refs <= 0) this.free();
  }
  /** Drops saved tensors and the hold on upstream nodes. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t?.dispose();
    this.saved.length = 0;
    for (const e of this.edges) e?.node?.release();
  }
}

/**
 * Records `output = op(inputs)` for backprop if gradients are on and some input needs one.
 * `saved` tensors are kept alive (as aliases) until the node is freed, even if the caller disposes them.
 */
export function record(op: string, output: Tensor, inputs: (Tensor | undefined)[], saved: (Tensor | undefined)[], backwardFn: BackwardFn): void {
  if (!isGradEnabled() || !inputs.some((t) => t?.requiresGrad)) return;
  const edges = inputs.map((t): Edge | undefined => {
    if (!t?.requiresGrad) return undefined;
    if (t.gradNode) {
      t.gradNode.retain();
      return { node: t.gradNode };
    }
    return { leaf: t };
  });
  const TensorClass = output.constructor as typeof Tensor;
  const aliases = saved.map((t) => t && TensorClass.savedAlias(t));
  output.gradNode = new GradNode(op, edges, aliases, backwardFn);
}

function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  // iterative DFS (deep nets must not overflow the stack)
  const stack: [GradNode, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [node, i] = top;
    if (i < node.edges.length) {
      top[1]++;
      const next = node.edges[i]?.node;
      if (next && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order.reverse();
}

function accumulateLeaf(leaf: Tensor, g: Tensor, add: (a: Tensor, b: Tensor) => Tensor): void {
  if (leaf.isDisposed) {
    g.dispose();
    return;
  }
  if (!leaf.grad) {
    leaf.grad = keep(g);
    return;
  }
  const sum = keep(add(leaf.grad, g));
  leaf.grad.dispose();
  g.dispose();
  leaf.grad = sum;
}

let addForGrad: ((a: Tensor, b: Tensor) => Tensor) | undefined;
let onesLike: ((t: Tensor) => Tensor) | undefined;
/** Wired by the ops module (autograd itself does not depend on any op). */
export function setGradHelpers(add: (a: Tensor, b: Tensor) => Tensor, ones: (t: Tensor) => Tensor): void {
  addForGrad = add;
  onesLike = ones;
}

const graphFreed = () =>
  new HypercolumnError('backward: graph expected to be intact, got a graph already freed by an earlier backward() (run the forward pass again)', 'backward', 'graph');

/** Reverse-mode differentiation from `root`; frees the graph afterwards. */
export function backward(root: Tensor, gradient?: Tensor): void {
  const op = 'backward';
  root.assertUsable(op, 'tensor');
  if (!root.requiresGrad) {
    throw new HypercolumnError(`${op}: tensor expected to require grad (computed from a tensor with requiresGrad: true), got a tensor that does not require grad`, op, 'tensor');
  }
  if (gradient === undefined && root.size !== 1) {
    throw new HypercolumnError(`${op}: gradient expected for a non-scalar tensor of shape [${root.shape.join(', ')}] (pass backward(gradient)), got none`, op, 'gradient');
  }
  if (gradient !== undefined) {
    if (!(gradient instanceof (root.constructor as typeof Tensor))) fail(op, 'gradient', 'a Tensor', gradient);
    gradient.assertUsable(op, 'gradient');
    if (gradient.shape.length !== root.shape.length || gradient.shape.some((s, i) => s !== root.shape[i])) {
      throw new HypercolumnError(`${op}: gradient expected shape [${root.shape.join(', ')}], got [${gradient.shape.join(', ')}]`, op, 'gradient');
    }
  }
  const rootNode = root.gradNode;
  if (rootNode?.freed) {
    throw graphFreed();
  }
  const add = addForGrad!;
  noGrad(() => {
    // a view of the caller's gradient: backward never disposes what the caller passed in
    const start = gradient ? (gradient.constructor as typeof Tensor).view(gradient, gradient.shape) : onesLike!(root);
    if (!rootNode) {
      accumulateLeaf(root, keep(start), add);
      return;
    }
    const order = topologicalOrder(rootNode);
    for (const node of order) {
      if (node.freed) {
        start.dispose();
        throw graphFreed();
      }
    }
    // freeing a node releases its inputs' nodes: hold each until its turn (intermediates may be disposed already)
    for (const node of order) node.retain();
    const pending = new Map<GradNode, Tensor>([[rootNode, keep(start)]]);
    try {
      for (const node of order) {
        const dy = pending.get(node);
        pending.delete(node);
        if (!dy) {
          node.free();
          continue;
        }
        let grads: (Tensor | undefined)[];
        try {
          grads = scope(() => node.backwardFn(dy, node.saved, node.edges.map((e) => e !== undefined)));
        } finally {
          dy.dispose();
        }
        node.edges.forEach((edge, i) => {
          const g = grads[i];
          if (!g) return;
          keep(g);
          if (!edge) g.dispose();
          else if (edge.leaf) accumulateLeaf(edge.leaf, g, add);
          else if (edge.node) {
            const before = pending.get(edge.node);
            if (before) {
              pending.set(edge.node, keep(add(before, g)));
              before.dispose();
              g.dispose();
            } else pending.set(edge.node, g);
          }
        });
        node.free();
      }
    } finally {
      // also on an error part-way: the graph is freed and no gradient is left behind
      for (const node of order) node.free();
      for (const g of pending.values()) g.dispose();
    }
  });
  // the whole backward pass is queued: submit it (asynchronous backends batch until a flush)
  flushAll();
}
