/**
 * Finding a WebGPU device: `navigator.gpu` in browsers, the `webgpu` package (Dawn) in Node, loaded
 * with a dynamic import whose specifier bundlers do not follow, so browser bundles never pull it in.
 * Availability is decided by actually requesting an adapter and a device.
 */

/** What the backend runs on. */
export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** A software (fallback) adapter: SwiftShader, lavapipe, WARP. */
  isFallback: boolean;
  /** One line: vendor, architecture, description as the adapter reports them. */
  description: string;
  /** Keeps Dawn's GPU instance alive in Node (its adapters die with it). */
  instance: GPU;
}

export interface GpuRequestOptions {
  /** A GPU object to use instead of navigator.gpu / the `webgpu` package (tests, custom setups). */
  gpu?: GPU;
  /** Dawn toggles for the Node `webgpu` package, e.g. `['backend=vulkan']`. */
  dawnFlags?: string[];
  powerPreference?: GPUPowerPreference;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function findGpu(options: GpuRequestOptions): Promise<GPU> {
  if (options.gpu) return options.gpu;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (!isNode) throw new Error('navigator.gpu is missing (this browser has no WebGPU, or it is disabled)');
  // A specifier in a variable: bundlers leave this import alone, so browser builds do not pull in Dawn.
  const specifier = 'webgpu';
  let mod: { create(flags: string[]): GPU };
  try {
    mod = (await import(/* @vite-ignore */ specifier)) as typeof mod;
  } catch (err) {
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded: ${(err as Error).message}`);
  }
  return mod.create(options.dawnFlags ?? []);
}

/** Limits the kernels may need beyond the defaults, raised to what the adapter allows. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
] as const;

/** Requests an adapter and a device; rejects with the reason when either is missing. */
export async function requestGpu(options: GpuRequestOptions = {}): Promise<GpuContext> {
  const instance = await findGpu(options);
  const adapter = await instance.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter' + (isNode ? ' (Node: install a Vulkan driver, e.g. set VK_ICD_FILENAMES to SwiftShader or lavapipe; see scripts/setup-vulkan.sh)' : ''),
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits });
  if (!device) throw new Error('the WebGPU adapter gave no device');
  const info = adapter.info;
  const legacyFallback = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const isFallback = Boolean((info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter ?? legacyFallback);
  const what = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ');
  return { device, adapter, isFallback, description: `${what || 'unknown adapter'}${isFallback ? ' (software)' : ''}`, instance };
}
