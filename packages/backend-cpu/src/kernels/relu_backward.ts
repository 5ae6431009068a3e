import type { CpuKernel } from '../backend.js';

/** dx = dy where x > 0, else 0 (PyTorch: zero gradient at 0). */
export const reluBackward: CpuKernel<'reluBackward'> = ({ dy, x }) => {
  const xd = x.data, dyd = dy.data, n = xd.length;
  const dx = new Float32Array(n);
  for (let i = 0; i < n; i++) if (xd[i]! > 0) dx[i] = dyd[i]!;
  return dx;
};
