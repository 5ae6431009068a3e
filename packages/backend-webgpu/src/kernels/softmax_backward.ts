import type { GpuKernel } from '../backend.js';
import { laneDef, runLanes } from '../softmax_wgsl.js';

const def = laneDef('softmaxBackward', ['dy', 'y'], ['dx'], /* wgsl */ `
  var s = 0.0;
  for (var j = 0u; j < P.axisSize; j = j + 1u) { let a = base + j * P.inner; s = s + dy[a] * y[a]; }
  for (var j = 0u; j < P.axisSize; j = j + 1u) { let a = base + j * P.inner; dx[a] = y[a] * (dy[a] - s); }`);

/** dx = y·(dy − Σ dy·y) along the axis. */
export const softmaxBackward: GpuKernel<'softmaxBackward'> = ({ dy, y }, attrs, gpu) =>
  runLanes(gpu, def, [dy.data, y.data], attrs, 'softmaxBackward');
