import type { GpuKernel } from '../backend.js';
import { laneDef, laneLogSumExp, runLanes } from '../softmax_wgsl.js';

const def = laneDef('softmax', ['x'], ['y'], /* wgsl */ `${laneLogSumExp('x')}
  for (var j = 0u; j < P.axisSize; j = j + 1u) { let a = base + j * P.inner; y[a] = exp(x[a] - m) / z; }`);

/** exp(x − max)/Σ exp(x − max) along the axis. */
export const softmax: GpuKernel<'softmax'> = ({ x }, attrs, gpu) => runLanes(gpu, def, [x.data], attrs, 'softmax');
