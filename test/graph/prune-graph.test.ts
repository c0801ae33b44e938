/**
 * Dependency-graph filter pruning on the two bring-your-own graphs: groups follow Add (tied channels),
 * depthwise (in = out), Concatenate (offsets), Flatten → Dense (rows), the squeeze-excite Multiply; the
 * physically pruned model equals the channel-masked one (< 1e-5) and is smaller; fixed groups say why.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../../src/engine/tf.js';
import { initBackend } from '../../src/engine/backend.js';
import { buildChannelGraph, channelGroups } from '../../src/graph/channel-graph.js';
import { maskGroups, planGraphPruning, pruneGroups } from '../../src/graph/prune-graph.js';
import { randomArray, relError } from '../helpers/backends.js';
import { inceptionStyle, mobileNetV2Style } from '../models/graphs.js';

before(async () => {
  await initBackend('cpu');
});

function predict(m: tfl.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (m.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}

test('mobilenetv2-style groups: Add ties the residual stream, depthwise ties in/out, SE Multiply joins its stream', () => {
  const g = buildChannelGraph(mobileNetV2Style());
  const groups = channelGroups(g);
  const of = (producer: string) => groups.find((x) => x.producers.includes(producer))!;
  assert.deepEqual(of('stem_conv').producers.sort(), ['block1_project', 'stem_conv']);
  assert.deepEqual(of('block3_project').producers.sort(), ['block2_project', 'block3_project', 'se_expand']);
  assert.equal(of('block1_expand').producers.length, 1, 'expand → depthwise → project input: one group');
  assert.equal(of('logits').prunable, false);
  assert.match(of('logits').reason!, /model output/);
  assert.ok(groups.some((x) => !x.prunable && /model input/.test(x.reason!)));
});

for (const [name, build] of [['mobilenetv2-style', mobileNetV2Style], ['inception-style', inceptionStyle]] as const) {
  test(`${name}: the pruned model equals the channel-masked one (< 1e-5) and is smaller`, async () => {
    const model = build();
    const shape = [3, ...(model.inputs[0].shape.slice(1) as number[])];
    const x = randomArray(shape.reduce((a, b) => a * b, 1), 3).map((v) => 100 * (v + 1));
    const plan = planGraphPruning(model, 0.25);
    assert.ok(plan.remove.size >= 4, `${plan.remove.size} groups pruned`);
    const before = predict(model, x, shape);
    maskGroups(model, plan);
    const masked = predict(model, x, shape);
    assert.ok(relError(masked, before) > 1e-3, 'masking changed the model');
    const small = await pruneGroups(model, plan);
    assert.ok(small.countParams() < model.countParams(), `${small.countParams()} < ${model.countParams()}`);
    const e = relError(predict(small, x, shape), masked);
    assert.ok(e < 1e-5, `pruned vs masked: ${e}`);
  });
}
