/**
 * Interrupted training ends byte-identical to uninterrupted training (issue #22), on the native training
 * plan, the native per-op path (WHITTLE_NATIVE_PLAN=0) and wasm, for plain training and each technique that
 * carries state (RePr, SFP, Quant-Noise, PQ noise, stochastic depth): chains of processes stopped inside
 * each phase of a checkpoint write (WHITTLE_TEST_CRASH_AT), after a given step, and by SIGKILL / SIGINT
 * (once or twice) at seeded random times, each resumed with --resume; every checkpoint both runs hold must
 * match byte for byte. The fast version: tiny shapes runs (3-4 steps an epoch), one chain per scenario.
 * WHITTLE_LONG=1: longer runs, a chain per crash phase, single stops at every iteration, random chains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectSameCheckpoints, runChain, runStraight, seeded, type Scenario, type Stop } from './interrupt-harness.js';
import { nativeSkipReason } from '../engine/native-helpers.js';

const LONG = process.env.WHITTLE_LONG === '1';
const TMP = mkdtempSync(join(tmpdir(), 'whittle-interrupt-'));
const nativeSkip = await nativeSkipReason();

const tiny = (model: string, epochs: number, extra: Record<string, unknown> = {}, backend = 'native'): Record<string, unknown> => ({
  model: { name: model },
  data: { name: 'shapes', trainSubset: LONG ? 96 : 40, valSubset: 16 },
  train: { epochs: LONG ? epochs + 1 : epochs, batchSize: 16, lr: 0.02, optimizer: { type: 'sgd', momentum: 0.9, weightDecay: 5e-4 }, schedule: { type: 'cosine' } },
  seed: 7,
  backend,
  ...extra,
});

/** Scenarios: each backend path, and every stateful technique on one of them (two where cheap). */
const scenarios: Array<Scenario & { skip?: string }> = [
  // The plan: plain training, and RePr + SFP (hooks only: the model stays plan-covered). 40 images, batch
  // 16: the last batch of each epoch (8) is a second conv geometry.
  { name: 'plan-train', config: tiny('vanilla', 2), skip: nativeSkip },
  { name: 'plan-repr-sfp', config: tiny('vanilla', 3, { repr: { unit: 'iteration', s1: 2, s2: 2, cycles: 2, dropFraction: 0.3 }, sfp: { keepRate: 0.7 } }), skip: nativeSkip },
  // Per op: stochastic depth (its own lazy forward) on ResNet-20, and Quant-Noise.
  { name: 'perop-sd', config: tiny('resnet20', 2, { stochasticDepth: { rule: 'linear:0.5' } }), env: { WHITTLE_NATIVE_PLAN: '0' }, skip: nativeSkip },
  { name: 'perop-quant', config: tiny('vanilla', 2, { quant: { bits: 4, noiseRate: 0.5 } }), env: { WHITTLE_NATIVE_PLAN: '0' }, skip: nativeSkip },
  // wasm: plain training and PQ noise.
  { name: 'wasm-pqnoise', config: tiny('vanilla', 2, { pqNoise: { rate: 0.2 } }, 'wasm') },
];

const CRASH_PHASES = ['write', 'rename', 'ckpt-written', 'ckpt-renamed', 'latest'];

/**
 * The fast chain: a crash inside a checkpoint write (the phase varies by scenario), a SIGINT after a step,
 * a SIGKILL at a random time, then to the end. The long one: one chain per crash phase, then single stops
 * after every step, then three random chains of four SIGKILL/SIGINT stops (some SIGINTs twice).
 */
function chains(index: number, steps: number): Stop[][] {
  const phase = CRASH_PHASES[index % CRASH_PHASES.length];
  const rnd = seeded(1000 + index);
  const randomStop = (): Stop => (rnd() < 0.5 ? { signal: 'SIGKILL', afterMs: Math.floor(rnd() * 1500) } : { signal: 'SIGINT', afterMs: Math.floor(rnd() * 1500), twice: rnd() < 0.3 });
  if (!LONG) return [[{ crashAt: `${phase}:${3 + (index % 4)}` }, index % 2 === 0 ? { crashAt: 'step:2:SIGINT' } : randomStop()]];
  const out: Stop[][] = CRASH_PHASES.map((p, i) => [{ crashAt: `${p}:${2 + i}` }, { crashAt: `${p}:${5 + i}` }]);
  for (let k = 1; k < steps; k++) out.push([{ crashAt: `step:${k}` }]);
  for (let c = 0; c < 3; c++) out.push([randomStop(), randomStop(), randomStop(), randomStop()]);
  return out;
}

const totals = { chains: 0, processes: 0, interrupted: 0, compared: 0 };

// WHITTLE_INTERRUPT_ONLY=<name>: one scenario (while debugging).
const only = process.env.WHITTLE_INTERRUPT_ONLY;
scenarios.filter((s) => !only || s.name === only).forEach((s, index) => {
  test(`${s.name}: interrupted chains end byte-identical to the uninterrupted run`, { skip: s.skip }, async () => {
    const ref = join(TMP, s.name, 'straight');
    await runStraight(s, ref);
    const steps = Number(readFileSync(join(ref, 'checkpoints', 'latest'), 'utf8').trim().slice(5));
    const list = chains(index, steps);
    let c = 0;
    for (const stops of list) {
      const out = join(TMP, s.name, `chain-${c++}`);
      const r = await runChain(s, out, stops);
      const compared = expectSameCheckpoints(ref, out, `${s.name} chain ${c} (${r.stops.join(', ')})`);
      totals.chains++;
      totals.processes += r.processes;
      totals.interrupted += r.interrupted;
      totals.compared += compared;
      assert.ok(compared >= steps, `${s.name}: only ${compared} checkpoints compared`);
    }
    // At least one stop of the scenario actually cut the run short (stops are placed inside it).
    assert.ok(totals.interrupted > 0);
  });
});

test('summary', () => {
  console.log(`interruption harness: ${totals.chains} chains, ${totals.processes} processes, ${totals.interrupted} interruptions, ${totals.compared} checkpoints compared byte for byte`);
});
