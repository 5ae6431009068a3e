// A peak probe: the GFLOP/s one thread reaches on a register-only chain of independent f32x4
// multiply-adds (12 accumulators), compiled here from a hand-written module, so the report shows
// kernels as a fraction of the SIMD ceiling. relaxed = f32x4.relaxed_madd (2 flops per lane); the
// benchmark quotes the mul+add probe: Node 20's relaxed_madd chain measured slower than mul+add here.

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

/** (func (param i32 iterations) (result f32)): 12 accumulators, each acc = acc·k + k per iteration. */
function probeModule(relaxed: boolean): Uint8Array {
  const ACC = 12;
  const body: number[] = [];
  // locals: ACC v128 accumulators + 1 v128 constant
  const locals = [0x01, ...leb(ACC + 1), 0x7b];
  const k = ACC + 1; // local index of the constant (param 0 is the count)
  // k = f32x4.splat(0.999)
  body.push(0x43, ...new Uint8Array(new Float32Array([0.999]).buffer), 0xfd, ...leb(19), 0x21, k);
  body.push(0x03, 0x40); // loop
  for (let a = 1; a <= ACC; a++) {
    if (relaxed) body.push(0x20, a, 0x20, k, 0x20, k, 0xfd, ...leb(0x105)); // relaxed_madd(a, k, k)
    else body.push(0x20, a, 0x20, k, 0xfd, ...leb(230), 0x20, k, 0xfd, ...leb(228)); // mul, add
    body.push(0x21, a);
  }
  // count -= 1; br_if count != 0
  body.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b);
  // result: sum lane 0 of the accumulators
  body.push(0x20, 1, 0xfd, ...leb(31), 0);
  for (let a = 2; a <= ACC; a++) body.push(0x20, a, 0xfd, ...leb(31), 0, 0x92);
  body.push(0x0b);
  const func = [...locals, ...body];
  const code = [1, ...leb(func.length), ...func];
  const sec = (id: number, bytes: number[]) => [id, ...leb(bytes.length), ...bytes];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...sec(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...sec(3, [1, 0]),
    ...sec(7, [1, 5, ...[...'probe'].map((c) => c.charCodeAt(0)), 0, 0]),
    ...sec(10, code),
  ]);
}

export function peakGflops(relaxed: boolean): number {
  const bytes = probeModule(relaxed);
  if (!WebAssembly.validate(bytes)) return NaN;
  const probe = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.probe as (n: number) => number;
  // many short calls first, so V8 tiers the probe up from its baseline compiler (no OSR in wasm)
  for (let i = 0; i < 200; i++) probe(2e4);
  const n = 5e6;
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    probe(n);
    best = Math.min(best, performance.now() - t0);
  }
  return (n * 12 * 4 * 2) / best / 1e6;
}
