/**
 * Random and hostile calls straight at the addon's binding (no TypeScript checks in front): garbage
 * argument lists, wrong counts, lying shapes, freed and foreign ids, double frees, wrong read sizes, a
 * detached adopted buffer, and every kernel with random or one-field-perturbed attributes. Each call
 * must either succeed or throw an Error; a crash, an abort or (in the ASan/UBSan build) any
 * sanitizer report fails the run. Used by test/hostile.test.ts and scripts/asan-test.mjs.
 */

/** A small deterministic generator (mulberry32). */
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD = [0, -1, -0.5, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, 1e300, -1e300, 7, 64, 2 ** 33];

/** A valid conv geometry in the addon's attribute order, and its shapes. */
function convCase(r) {
  const pick = (n) => 1 + Math.floor(r() * n);
  const G = pick(2), cg = pick(3), og = pick(3), kh = pick(3), kw = pick(3), sh = pick(2), sw = pick(2), dh = pick(2), dw = pick(2);
  const pads = [0, 1, 2, 3].map(() => Math.floor(r() * 2));
  const H = (kh - 1) * dh + pick(5), W = (kw - 1) * dw + pick(5), N = pick(2);
  const OH = Math.floor((H + pads[0] + pads[1] - dh * (kh - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + pads[2] + pads[3] - dw * (kw - 1) - 1) / sw) + 1;
  const attrs = [N, G * cg, H, W, G * og, G, kh, kw, sh, sw, dh, dw, ...pads, OH, OW];
  return { attrs, x: [N, G * cg, H, W], w: [G * og, cg, kh, kw], y: [N, G * og, OH, OW] };
}

function poolCase(r) {
  const pick = (n) => 1 + Math.floor(r() * n);
  const kh = pick(3), kw = pick(3), sh = pick(2), sw = pick(2);
  const ph = Math.floor(r() * (Math.floor(kh / 2) + 1)), pw = Math.floor(r() * (Math.floor(kw / 2) + 1));
  const H = kh + pick(5), W = kw + pick(5), N = pick(2), C = pick(3);
  const OH = Math.floor((H + 2 * ph - kh) / sh) + 1, OW = Math.floor((W + 2 * pw - kw) / sw) + 1;
  return { attrs: [N, C, H, W, kh, kw, sh, sw, 1, 1, ph, ph, pw, pw, OH, OW], x: [N, C, H, W], y: [N, C, OH, OW] };
}

/** Runs `calls` hostile calls per kernel (reading back some results); returns counts. Throws only if something other than an Error escapes. */
export function runHostile(addon, { seed = 1, calls = 60, threads = 2, isa, asyncMinFlops } = {}) {
  const r = rng(seed);
  // asyncMinFlops 0: every convolution goes through the off-thread queue (checked, then run there)
  const ctx = new addon.Context(threads, isa, asyncMinFlops);
  const { kernels } = ctx.info();
  const stats = { ok: 0, rejected: 0 };
  const attempt = (fn) => {
    try {
      fn();
      stats.ok++;
    } catch (e) {
      if (!(e instanceof Error)) throw new Error(`non-Error thrown: ${String(e)}`);
      stats.rejected++;
    }
  };
  const live = [];
  const tensor = (shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const id = ctx.write(Float32Array.from({ length: n }, () => (r() - 0.5) * 4));
    live.push(id);
    return id;
  };
  const encode = (inputs, outs, attrs) => {
    const a = [inputs.length];
    for (const t of inputs) t ? a.push(t.id, t.shape.length, ...t.shape) : a.push(-1, 0);
    a.push(outs.length);
    for (const s of outs) a.push(s.length, ...s);
    a.push(attrs.length, ...attrs);
    return new Float64Array(a);
  };
  const outIds = new Float64Array(4);
  const views = [];
  const exec = (op, args) => {
    ctx.exec(op, args, outIds);
    for (let i = 0; i < 4; i++) if (outIds[i]) live.push(outIds[i]);
    const first = outIds[0];
    outIds.fill(0);
    if (first && r() < 0.3) ctx.readNew(first); // waits for a queued kernel
    else if (first && r() < 0.2) views.push(ctx.view(first)); // lends the block: it must outlive frees and dispose
    else if (first && r() < 0.2) views.push(ctx.borrow(first)); // lends the block until its free: then detached
  };
  // every value of every view (a borrowed one freed is detached: length 0, and its methods throw):
  // a block freed under a view would be a use after free (ASan)
  const touchViews = () => {
    let sum = 0;
    for (const v of views) for (let i = 0; i < v.length; i++) sum += Number.isNaN(v[i]) ? 0 : v[i];
    return sum;
  };
  const randShape = () => Array.from({ length: 1 + Math.floor(r() * 4) }, () => 1 + Math.floor(r() * 5));
  const weird = () => (r() < 0.5 ? WEIRD[Math.floor(r() * WEIRD.length)] : Math.floor(r() * 6));

  // binding-level garbage
  const a = tensor([2, 3]);
  attempt(() => ctx.exec(0, new Float64Array([]), outIds));
  attempt(() => ctx.exec(-1, new Float64Array([0, 1, 1, 1, 0]), outIds));
  attempt(() => ctx.exec(kernels.length, new Float64Array([0, 1, 1, 1, 0]), outIds));
  attempt(() => ctx.exec(0.5, new Float64Array([0, 1, 1, 1, 0]), outIds));
  attempt(() => ctx.exec(0, new Float64Array([1, a, 2, 2, 3, 1, 2, 2, 3, 0]), new Float64Array(0)));
  attempt(() => ctx.exec(0, new Float32Array(4), outIds));
  attempt(() => ctx.read(a, new Float32Array(5)));
  attempt(() => ctx.read(a + 0.5, new Float32Array(6)));
  attempt(() => ctx.read(12345678, new Float32Array(6)));
  attempt(() => ctx.readNew(12345678));
  attempt(() => ctx.readNew(NaN));
  attempt(() => ctx.readAsync(-1));
  attempt(() => ctx.readAsync('x'));
  attempt(() => ctx.whenIdle());
  attempt(() => ctx.view(12345678));
  attempt(() => ctx.view(NaN));
  attempt(() => ctx.view('x'));
  attempt(() => ctx.view());
  attempt(() => ctx.borrow(12345678));
  attempt(() => ctx.borrow(-0.5));
  attempt(() => ctx.borrow({}));
  attempt(() => ctx.write(new Float32Array(0)));
  attempt(() => ctx.write([1, 2, 3]));
  attempt(() => ctx.free(a));
  live.pop();
  attempt(() => ctx.free(a));
  attempt(() => ctx.read(a, new Float32Array(6)));
  const relu = kernels.indexOf('relu');
  attempt(() => exec(relu, new Float64Array([1, a, 2, 2, 3, 1, 2, 2, 3, 0])));
  // an adopted buffer, then detached by a transfer: the addon must notice
  const owned = new Float32Array(8).fill(1);
  const adopted = ctx.adopt(owned);
  attempt(() => exec(relu, new Float64Array([1, adopted, 1, 8, 1, 1, 8, 0])));
  structuredClone(owned.buffer, { transfer: [owned.buffer] });
  attempt(() => exec(relu, new Float64Array([1, adopted, 1, 8, 1, 1, 8, 0])));
  attempt(() => ctx.read(adopted, new Float32Array(8)));
  attempt(() => ctx.view(adopted));
  attempt(() => ctx.borrow(adopted));
  attempt(() => ctx.free(adopted));
  // valid convolutions that take the AVX-512 output-channel tile (64 outputs of a 7-wide layer), read back
  const conv = kernels.indexOf('conv2d');
  for (const [o, pads] of [[64, [1, 1, 1, 1]], [48, [0, 2, 2, 0]], [32, [0, 0, 0, 0]]]) {
    const H = 6, W = 7, OH = H + pads[0] + pads[1] - 2, OW = W + pads[2] + pads[3] - 2;
    const x = tensor([1, 8, H, W]), w = tensor([o, 8, 3, 3]);
    attempt(() => exec(conv, encode([{ id: x, shape: [1, 8, H, W] }, { id: w, shape: [o, 8, 3, 3] }, null], [[1, o, OH, OW]], [1, 8, H, W, o, 1, 3, 3, 1, 1, 1, 1, ...pads, OH, OW])));
  }
  // lying counts and truncated lists
  const b = tensor([4]);
  for (const args of [[1, b, 1], [1, b, 1, 4, 1], [1, b, 1, 4, 1, 1, 4, 5, 1], [7, b, 1, 4], [1, b, 9, 4, 1, 1, 4, 0], [1, b, 1, 0, 1, 1, 4, 0], [1, b, 1, 4, 1, 1, 2 ** 40, 0], [1, b, 1, 4, 5, 1, 4, 0], [1, b, 1, 4, 1, 1, 4, 41]])
    attempt(() => exec(relu, new Float64Array(args)));

  for (let op = 0; op < kernels.length; op++) {
    const name = kernels[op];
    for (let i = 0; i < calls; i++) {
      const mode = r();
      if (/^conv2d/.test(name) || /Pool2d/.test(name)) {
        const isConv = name.startsWith('conv2d');
        const c = isConv ? convCase(r) : poolCase(r);
        const attrs = [...c.attrs];
        if (name === 'conv2dFused') attrs.push(Math.floor(r() * 2));
        if (name.startsWith('avgPool')) attrs.push(Math.floor(r() * 2));
        if (mode < 0.75) {
          const k = Math.floor(r() * attrs.length);
          attrs[k] = r() < 0.5 ? attrs[k] + (r() < 0.5 ? 1 : -1) : weird();
        }
        let ins, outs;
        const T = (s) => ({ id: tensor(s), shape: s });
        if (name === 'conv2d' || name === 'conv2dFused') (ins = [T(c.x), T(c.w), r() < 0.5 ? T([c.w[0]]) : null]), (outs = [c.y]);
        else if (name === 'conv2dBackpropInput') (ins = [T(c.y), T(c.w)]), (outs = [c.x]);
        else if (name === 'conv2dBackpropFilter') (ins = [T(c.x), T(c.y)]), (outs = [c.w]);
        else if (name === 'maxPool2d' || name === 'avgPool2d') (ins = [T(c.x)]), (outs = [c.y]);
        else if (name === 'maxPool2dBackward') (ins = [T(c.y), T(c.x)]), (outs = [c.x]);
        else (ins = [T(c.y)]), (outs = [c.x]);
        if (mode > 0.9) {
          // a shape that lies about a correctly sized buffer (same element count, other dims)
          const t = ins[Math.floor(r() * ins.length)];
          if (t) t.shape = [t.shape.reduce((p, q) => p * q, 1)];
        }
        attempt(() => exec(op, encode(ins, outs, attrs)));
      } else {
        const nIn = Math.floor(r() * 6), nOut = 1 + Math.floor(r() * 4), nAttr = Math.floor(r() * 8);
        const shape = randShape();
        const ins = Array.from({ length: nIn }, () => {
          if (r() < 0.15) return null;
          const s = r() < 0.6 ? shape : randShape();
          return { id: tensor(s), shape: s };
        });
        const outs = Array.from({ length: nOut }, () => (r() < 0.6 ? shape : randShape()));
        const attrs = Array.from({ length: nAttr }, weird);
        attempt(() => exec(op, encode(ins, outs, attrs)));
      }
      if (live.length > 64) for (const id of live.splice(0, 32)) attempt(() => ctx.free(id));
    }
  }
  for (const id of live) attempt(() => ctx.free(id));
  touchViews();
  const memory = ctx.memory();
  ctx.dispose();
  touchViews();
  attempt(() => ctx.view(1));
  attempt(() => ctx.borrow(1));
  attempt(() => ctx.write(new Float32Array(1)));
  return { ...stats, liveBytesAtEnd: memory.liveBytes };
}
