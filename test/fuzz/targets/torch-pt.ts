/**
 * `.pt` files through `clip.load` (zip → restricted unpickler → tensor views → CLIP architecture): mutated
 * copies of the tiny CLIP fixture (zip bytes, data.pkl bytes) and hostile pickles written from scratch
 * (module chains, memo amplification, stride-0 views, bad shapes/sizes, code-running globals).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import type { Rng } from '../../../src/core/rng.js';
import { load } from '../../../src/clip/load.js';
import type { FuzzTarget } from '../target.js';
import { byteMutation, HOSTILE_NUMBERS, pick } from '../mutate.js';
import { PickleBuilder, torchSave } from '../pickle-builder.js';
import { randomClipStateDict } from '../../../src/clip/model/shapes.js';

const zipOf = (entries: Record<string, Uint8Array>) => zipSync(entries, { level: 0 });

const FIXTURE = '../shared/clip/tiny_vit/tiny_clip_vit_state_dict.pt';
/** A much smaller ViT CLIP written by torchSave (most cases: fast to mutate and read), besides the shared fixture. */
const SMALL = { embedDim: 16, imageResolution: 16, visionLayers: 1, visionWidth: 64, visionPatchSize: 8, contextLength: 77, vocabSize: 64, transformerWidth: 64, transformerLayers: 1 };
type Seed = { zip: Uint8Array; entries: Record<string, Uint8Array>; pkl: string };
let seeds: Seed[] | undefined;

function seedFiles(): Seed[] {
  if (!seeds) {
    const zip = new Uint8Array(readFileSync(FIXTURE));
    const small = torchSave(randomClipStateDict(SMALL, 3));
    seeds = [
      { zip: zipOf(small), entries: small, pkl: 'archive/data.pkl' },
      { zip, entries: unzipSync(zip), pkl: 'tiny_clip_vit_state_dict/data.pkl' },
    ];
  }
  return seeds;
}


/** An archive with a hand-written data.pkl and one 1 MiB float storage "0". */
function hostileArchive(rng: Rng): { label: string; zip: Uint8Array } {
  const storage = { type: 'FloatStorage', key: '0', numel: 262_144 as unknown };
  const p = new PickleBuilder();
  let label: string;
  switch (rng.int(9)) {
    case 0: {
      const n = 5_000 + rng.int(100_000);
      label = `TorchScript module chain ${n} deep`;
      for (let i = 0; i < n; i++) p.global('__torch__', 'M').emptyTuple().newobj().emptyDict().str(i === 0 ? 'visual' : 'sub');
      p.global('__torch__', 'M').emptyTuple().newobj().emptyDict().str('weight').tensor(storage, 0, [4], [1]).setitem().build();
      for (let i = 0; i < n; i++) p.setitem().build();
      break;
    }
    case 1: {
      const n = 1_000 + rng.int(50_000);
      label = `memo amplification: ${n} keys share one 1 MiB tensor`;
      p.emptyDict().str('k0').tensor(storage, 0, [262_144], [1]).put(0).setitem();
      for (let i = 1; i < n; i++) p.str(`k${i}`).get(0).setitem();
      break;
    }
    case 2: {
      const shape = pick(rng, [[1e9], [65536, 65536], [2 ** 31, 2], [1e6, 1e6, 1e6]]);
      label = `stride-0 view of shape [${shape}]`;
      p.emptyDict().str('w').tensor(storage, 0, shape, shape.map(() => 0)).setitem();
      break;
    }
    case 3: {
      const bad = pick(rng, HOSTILE_NUMBERS);
      const where = rng.int(4);
      label = `tensor ${['shape', 'stride', 'offset', 'storage numel'][where]} = ${JSON.stringify(bad)}`;
      const s = where === 3 ? { ...storage, numel: bad } : storage;
      p.emptyDict().str('w').tensor(s, where === 2 ? bad : 0, where === 0 ? [bad, 4] : [2, 4], where === 1 ? [bad, 1] : [4, 1]).setitem();
      break;
    }
    case 4: {
      const depth = 1_000 + rng.int(100_000);
      label = `persistent id nested ${depth} deep / doubling`;
      if (rng.int(2)) {
        for (let i = 0; i < depth; i++) p.emptyList();
        for (let i = 0; i < depth - 1; i++) p.append();
      } else {
        p.emptyList().put(0);
        for (let i = 1; i < 60; i++) p.mark().get(i - 1).get(i - 1).list().put(i);
      }
      p.binpersid();
      break;
    }
    case 5: {
      const [m, n] = pick(rng, [['os', 'system'], ['posix', 'system'], ['builtins', 'eval'], ['builtins', 'exec'], ['subprocess', 'Popen'], ['builtins', 'getattr'], ['nt', 'system'], ['__builtin__', 'eval'], ['torch', 'load'], ['numpy', 'load']]);
      label = `GLOBAL ${m}.${n} REDUCE`;
      p.global(m, n).value(['echo pwned']).reduce();
      break;
    }
    case 6: {
      label = 'storage key outside the archive';
      p.emptyDict().str('w').tensor({ ...storage, key: pick(rng, ['../../etc/passwd', '99', '', '0/../0']) }, 0, [4], [1]).setitem();
      break;
    }
    case 7: {
      label = 'storage type / dtype mismatch';
      p.emptyDict().str('w').tensor({ ...storage, type: pick(rng, ['DoubleStorage', 'LongStorage', 'ComplexFloatStorage', 'QInt8Storage', 'Evil']) }, 0, [262_144], [1]).setitem();
      break;
    }
    default: {
      const n = 1 + rng.int(200);
      label = `${n} stacked REDUCE/BUILD on unknown classes`;
      p.emptyDict().str('w');
      for (let i = 0; i < n; i++) p.global('mymod', 'C').emptyTuple();
      for (let i = 0; i < n; i++) p.reduce().build();
      p.setitem();
    }
  }
  const entries = { [`x/data.pkl`]: p.stop(), [`x/data/0`]: new Uint8Array(1 << 20), 'x/version': new TextEncoder().encode('3\n') };
  return { label, zip: zipOf(entries) };
}

export const torchPtTarget: FuzzTarget = {
  name: 'pt',
  async setup() {
    seedFiles();
  },
  async run({ rng, work, label, reading }) {
    // the shared fixture in 1 case of 5, the small synthetic CLIP otherwise
    const { zip, entries, pkl } = seedFiles()[rng.int(5) === 0 ? 1 : 0];
    let bytes: Uint8Array;
    const r = rng.int(10);
    if (r < 3) {
      const m = byteMutation(rng, zip, 0, Math.min(zip.length, 8192));
      label(`zip bytes: ${m.label}`);
      bytes = m.bytes;
    } else if (r < 7) {
      const m = byteMutation(rng, entries[pkl]);
      label(`data.pkl: ${m.label}`);
      bytes = zipOf({ ...entries, [pkl]: m.bytes });
    } else {
      const h = hostileArchive(rng);
      label(h.label);
      bytes = h.zip;
    }
    const file = join(work, 'model.pt');
    writeFileSync(file, bytes);
    reading();
    const clip = await load(file, { progress: false });
    clip.model.dispose();
  },
};
