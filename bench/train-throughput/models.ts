/**
 * The benchmark's nets. Uses the zoo (`createModel`) when src/models/registry.ts is present, otherwise
 * local tfjs-layers definitions with the same layer names (conv1.. fc) and shapes.
 */
import { tfl } from '../../src/engine/tf.js';

type Sym = tfl.SymbolicTensor;

function localVanilla(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3], name: 'input' });
  let x: Sym = input;
  for (let i = 1; i <= 3; i++) {
    x = tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', name: `conv${i}` }).apply(x) as Sym;
    x = tfl.layers.reLU({ name: `relu${i}` }).apply(x) as Sym;
  }
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  x = tfl.layers.dense({ units: 10, name: 'fc' }).apply(x) as Sym;
  return tfl.model({ inputs: input, outputs: x, name: 'vanilla' });
}

/** ResNet-56 for CIFAR with 1x1-conv projection shortcuts (fallback only; the zoo uses option A). */
function localResnet56(): tfl.LayersModel {
  const bn = (name: string) => tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 1e-5, name });
  const conv = (f: number, s: number, name: string, k = 3) =>
    tfl.layers.conv2d({ filters: f, kernelSize: k, strides: s, padding: 'same', useBias: false, name });
  const input = tfl.input({ shape: [32, 32, 3], name: 'input' });
  let x = tfl.layers.reLU().apply(bn('bn1').apply(conv(16, 1, 'conv1').apply(input))) as Sym;
  let c = 16;
  for (let s = 0; s < 3; s++) {
    const f = 16 * 2 ** s;
    for (let b = 0; b < 9; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `stage${s + 1}.block${b}`;
      let y = tfl.layers.reLU().apply(bn(`${p}.bn1`).apply(conv(f, stride, `${p}.conv1`).apply(x))) as Sym;
      y = bn(`${p}.bn2`).apply(conv(f, 1, `${p}.conv2`).apply(y)) as Sym;
      const sc = stride !== 1 || c !== f ? (conv(f, stride, `${p}.shortcut`, 1).apply(x) as Sym) : x;
      x = tfl.layers.reLU().apply(tfl.layers.add().apply([y, sc])) as Sym;
      c = f;
    }
  }
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as Sym;
  x = tfl.layers.dense({ units: 10, name: 'fc' }).apply(x) as Sym;
  return tfl.model({ inputs: input, outputs: x, name: 'resnet56' });
}

export async function buildModel(name: 'vanilla' | 'resnet56'): Promise<{ model: tfl.LayersModel; source: string }> {
  if (!process.env.WHITTLE_BENCH_LOCAL_MODELS) {
    try {
      const reg = (await import('../../src/models/registry.js')) as { createModel(n: string, o?: { seed?: number }): tfl.LayersModel };
      return { model: reg.createModel(name, { seed: 1 }), source: 'registry' };
    } catch (e) {
      process.stderr.write(`models registry unavailable (${(e as Error).message.split('\n')[0]}); using local definitions\n`);
    }
  }
  return { model: name === 'vanilla' ? localVanilla() : localResnet56(), source: 'local' };
}
