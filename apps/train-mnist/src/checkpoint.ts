/**
 * Model files written by `--save` and read by `--load`:
 *
 *   bytes 0–7   magic "HCMNIST1"
 *   bytes 8–11  uint32 LE: length M of the metadata
 *   12…12+M     UTF-8 JSON metadata: {model, mean, std, ...} (see ModelMeta)
 *   then        the weights as a hypercolumn state dict (`hc.nn.saveStateDict` bytes, "HCSD",
 *               with its own CRC-32 over the values)
 *
 * A bare state dict written by `hc.nn.saveStateDict` ("HCSD…") loads too, with --model given and the
 * standardisation taken from the training set.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as hc from '@hypercolumn/core';
import { MODELS, UsageError, type ModelName } from './options.js';
import type { Standardisation } from './data.js';

const MAGIC = 'HCMNIST1';
const PREFIX = 12;

export interface ModelMeta extends Standardisation {
  model: ModelName;
  /** Free-form facts about the run that produced the file. */
  epochs?: number;
  seed?: number;
  testAccuracy?: number;
  backend?: string;
}

export interface LoadedFile {
  meta: Partial<ModelMeta> & { model?: ModelName };
  /** The raw state-dict bytes (parsed later, once the backend is chosen). */
  stateBytes: Uint8Array;
}

export function encodeModelFile(meta: ModelMeta, stateBytes: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({ ...meta, format: MAGIC }));
  const out = new Uint8Array(PREFIX + json.length + stateBytes.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, PREFIX);
  out.set(stateBytes, PREFIX + json.length);
  return out;
}

/** The temporary file `saveModelFile` writes before renaming it over `path` (same directory, so rename is atomic). */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/**
 * Writes the model file atomically: to a temporary file in the same directory, flushed to disk,
 * then renamed over `path`. A crash or Ctrl-C mid-write leaves the previous file intact.
 */
export function saveModelFile(path: string, meta: ModelMeta, model: hc.nn.Module): void {
  const bytes = hc.scope(() => hc.nn.saveStateDict(model.stateDict()));
  const temporary = temporaryPath(path);
  try {
    const fd = openSync(temporary, 'w');
    try {
      const encoded = encodeModelFile(meta, bytes);
      for (let at = 0; at < encoded.length; ) at += writeSync(fd, encoded, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (err) {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // not ours to remove (e.g. a directory of that name): the error below says why the write failed
    }
    throw new UsageError(`--save ${path}: cannot write the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Parses a model file's container (not yet the weights). Throws UsageError on anything wrong. */
export function decodeModelFile(bytes: Uint8Array, path: string): LoadedFile {
  const bad = (why: string): never => {
    throw new UsageError(`--load ${path}: not a usable train-mnist model file: ${why}`);
  };
  const head = new TextDecoder().decode(bytes.subarray(0, 8));
  if (head.startsWith('HCSD')) return { meta: {}, stateBytes: bytes };
  if (bytes.length < PREFIX || head !== MAGIC) bad(bytes.length === 0 ? 'the file is empty' : `it does not start with "${MAGIC}" (or a bare "HCSD" state dict)`);
  const metaLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (PREFIX + metaLength > bytes.length) bad(`truncated (metadata of ${metaLength} bytes announced, ${bytes.length - PREFIX} present)`);
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX, PREFIX + metaLength))) as Record<string, unknown>;
  } catch {
    return bad('corrupt metadata (not JSON)');
  }
  if (!meta || typeof meta !== 'object') bad('corrupt metadata');
  if (typeof meta.model !== 'string' || !(MODELS as readonly string[]).includes(meta.model)) bad(`unknown model ${JSON.stringify(meta.model)} in the metadata`);
  for (const key of ['mean', 'std'] as const) {
    if (typeof meta[key] !== 'number' || !Number.isFinite(meta[key]) || (key === 'std' && (meta[key] as number) <= 0)) bad(`invalid "${key}" in the metadata`);
  }
  return { meta: meta as unknown as ModelMeta, stateBytes: bytes.subarray(PREFIX + metaLength) };
}

export function readModelFile(path: string): LoadedFile {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`--load ${path}: cannot read the file (${why})`);
  }
  return decodeModelFile(bytes, path);
}

/** Loads the weights into `model`; a corrupt state dict or one for another architecture is a UsageError. */
export function loadWeights(model: hc.nn.Module, file: LoadedFile, path: string, modelName: ModelName): void {
  let dict: Record<string, hc.Tensor>;
  try {
    dict = hc.nn.loadStateDictBytes(file.stateBytes);
  } catch (err) {
    throw new UsageError(`--load ${path}: corrupt weights: ${(err as Error).message}`);
  }
  try {
    model.loadStateDict(dict);
  } catch (err) {
    throw new UsageError(`--load ${path}: the weights do not fit model ${modelName}${file.meta.model ? '' : ' (a bare state dict: is --model right?)'}: ${(err as Error).message}`);
  } finally {
    for (const t of Object.values(dict)) t.dispose();
  }
}
