/**
 * The shader-helper layer. A kernel describes a program (its storage bindings, its uniforms, how
 * invocations map to work, and its WGSL math); this file generates the bindings, the uniform struct,
 * the entry point with its bounds guard and the shared helpers, and packs uniform values.
 *
 * Two shapes of work:
 * - `element`: one invocation per index `i` in [0, P.total); the guard returns past the end.
 * - `group`: one workgroup per index `g` in [0, P.groupCount), `lid` its invocation in [0, WG);
 *   `groupSum(v: vec4f) -> vec4f` reduces over the workgroup (a tree in workgroup memory; every
 *   invocation gets the total). The guard is uniform, so barriers stay in uniform control flow.
 * Large counts are spread over a 2-d grid of workgroups (65535 per dimension) and flattened back.
 */

/** A uniform's type: a scalar, or up to 8 integers (shapes, strides) packed as `array<vec4<…>, 2>`. */
export type UniformType = 'u32' | 'i32' | 'f32' | 'u32x8' | 'i32x8';

export interface ProgramDef {
  /** Unique per WGSL text: the kernel name plus every variant flag (the pipeline cache key). */
  name: string;
  /** Read-only f32 storage arrays, in binding order. */
  inputs: readonly string[];
  /**
   * Inputs bound as `array<vec4f>` instead (their buffers are 16-byte multiples): one vec4 load in
   * place of four scalar ones, which software adapters gather lane by lane.
   */
  vec4Inputs?: readonly string[];
  /** Written f32 storage arrays, in binding order after the inputs. */
  outputs: readonly string[];
  /** Uniform fields besides the implicit `total` / `groupCount`; read in WGSL as `P.<name>`. */
  uniforms?: Readonly<Record<string, UniformType>>;
  work: 'element' | 'group';
  /** Invocations per workgroup (default 64). */
  workgroupSize?: number;
  /** Statements of the entry point, after the guard (`i`, or `g` and `lid`, are in scope). */
  body: string;
  /** Extra module-scope WGSL (helper functions). */
  helpers?: string;
}

export interface Program {
  def: ProgramDef;
  code: string;
  workgroupSize: number;
  /** Field name → [byte offset, type] in the uniform buffer. */
  layout: Map<string, [number, UniformType]>;
  uniformBytes: number;
  /** Workgroup memory it uses (checked against the adapter's limit). */
  workgroupBytes: number;
}

const isVector = (t: UniformType): boolean => t === 'u32x8' || t === 'i32x8';

/** WGSL shared by every program: float classification that survives fast-math assumptions. */
const COMMON_WGSL = /* wgsl */ `
// NaN and −∞ cannot be WGSL constants (constant evaluation rejects them): built at run time from bits.
fn nanValue() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn negInfinity() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
// log with float32's relative accuracy near 1 too: WGSL bounds the built-in's error there only
// absolutely (2^-21; lavapipe's log(0.99722522) was off by 2.7e-5 relative). Within a quarter of 1,
// log v = 2 atanh(s), s = u / (2 + u), u = v − 1 (exact there), by its series to s^7 (next term < 3e-9).
fn accurateLog(v: f32) -> f32 {
  let u = v - 1.0;
  if (abs(u) >= 0.25) { return log(v); }
  let s = u / (2.0 + u);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0))));
}
// A float32 label that is a class index in [0, k) (cross-entropy gives NaN for any other). Denormals
// are refused by their bits: an adapter that flushes them to zero (SwiftShader) would read label 0.
fn isClassIndex(v: f32, k: u32) -> bool {
  let bits = bitcast<u32>(v) & 0x7fffffffu;
  let denormal = bits != 0u && bits < 0x00800000u;
  return !denormal && !isNan(v) && v >= 0.0 && v < f32(k) && floor(v) == v;
}
fn at8u(a: array<vec4u, 2>, k: u32) -> u32 { return a[k >> 2u][k & 3u]; }
fn at8i(a: array<vec4i, 2>, k: u32) -> i32 { return a[k >> 2u][k & 3u]; }
// Offset of flat index i of a row-major shape (rank ≤ 8) under the given strides.
fn offsetIn(i: u32, rank: u32, shape: array<vec4u, 2>, strides: array<vec4i, 2>) -> i32 {
  var rem = i;
  var offset = 0;
  for (var k = i32(rank) - 1; k >= 0; k = k - 1) {
    let d = at8u(shape, u32(k));
    offset = offset + i32(rem % d) * at8i(strides, u32(k));
    rem = rem / d;
  }
  return offset;
}
`;

const groupReduce = (wg: number): string => /* wgsl */ `
var<workgroup> scratch: array<vec4f, ${wg}>;
fn groupSum(v: vec4f, lid: u32) -> vec4f {
  scratch[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { scratch[lid] = scratch[lid] + scratch[lid + s]; }
    workgroupBarrier();
  }
  let total = scratch[0];
  workgroupBarrier();
  return total;
}
`;

const variants = new Map<string, ProgramDef>();

/**
 * The program definition called `name`, built on its first use. For kernels generated per variant
 * (compile-time constants, flags in the name): the WGSL text is assembled once, not per dispatch.
 */
export function variant(name: string, build: () => Omit<ProgramDef, 'name'>): ProgramDef {
  let def = variants.get(name);
  if (!def) {
    def = { name, ...build() };
    variants.set(name, def);
  }
  return def;
}

const programs = new Map<string, Program>();

/** Builds (once per name) the WGSL module and uniform layout of a program. */
export function program(def: ProgramDef): Program {
  const cached = programs.get(def.name);
  if (cached) return cached;
  const wg = def.workgroupSize ?? 64;
  if ((wg & (wg - 1)) !== 0) throw new Error(`workgroup size ${wg} of ${def.name} is not a power of two`);
  const countName = def.work === 'element' ? 'total' : 'groupCount';
  const fields: [string, UniformType][] = [[countName, 'u32'], ...Object.entries(def.uniforms ?? {})];
  // vectors first (16-byte aligned), then 4-byte scalars
  fields.sort((a, b) => Number(isVector(b[1])) - Number(isVector(a[1])));
  const layout = new Map<string, [number, UniformType]>();
  let offset = 0;
  const members: string[] = [];
  for (const [name, type] of fields) {
    layout.set(name, [offset, type]);
    offset += isVector(type) ? 32 : 4;
    const wgslType = type === 'u32x8' ? 'array<vec4u, 2>' : type === 'i32x8' ? 'array<vec4i, 2>' : type;
    members.push(`  ${name}: ${wgslType},`);
  }
  const uniformBytes = Math.ceil(offset / 16) * 16;
  const bindings = [
    '@group(0) @binding(0) var<uniform> P: Params;',
    ...def.inputs.map((n, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${n}: array<${def.vec4Inputs?.includes(n) ? 'vec4f' : 'f32'}>;`),
    ...def.outputs.map((n, k) => `@group(0) @binding(${k + 1 + def.inputs.length}) var<storage, read_write> ${n}: array<f32>;`),
  ];
  const entry = def.work === 'element'
    ? `  let i = (wid.y * nwg.x + wid.x) * ${wg}u + lid;\n  if (i >= P.total) { return; }`
    : `  let g = wid.y * nwg.x + wid.x;\n  if (g >= P.groupCount) { return; }`;
  const code = [
    `struct Params {\n${members.join('\n')}\n}`,
    ...bindings,
    `const WG = ${wg}u;`,
    COMMON_WGSL,
    def.work === 'group' ? groupReduce(wg) : '',
    def.helpers ?? '',
    `@compute @workgroup_size(${wg})`,
    'fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {',
    entry,
    def.body,
    '}',
  ].join('\n');
  const built: Program = { def, code, workgroupSize: wg, layout, uniformBytes, workgroupBytes: def.work === 'group' ? 16 * wg : 0 };
  programs.set(def.name, built);
  return built;
}

export type UniformValues = Readonly<Record<string, number | boolean | readonly number[]>>;

/** Packs uniform values into the program's layout (missing vector entries are 0). */
export function packUniforms(prog: Program, values: UniformValues): ArrayBuffer {
  const buf = new ArrayBuffer(prog.uniformBytes);
  const u32 = new Uint32Array(buf), i32 = new Int32Array(buf), f32 = new Float32Array(buf);
  for (const [name, [offset, type]] of prog.layout) {
    const v = values[name];
    if (v === undefined) throw new Error(`uniform ${name} of ${prog.def.name} is missing`);
    const at = offset / 4;
    if (isVector(type)) {
      const arr = v as readonly number[];
      if (arr.length > 8) throw new Error(`uniform ${name} of ${prog.def.name} has more than 8 entries`);
      for (let k = 0; k < arr.length; k++) (type === 'u32x8' ? u32 : i32)[at + k] = arr[k]!;
    } else if (type === 'f32') f32[at] = Number(v);
    else if (type === 'i32') i32[at] = Number(v);
    else u32[at] = Number(v);
  }
  return buf;
}
