/**
 * Node image decoding with sharp: raw pixels only (no resizing, no colour management, no EXIF rotation), so the
 * pixels are those PIL's Image.open gives. Palette and 1-bit files are flagged so the resize uses NEAREST as PIL does.
 * sharp is imported lazily so browser bundles of the preprocessing code never pull it in.
 */
import { FormatError } from '../../core/errors.js';
import type { ImageLike } from './index.js';

export async function decodeImageFile(path: string): Promise<ImageLike> {
  const { default: sharp } = await import('sharp');
  try {
    const s = sharp(path, { ignoreIcc: true } as Parameters<typeof sharp>[1]);
    const meta = await s.metadata();
    const { data, info } = await s.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const mode = meta.isPalette ? 'P' : (meta as { bitsPerSample?: number }).bitsPerSample === 1 ? '1' : undefined;
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      channels: info.channels as 1 | 2 | 3 | 4,
      mode,
    };
  } catch (e) {
    throw new FormatError(path, `cannot decode image (${(e as Error).message})`);
  }
}
