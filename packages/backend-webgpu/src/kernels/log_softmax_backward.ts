import type { GpuKernel } from '../backend.js';
import { laneDef, runLanes } from '../softmax_wgsl.js';

const def = laneDef('logSoftmaxBackward', ['dy', 'y'], ['dx'], /* wgsl */ `
  var s = 0.0;
  for (var j = 0u; j < P.axisSize; j = j + 1u) { s = s + dy[base + j * P.inner]; }
  for (var j = 0u; j < P.axisSize; j = j + 1u) { let a = base + j * P.inner; dx[a] = dy[a] - exp(y[a]) * s; }`);

/** dx = dy − exp(y)·Σ dy along the axis (y = log softmax). */
export const logSoftmaxBackward: GpuKernel<'logSoftmaxBackward'> = ({ dy, y }, attrs, gpu) =>
  runLanes(gpu, def, [dy.data, y.data], attrs, 'logSoftmaxBackward');
