/**
 * State-dict serialization.
 *
 * Layout (all integers little-endian):
 *   bytes 0–3   magic "HCSD"
 *   bytes 4–7   uint32 format version (2)
 *   bytes 8–11  uint32 header length H in bytes
 *   bytes 12–15 uint32 CRC-32 (IEEE) of every byte of the file except these four
 *   bytes 16…   header: UTF-8 JSON {"tensors":[{"name","shape","offset","length"}…],"dataBytes"}
 *   then zero padding to a multiple of 4, then the data section: float32 little-endian values,
 *   each tensor at `offset` bytes from the start of the data section, `length` elements long.
 * The checksum covers header and data (version 1 covered the data only, so a flipped bit in a tensor
 * name loaded the tensor under another key): a corrupted or truncated file is an error, never a
 * silently different dict. The values round-trip bit for bit (NaN payloads included).
 */
import { fail, HypercolumnError } from '../errors.js';
import { tensor, type TensorOptions } from '../ops/creation.js';
import { Tensor } from '../tensor.js';

const MAGIC = [0x48, 0x43, 0x53, 0x44]; // "HCSD"
export const STATE_DICT_FORMAT_VERSION = 2;
const PREFIX = 16;
const CRC_AT = 12;

interface Entry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}
interface Header {
  tensors: Entry[];
  dataBytes: number;
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array, c = 0xffffffff): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** CRC-32 of the whole file except the checksum field itself. */
function fileChecksum(bytes: Uint8Array): number {
  return (crc32(bytes.subarray(PREFIX), crc32(bytes.subarray(0, CRC_AT))) ^ 0xffffffff) >>> 0;
}

function checkDict(op: string, dict: unknown): [string, Tensor][] {
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) fail(op, 'dict', 'an object of named tensors', dict);
  return Object.entries(dict as Record<string, unknown>).map(([name, t]) => {
    if (!(t instanceof Tensor)) fail(op, `dict[${JSON.stringify(name)}]`, 'a Tensor', t);
    t.assertUsable(op, `dict[${JSON.stringify(name)}]`);
    return [name, t];
  });
}

function encode(entries: [string, Tensor][], values: Float32Array[]): Uint8Array {
  let offset = 0;
  const tensors: Entry[] = entries.map(([name, t]) => {
    const e = { name, shape: [...t.shape], offset, length: t.size };
    offset += t.size * 4;
    return e;
  });
  const data = new Uint8Array(offset);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => {
    // copy the bit patterns (not the numbers), so NaN payloads survive too
    const bits = new Uint32Array(v.buffer, v.byteOffset, v.length);
    const base = tensors[i]!.offset;
    for (let j = 0; j < bits.length; j++) view.setUint32(base + 4 * j, bits[j]!, true);
  });
  const header: Header = { tensors, dataBytes: offset };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((PREFIX + headerBytes.length) / 4) * 4;
  const out = new Uint8Array(dataStart + data.length);
  out.set(MAGIC, 0);
  const outView = new DataView(out.buffer);
  outView.setUint32(4, STATE_DICT_FORMAT_VERSION, true);
  outView.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX);
  out.set(data, dataStart);
  outView.setUint32(CRC_AT, fileChecksum(out), true);
  return out;
}

/** Serializes a state dict (name → tensor) to bytes; reads the tensors synchronously. */
export function saveStateDict(dict: Record<string, Tensor>): Uint8Array {
  const entries = checkDict('saveStateDict', dict);
  return encode(entries, entries.map(([, t]) => t.dataSync()));
}

/** As `saveStateDict`, for backends that can only read asynchronously (WebGPU). */
export async function saveStateDictAsync(dict: Record<string, Tensor>): Promise<Uint8Array> {
  const entries = checkDict('saveStateDictAsync', dict);
  return encode(entries, await Promise.all(entries.map(([, t]) => t.data())));
}

function corrupt(what: string): never {
  throw new HypercolumnError(`loadStateDictBytes: bytes expected a hypercolumn state dict (format version ${STATE_DICT_FORMAT_VERSION}), got ${what}`, 'loadStateDictBytes', 'bytes');
}

function parseHeader(bytes: Uint8Array): { header: Header; dataStart: number } {
  if (bytes.length < PREFIX) corrupt(`${bytes.length} bytes (truncated: shorter than the ${PREFIX}-byte prefix)`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) corrupt('data without the "HCSD" magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== STATE_DICT_FORMAT_VERSION) corrupt(`format version ${version}${version === 1 ? ' (written by an older hypercolumn: load it there and save it again)' : ''}`);
  const headerLength = view.getUint32(8, true);
  const header = PREFIX + headerLength <= bytes.length ? decodeHeader(bytes.subarray(PREFIX, PREFIX + headerLength)) : undefined;
  const dataStart = Math.ceil((PREFIX + headerLength) / 4) * 4;
  // truncation is the likely story when the announced size is wrong; otherwise any flipped bit fails the checksum
  if (header && isUint(header.dataBytes) && bytes.length !== dataStart + header.dataBytes) {
    const expected = dataStart + header.dataBytes;
    corrupt(`${bytes.length} bytes where the header announces ${expected} (${bytes.length < expected ? 'truncated' : 'trailing bytes'})`);
  }
  if (!header) {
    if (PREFIX + headerLength > bytes.length) corrupt(`a header of ${headerLength} bytes but only ${bytes.length - PREFIX} bytes after the prefix (truncated or corrupt)`);
  }
  if (view.getUint32(CRC_AT, true) !== fileChecksum(bytes)) corrupt('bytes whose CRC-32 does not match the stored checksum (corrupt: a byte of the header or data changed)');
  if (!header) corrupt('a header that is not valid UTF-8 JSON (corrupt)');
  checkEntries(header);
  return { header, dataStart };
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function decodeHeader(bytes: Uint8Array): Header | undefined {
  try {
    const header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
    return header && typeof header === 'object' ? (header as Header) : undefined;
  } catch {
    return undefined;
  }
}

/** Structural checks of a header whose checksum matched (a file written by a buggy or hostile tool). */
function checkEntries(header: Header): void {
  if (!Array.isArray(header.tensors)) corrupt('a header without a "tensors" list (corrupt)');
  if (!isUint(header.dataBytes)) corrupt('a header without a valid "dataBytes" (corrupt)');
  const names = new Set<string>();
  header.tensors.forEach((e, i) => {
    if (!e || typeof e !== 'object' || typeof e.name !== 'string') corrupt(`tensor entry ${i} without a name (corrupt)`);
    if (names.has(e.name)) corrupt(`the name ${JSON.stringify(e.name)} twice (corrupt)`);
    names.add(e.name);
    if (!Array.isArray(e.shape) || !e.shape.every(isUint)) corrupt(`entry ${JSON.stringify(e.name)} with an invalid shape (corrupt)`);
    if (!isUint(e.offset) || !isUint(e.length) || e.offset % 4 !== 0) corrupt(`entry ${JSON.stringify(e.name)} with an invalid offset/length (corrupt)`);
    if (e.shape.reduce((a, b) => a * b, 1) !== e.length) corrupt(`entry ${JSON.stringify(e.name)} whose shape [${e.shape.join(', ')}] does not hold ${e.length} values (corrupt)`);
    if (e.offset + 4 * e.length > header.dataBytes) corrupt(`entry ${JSON.stringify(e.name)} reaching past the data section (corrupt)`);
  });
}

/**
 * Parses bytes made by `saveStateDict` into new tensors (owned by the caller) on the current
 * backend, or on `options.backend`. Truncated or corrupt input (bad magic, version, header, sizes,
 * checksum) throws a HypercolumnError and creates nothing.
 */
export function loadStateDictBytes(bytes: Uint8Array, options: Pick<TensorOptions, 'backend'> = {}): Record<string, Tensor> {
  if (!(bytes instanceof Uint8Array)) fail('loadStateDictBytes', 'bytes', 'a Uint8Array', bytes);
  const { header, dataStart } = parseHeader(bytes);
  const data = bytes.subarray(dataStart, dataStart + header.dataBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const arrays = header.tensors.map((e) => {
    const values = new Float32Array(e.length);
    const bits = new Uint32Array(values.buffer);
    for (let j = 0; j < e.length; j++) bits[j] = view.getUint32(e.offset + 4 * j, true);
    return values;
  });
  const dict: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    header.tensors.forEach((e, i) => {
      const t = tensor(arrays[i]!, e.shape, options.backend === undefined ? {} : { backend: options.backend });
      made.push(t);
      Object.defineProperty(dict, e.name, { value: t, enumerable: true, writable: true, configurable: true });
    });
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return dict;
}
