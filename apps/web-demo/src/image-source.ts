/**
 * The picture the convolution and pooling/normalization panels work on: the bundled scene or a
 * file the visitor picks, as float planes in [0, 1] (RGB and luminance), at most MAX_SIDE pixels on
 * its longer side (a feature map is about structure, and the cpu backend stays interactive).
 */
import sceneUrl from './assets/scene.svg';

export const MAX_SIDE = 128;

export interface Picture {
  name: string;
  width: number;
  height: number;
  /** [3, height, width] planes R, G, B in [0, 1]. */
  rgb: Float32Array;
  /** [height, width] luminance in [0, 1] (Rec. 601 weights). */
  gray: Float32Array;
}

function toPicture(name: string, source: CanvasImageSource, width: number, height: number): Picture {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.drawImage(source, 0, 0, w, h);
  const pixels = ctx.getImageData(0, 0, w, h).data;
  const rgb = new Float32Array(3 * w * h);
  const gray = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const [r, g, b] = [pixels[i * 4]! / 255, pixels[i * 4 + 1]! / 255, pixels[i * 4 + 2]! / 255];
    rgb[i] = r;
    rgb[w * h + i] = g;
    rgb[2 * w * h + i] = b;
    gray[i] = 0.299 * r + 0.587 * g + 0.114 * b;
  }
  return { name, width: w, height: h, rgb, gray };
}

export async function loadScene(): Promise<Picture> {
  const image = new Image();
  image.src = sceneUrl;
  await image.decode();
  return toPicture('bundled scene', image, image.naturalWidth || 128, image.naturalHeight || 128);
}

/** Decodes a file the visitor chose; anything that is not a decodable image is an Error saying so. */
export async function loadFile(file: File): Promise<Picture> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error(`"${file.name}" is not an image this browser can decode (${file.type || 'unknown type'}, ${file.size} bytes)`);
  }
  try {
    return toPicture(file.name, bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

type Listener = (picture: Picture) => void;
let current: Picture | undefined;
const listeners: Listener[] = [];

export function currentPicture(): Picture | undefined {
  return current;
}

export function setPicture(picture: Picture): void {
  current = picture;
  for (const l of listeners) l(picture);
}

export function onPicture(listener: Listener): void {
  listeners.push(listener);
}
