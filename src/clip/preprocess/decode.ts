/**
 * Node image decoding with sharp: raw pixels only (no resizing, no colour management, no EXIF rotation), so the
 * pixels are those PIL's Image.open gives. Palette and 1-bit files are flagged so the resize uses NEAREST as PIL does.
 * sharp is imported lazily so browser bundles of the preprocessing code never pull it in.
 *
 * Untrusted files are checked before any pixel is decoded (as libpng/sharp pixel limits intend): a regular file
 * of at most IMAGE_LIMITS.maxBytes, one of the formats we mean to read (sniffed from the magic bytes, so SVG,
 * PDF and the like never reach their parsers), dimensions within maxSide / maxPixels (decompression bombs
 * declare huge sizes in tiny files) and an aspect ratio the CLIP resize can handle.
 */
import { FormatError, WhittleError } from '../../core/errors.js';
import { readRegularFile } from '../../io/read-file.js';
import { checkImageSize, type ImageLike } from './index.js';

export const IMAGE_LIMITS = { maxBytes: 64 * 2 ** 20, maxPixels: 50_000_000, maxSide: 20_000 };

const FORMATS: [string, (b: Uint8Array) => boolean][] = [
  ['png', (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ['jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['gif', (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38],
  ['webp', (b) => b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50],
  ['tiff', (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a)],
];

/** The format named by the file's magic bytes, or undefined for anything we do not read. */
export function sniffImageFormat(b: Uint8Array): string | undefined {
  return b.length >= 12 ? FORMATS.find(([, is]) => is(b))?.[0] : undefined;
}

export async function decodeImageFile(path: string): Promise<ImageLike> {
  const buf = readRegularFile(path, { maxBytes: IMAGE_LIMITS.maxBytes, what: 'image' });
  const format = sniffImageFormat(buf);
  if (!format) throw new FormatError(path, `not an image format Whittle reads (${FORMATS.map(([f]) => f.toUpperCase()).join(', ')})`);
  const { default: sharp } = await import('sharp');
  try {
    const s = sharp(buf, { ignoreIcc: true, limitInputPixels: IMAGE_LIMITS.maxPixels, pages: 1 } as Parameters<typeof sharp>[1]);
    const meta = await s.metadata();
    if (meta.format !== format) throw new FormatError(path, `decoder sees ${meta.format}, the header says ${format}`);
    const w = meta.width ?? 0;
    const h = meta.pageHeight ?? meta.height ?? 0;
    if (w > IMAGE_LIMITS.maxSide || h > IMAGE_LIMITS.maxSide || w * h > IMAGE_LIMITS.maxPixels) {
      throw new FormatError(path, `image is ${w}×${h}, over the ${IMAGE_LIMITS.maxSide}-pixel side / ${IMAGE_LIMITS.maxPixels}-pixel limit`);
    }
    checkImageSize(w, h, path);
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
    if (e instanceof WhittleError) throw e;
    throw new FormatError(path, `cannot decode image (${(e as Error).message})`);
  }
}
