import type { WasmKernel } from '../backend.js';
import { planes } from '../ops.js';

/** dx = dy where x > tau; ties and below send the gradient to tau (summed per channel). */
export const tluBackward: WasmKernel<'tluBackward'> = ({ dy, x, tau }, _attrs, be) => {
  const { N, C, S } = planes(x.shape);
  const dx = be.alloc(N * C * S), dtau = be.alloc(C);
  const sums = be.scratch(N * C * 8);
  be.exec('tluGrad', [dy.data.ptr, x.data.ptr, tau.data.ptr, dx.ptr, sums.ptr, C, S], N * C, S);
  be.call('tluGradTau', [sums.ptr, dtau.ptr, N, C]);
  be.release(sums);
  return [dx, dtau];
};
