import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onBackend, randomArray, relError, tf } from '../helpers/backends.js';
import { tfl } from '../../src/engine/tf.js';
import { createModel } from '../../src/models/registry.js';
import { describeResidualBlocks } from '../../src/models/residual.js';
import { ShortcutA } from '../../src/models/layers.js';
import { weightBytes } from './helpers.js';

async function saveArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  assert.ok(saved);
  return saved;
}

for (const name of ['vanilla', 'resnet20']) {
  test(`${name}: save/load round trip gives identical outputs and structure`, async () => {
    await onBackend('wasm', async () => {
      const model = createModel(name, { seed: 9 });
      const x = tf.tensor4d(randomArray(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
      const artifacts = await saveArtifacts(model);
      const topology = JSON.stringify(artifacts.modelTopology);
      if (name === 'resnet20') assert.ok(topology.includes(ShortcutA.className), 'custom layer in topology');

      const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
      assert.deepEqual(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
      assert.deepEqual(loaded.getUserDefinedMetadata(), model.getUserDefinedMetadata());
      const before = weightBytes(model);
      for (const [k, v] of weightBytes(loaded)) assert.deepEqual(v, before.get(k), k);
      const y0 = model.predict(x) as tf.Tensor;
      const y1 = loaded.predict(x) as tf.Tensor;
      assert.equal(relError(y1.dataSync(), y0.dataSync()), 0);
      assert.deepEqual(describeResidualBlocks(loaded), describeResidualBlocks(model));

      // Topology alone through modelFromJSON (weights then copied by key).
      const rebuilt = await tfl.models.modelFromJSON({ modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'] });
      rebuilt.setWeights(model.getWeights());
      const y2 = rebuilt.predict(x) as tf.Tensor;
      assert.equal(relError(y2.dataSync(), y0.dataSync()), 0);
      tf.dispose([x, y0, y1, y2]);
      model.dispose();
      loaded.dispose();
      rebuilt.dispose();
    });
  });
}
