/**
 * Images through decodeImageFile + the CLIP transform (what `clip classify` runs per file): mutated PNG, JPEG,
 * WebP, GIF and TIFF files, decompression bombs (small files declaring huge sizes), extreme aspect ratios,
 * SVG and other formats we do not mean to read.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { decodeImageFile } from '../../../src/clip/preprocess/decode.js';
import { preprocess } from '../../../src/clip/preprocess/index.js';
import type { Rng } from '../../../src/core/rng.js';
import type { FuzzTarget } from '../target.js';
import { byteMutation, pick } from '../mutate.js';

const FORMATS = ['png', 'jpeg', 'webp', 'gif', 'tiff'] as const;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A valid-looking PNG (correct CRCs) declaring w×h, with `rows` rows of real (compressed) zero data. */
function pngDeclaring(w: number, h: number, colorType = 2, rows = Math.min(h, 4)): Uint8Array {
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const bpp = colorType === 2 ? 3 : colorType === 6 ? 4 : 1;
  const raw = new Uint8Array(Math.min(rows * (1 + w * bpp), 64 << 20));
  const idat = deflateSync(raw);
  const parts = [Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function hostileImage(rng: Rng): { label: string; bytes: Uint8Array } {
  switch (rng.int(6)) {
    case 0: {
      const [w, h] = pick(rng, [[16000, 16000], [100000, 100000], [2 ** 31 - 1, 1], [65535, 65535], [30000, 1], [1, 30000], [20000, 3]]);
      return { label: `PNG declaring ${w}×${h}`, bytes: pngDeclaring(w, h) };
    }
    case 1: {
      const [w, h] = pick(rng, [[30000, 1], [1, 30000], [4000, 2], [50000, 4]]);
      return { label: `PNG ${w}×${h} fully encoded`, bytes: pngDeclaring(w, h, 0, h) };
    }
    case 2: return { label: 'SVG', bytes: new TextEncoder().encode(pick(rng, [
      '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="100%" height="100%"/></svg>',
      '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>',
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd"/></svg>',
    ])) };
    case 3: return { label: 'not an image (text / PDF / empty)', bytes: new TextEncoder().encode(pick(rng, ['', 'hello', '%PDF-1.4\n%%EOF', 'P6\n100000 100000\n255\n'])) };
    case 4: {
      const w = 1 + rng.int(3);
      return { label: `tiny ${w}×1 image`, bytes: pngDeclaring(w, 1, 2, 1) };
    }
    default: {
      const n = 1 + rng.int(2000);
      return { label: `GIF-like header declaring 65535×65535, ${n} bytes`, bytes: Uint8Array.from([...new TextEncoder().encode('GIF89a'), 0xff, 0xff, 0xff, 0xff, 0xf7, 0, 0, ...new Uint8Array(n)]) };
    }
  }
}

export const imageTarget: FuzzTarget = {
  name: 'image',
  async setup(corpus) {
    if (FORMATS.every((f) => existsSync(join(corpus, `seed.${f}`)))) return;
    const { default: sharp } = await import('sharp');
    const src = '../shared/clip/images/img0.png';
    for (const f of FORMATS) await sharp(src).toFormat(f).toFile(join(corpus, `seed.${f}`));
  },
  async run({ rng, work, corpus, label, reading }) {
    let bytes: Uint8Array;
    if (rng.int(4) === 0) {
      const h = hostileImage(rng);
      label(h.label);
      bytes = h.bytes;
    } else {
      const f = pick(rng, FORMATS);
      const m = byteMutation(rng, new Uint8Array(readFileSync(join(corpus, `seed.${f}`))));
      label(`${f}: ${m.label}`);
      bytes = m.bytes;
    }
    const file = join(work, 'image');
    writeFileSync(file, bytes);
    reading();
    preprocess(await decodeImageFile(file), 224);
  },
};
