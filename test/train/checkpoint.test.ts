import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { train, type TrainOptions } from '../../src/train/loop.js';
import { Sgd } from '../../src/train/optim/sgd.js';
import { Adam } from '../../src/train/optim/adam.js';
import { latestCheckpoint, listCheckpoints, loadCheckpoint } from '../../src/train/checkpoint.js';
import { captureWeights } from '../../src/train/model-state.js';
import { multiStep } from '../../src/train/schedule.js';
import type { TrainHook } from '../../src/train/hooks.js';
import { FormatError } from '../../src/core/errors.js';
import { arrayBatches, arraySource, tinyModel, toyData, weightBytes } from './helpers.js';

before(async () => {
  await initBackend('wasm');
});

const tmp = () => mkdtempSync(join(tmpdir(), 'whittle-ckpt-'));
const data = toyData(80, 11);
const val = toyData(16, 12);

/** A hook with JSON + tensor state that draws from ctx.rng: resume must restore all of it. */
function jitterHook(): TrainHook & { count: number } {
  let noise = tf.zeros([4]);
  const h = {
    name: 'jitter',
    count: 0,
    onEpochStart(ctx: Parameters<NonNullable<TrainHook['onEpochStart']>>[0]) {
      const v = new Float32Array(4).map(() => ctx.rng.normal(0, 0.01));
      noise.dispose();
      noise = tf.tensor1d(v);
      tf.tidy(() => {
        const b = ctx.params.get('conv1/bias')!.variable;
        b.assign(tf.add(b, noise));
      });
    },
    afterOptimizerStep() {
      h.count++;
    },
    state: () => ({ json: { count: h.count }, tensors: { noise: { shape: [4], data: noise.dataSync() as Float32Array } } }),
    loadState(s: { json?: unknown; tensors?: Record<string, { shape: number[]; data: Float32Array }> }) {
      h.count = (s.json as { count: number }).count;
      noise.dispose();
      noise = tf.tensor(s.tensors!.noise.data, s.tensors!.noise.shape);
    },
  };
  return h;
}

function opts(dir: string, seed = 7): TrainOptions {
  return {
    model: tinyModel(1),
    data: arraySource(data, 16),
    evalData: () => arrayBatches(val, 8),
    epochs: 3,
    optimizer: new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
    lr: multiStep({ base: 0.05, milestones: [1, 2], gamma: [2, 0.1] }),
    seed,
    hooks: [jitterHook()],
    checkpoint: { dir, everySteps: 3 },
    meta: { modelName: 'tiny', modelOptions: { filters: 4 } },
    config: { lr: 0.05 },
  };
}

test('checkpoint round trip: weights, optimizer, hook state, metadata; latest + previous kept', async () => {
  const dir = tmp();
  const o = opts(dir);
  await train({ ...o, epochs: 1 });
  const ck = loadCheckpoint(dir);
  assert.equal(ck.dir, latestCheckpoint(dir));
  assert.deepEqual([ck.state.epoch, ck.state.stepInEpoch, ck.state.iteration], [1, 0, 5]);
  for (const [k, w] of captureWeights(o.model)) assert.deepEqual(ck.weights.get(k), w, k);
  const live = o.optimizer.getState();
  assert.deepEqual(ck.optimizer.slots, live.slots);
  assert.deepEqual(ck.optimizer.steps, live.steps);
  assert.equal(ck.optimizer.kind, 'sgd');
  assert.deepEqual(ck.meta, { modelName: 'tiny', modelOptions: { filters: 4 } });
  assert.equal((ck.topology as { class_name: string }).class_name, 'Model');
  assert.deepEqual(ck.state.hooks.jitter, { count: 5 });
  assert.equal(ck.hookTensors.jitter.noise.data.length, 4);
  assert.equal(ck.state.history.length, 1);
  assert.equal(typeof ck.state.history[0].val?.top1, 'number');
  assert.deepEqual(ck.state.config, { lr: 0.05 });
  assert.deepEqual(listCheckpoints(dir).map((d) => d.slice(-13)), ['ckpt-00000003', 'ckpt-00000005']);
  assert.deepEqual(Object.keys(ck.state.files).sort(), ['hooks.safetensors', 'model.json', 'optimizer.safetensors', 'weights.safetensors']);
  rmSync(dir, { recursive: true });
});

test('in-process stop and resume mid-epoch is bit-identical (weights, optimizer, hooks, history)', async () => {
  const a = tmp();
  const full = opts(a);
  const ra = await train(full);
  const b = tmp();
  const first = opts(b);
  const stop = await train({ ...first, maxIterations: 7 });
  assert.equal(stop.stopped, true);
  assert.deepEqual([loadCheckpoint(b).state.epoch, loadCheckpoint(b).state.stepInEpoch], [1, 2]);
  const second = { ...opts(b), model: tinyModel(99), resume: true as const };
  const rb = await train(second);
  assert.equal(rb.resumedFrom, join(b, 'ckpt-00000007'));
  assert.ok(weightBytes(second.model).equals(weightBytes(full.model)), 'weights differ after resume');
  assert.deepEqual(second.optimizer.getState().slots, full.optimizer.getState().slots);
  assert.equal((second.hooks![0] as unknown as { count: number }).count, 15);
  const strip = (h: typeof ra.history) => h.map(({ seconds: _s, ...r }) => r);
  assert.deepEqual(strip(rb.history), strip(ra.history));
  rmSync(a, { recursive: true });
  rmSync(b, { recursive: true });
});

test('corrupt or truncated checkpoints fail with an error naming the file', async () => {
  const dir = tmp();
  await train({ ...opts(dir), epochs: 1 });
  const ck = latestCheckpoint(dir)!;
  const copy = (name: string) => {
    const d = join(dir, `case-${name}`);
    mkdirSync(d);
    for (const f of readdirSync(ck)) writeFileSync(join(d, f), readFileSync(join(ck, f)));
    return d;
  };
  const expectErr = (d: string, file: RegExp) =>
    assert.throws(() => loadCheckpoint(d), (e: unknown) => e instanceof FormatError && file.test(e.message), `expected ${file}`);

  let d = copy('trunc-weights');
  truncateSync(join(d, 'weights.safetensors'), 100);
  expectErr(d, /weights\.safetensors.*(truncated|corrupt)/);

  d = copy('flip-opt');
  const buf = readFileSync(join(d, 'optimizer.safetensors'));
  buf[buf.length - 3] ^= 0x40;
  writeFileSync(join(d, 'optimizer.safetensors'), buf);
  expectErr(d, /optimizer\.safetensors.*SHA-256/);

  d = copy('trunc-state');
  truncateSync(join(d, 'state.json'), 50);
  expectErr(d, /state\.json.*not valid JSON/);

  d = copy('missing-model');
  rmSync(join(d, 'model.json'));
  expectErr(d, /model\.json.*missing/);

  writeFileSync(join(dir, 'latest'), 'ckpt-99999999\n');
  assert.throws(() => loadCheckpoint(dir), /latest.*ckpt-99999999.*does not exist/);
  rmSync(dir, { recursive: true });
});

test('a crash mid-save leaves latest on a complete checkpoint; the next save cleans up', async () => {
  const dir = tmp();
  await train({ ...opts(dir), epochs: 1 });
  const good = latestCheckpoint(dir)!;
  // What a SIGKILL during saveCheckpoint can leave: a partial temp dir, or a renamed but unpublished dir.
  mkdirSync(join(dir, '.tmp-ckpt-00000009-12345'));
  writeFileSync(join(dir, '.tmp-ckpt-00000009-12345', 'weights.safetensors'), 'partial');
  mkdirSync(join(dir, 'ckpt-00000009'));
  assert.equal(loadCheckpoint(dir).dir, good);
  const r = await train({ ...opts(dir), epochs: 2, resume: true });
  assert.equal(r.resumedFrom, good);
  assert.equal(existsSync(join(dir, '.tmp-ckpt-00000009-12345')), false);
  assert.equal(loadCheckpoint(join(dir, 'ckpt-00000009')).state.iteration, 9);
  assert.equal(listCheckpoints(dir).length, 2);
  rmSync(dir, { recursive: true });
});

test('resume refuses a different seed or optimizer kind', async () => {
  const dir = tmp();
  await train({ ...opts(dir), epochs: 1 });
  await assert.rejects(train({ ...opts(dir, 8), resume: true }), /seed 7.*seed 8/);
  await assert.rejects(train({ ...opts(dir), optimizer: new Adam(), resume: true }), /"sgd".*"adam"/);
  rmSync(dir, { recursive: true });
});
