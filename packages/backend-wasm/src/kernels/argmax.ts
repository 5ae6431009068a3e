import type { WasmKernel } from '../backend.js';

import { axisOp } from '../ops.js';

export const argmax: WasmKernel<'argmax'> = ({ x }, attrs, be) => axisOp(be, 'argmax', [x.data.ptr], be.alloc(attrs.outer * attrs.inner), attrs);
