import type { GpuKernel } from '../backend.js';
import { laneDef, laneLogSumExp, runLanes } from '../softmax_wgsl.js';

const def = laneDef('logSoftmax', ['x'], ['y'], /* wgsl */ `${laneLogSumExp('x')}
  let lse = m + log(z);
  for (var j = 0u; j < P.axisSize; j = j + 1u) { let a = base + j * P.inner; y[a] = x[a] - lse; }`);

/** x − max − log Σ exp(x − max) along the axis. */
export const logSoftmax: GpuKernel<'logSoftmax'> = ({ x }, attrs, gpu) => runLanes(gpu, def, [x.data], attrs, 'logSoftmax');
