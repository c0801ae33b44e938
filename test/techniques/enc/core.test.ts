import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { factorize, sliceFactors, unfactorize, type KernelGeometry } from '../../../src/techniques/enc/factorize.js';
import { breakEvenRank, macsPerRank, originalMacs, type LayerSpec } from '../../../src/techniques/enc/cost.js';
import { pcaEnergy, accuracyCurve, energyCurve, monotonePoints, sampleRanks, networkMetrics } from '../../../src/techniques/enc/metrics.js';
import { pchip } from '../../../src/techniques/enc/pchip.js';
import { evbmfRank } from '../../../src/techniques/enc/vbmf.js';
import { svdTopK } from '../../../src/linalg/svd.js';
import { Rng } from '../../../src/core/rng.js';
import { randomArray, relError } from '../../helpers/backends.js';

const geoms: KernelGeometry[] = [
  { scheme: 'channel', kh: 3, kw: 3, cin: 3, cout: 16 },
  { scheme: 'spatial', kh: 3, kw: 3, cin: 16, cout: 32 },
  { scheme: 'spatial', kh: 5, kw: 3, cin: 4, cout: 6 },
  { scheme: 'dense', kh: 1, kw: 1, cin: 20, cout: 10 },
];

for (const g of geoms) {
  test(`factorise/unfactorise round trip at full rank (${g.scheme} ${g.kh}x${g.kw} ${g.cin}→${g.cout})`, () => {
    const k = randomArray(g.kh * g.kw * g.cin * g.cout, 11);
    const f = factorize(k, g);
    assert.ok(relError(unfactorize(f), k) < 1e-5, `rel err ${relError(unfactorize(f), k)}`);
    // Slicing the first r components = truncated SVD: error decreases with r.
    let prev = Infinity;
    for (const r of [1, Math.ceil(f.rank / 2), f.rank]) {
      const e = relError(unfactorize(sliceFactors(f, r)), k);
      assert.ok(e <= prev + 1e-7);
      prev = e;
    }
  });
}

test('R_max reproduces the ResNet-56 list of methods.md §3.1 (10, 24, 32, 48, 64, 96)', () => {
  const sp = (cin: number, cout: number): KernelGeometry => ({ scheme: 'spatial', kh: 3, kw: 3, cin, cout });
  assert.equal(breakEvenRank({ scheme: 'channel', kh: 3, kw: 3, cin: 3, cout: 16 }), 10);
  assert.deepEqual([sp(16, 16), sp(16, 32), sp(32, 32), sp(32, 64), sp(64, 64)].map(breakEvenRank), [24, 32, 48, 64, 96]);
  assert.equal(breakEvenRank({ scheme: 'dense', kh: 1, kw: 1, cin: 512, cout: 512 }), 256);
});

test('per-rank MACs: spatial at R_max ≈ original; exact stride mode counts the unstrided columns', () => {
  const l: LayerSpec = { name: 'c', scheme: 'spatial', kh: 3, kw: 3, cin: 16, cout: 32, strides: [2, 2], padding: 'valid', inH: 34, inW: 34, outH: 16, outW: 16, useBias: false };
  assert.equal(macsPerRank(l, 'reference') * 32, originalMacs(l));
  assert.equal(macsPerRank(l, 'exact'), 16 * 3 * 16 * 34 + 32 * 3 * 16 * 16);
});

test('PCA energy: E(1) = 0, E(R_max) = 1, monotone; truncated at R_max (not the full spectrum)', () => {
  const s = [5, 3, 2, 1, 0.5, 0.25];
  const e = pcaEnergy(s, 4);
  assert.deepEqual(Array.from(e), [0, 3 / 6, 5 / 6, 1]);
  const rnd = factorize(randomArray(3 * 3 * 16 * 16, 2), { scheme: 'spatial', kh: 3, kw: 3, cin: 16, cout: 16 }).singularValues;
  const e2 = pcaEnergy(rnd, 24);
  assert.equal(e2[0], 0);
  assert.equal(e2[23], 1);
  for (let i = 1; i < e2.length; i++) assert.ok(e2[i] >= e2[i - 1]);
  const cv = energyCurve(e2);
  assert.ok(Math.abs(cv.inverse(1) - 1) < 1e-12);
  assert.ok(Math.abs(cv.inverse(0)) < 1e-12);
});

test('PCHIP matches SciPy PchipInterpolator (fixture from scripts/fixtures/enc-pchip.py)', () => {
  const fx = JSON.parse(readFileSync('test/fixtures/enc/pchip.json', 'utf8')) as { cases: Array<{ name: string; x: number[]; y: number[]; q: number[]; v: number[]; d: number[] }> };
  assert.ok(fx.cases.length >= 5);
  for (const c of fx.cases) {
    const p = pchip(c.x, c.y);
    c.q.forEach((t, i) => assert.ok(Math.abs(p.at(t) - c.v[i]) < 1e-12, `${c.name} at ${t}: ${p.at(t)} vs ${c.v[i]}`));
    c.d.forEach((d, i) => assert.ok(Math.abs(p.d[i] - d) < 1e-12, `${c.name} slope ${i}`));
  }
});

test('validation-accuracy curve: anchor (0,0), value 1 at R_max, non-monotone samples discarded for the inverse', () => {
  const cv = accuracyCurve({ ranks: [2, 5, 8, 12], values: [0.3, 0.9, 0.85, 0.99] }, 24);
  assert.ok(Math.abs(cv.value(24) - 1) < 1e-12);
  assert.ok(Math.abs(cv.value(5) - 0.9) < 1e-12);
  const mono = monotonePoints([0, 2 / 24, 5 / 24, 8 / 24, 12 / 24, 1], [0, 0.3, 0.9, 0.85, 0.99, 1]);
  assert.deepEqual(mono.v, [0, 0.3, 0.9, 0.99, 1]);
  assert.ok(Math.abs(cv.inverse(0.9) - 5 / 24) < 1e-12);
  assert.deepEqual(sampleRanks(24, 10), [2, 5]); // np.around(2.5) = 2
  assert.deepEqual(sampleRanks(96, 60), [10, 12, 15, 30]); // P1 = around(12.5) = 12
});

test('EVBMF recovers the rank of low-rank + Gaussian noise matrices (sample-rank choice, methods.md §3.2)', () => {
  const rng = new Rng(1);
  for (const [L, M, H, noise] of [[48, 48, 5, 0.1], [100, 300, 10, 1.0], [27, 16, 3, 0.05]] as const) {
    const u = Array.from({ length: L * H }, () => rng.normal());
    const v = Array.from({ length: M * H }, () => rng.normal());
    const a = new Float64Array(L * M);
    for (let i = 0; i < L; i++)
      for (let j = 0; j < M; j++) {
        let s = 0;
        for (let k = 0; k < H; k++) s += u[i * H + k] * v[j * H + k];
        a[i * M + j] = s + noise * rng.normal();
      }
    assert.equal(evbmfRank(svdTopK(a, L, M).S, L, M), H);
  }
});

test('network metrics: A_p = Π E_l, A_m = Π A_l, A_c = A_p·C/C_orig + A_m (methods.md §3.3)', () => {
  const e1 = energyCurve(pcaEnergy([4, 2, 1, 1], 4)); // E = 0, 2/4, 3/4, 1
  const e2 = energyCurve(pcaEnergy([3, 1, 1], 3)); // E = 0, 1/2, 1
  const a1 = accuracyCurve({ ranks: [2], values: [0.8] }, 4); // PCHIP passes through its samples
  const a2 = accuracyCurve({ ranks: [1], values: [0.6] }, 3);
  const m = networkMetrics({ energy: [e1, e2], accuracy: [a1, a2] }, [3, 1], 0.4);
  assert.equal(m.Ap, 0, 'E_2(1) = 0');
  assert.ok(Math.abs(m.Am - a1.value(3) * 0.6) < 1e-15 && a1.value(3) > 0.8 && a1.value(3) < 1);
  const n = networkMetrics({ energy: [e1, e2], accuracy: [a1, a2] }, [2, 2], 0.4);
  assert.ok(Math.abs(n.Ap - 0.5 * 0.5) < 1e-15, `A_p ${n.Ap}`);
  const a2at2 = a2.value(2);
  assert.ok(a2at2 > 0.6 && a2at2 < 1, 'A_2(2) interpolated between its samples');
  assert.ok(Math.abs(n.Am - 0.8 * a2at2) < 1e-15, `A_m ${n.Am}`);
  assert.ok(Math.abs(n.Ac - (n.Ap * 0.4 + n.Am)) < 1e-15, `A_c ${n.Ac}`);
  const full = networkMetrics({ energy: [e1, e2], accuracy: [a1, a2] }, [4, 3], 1);
  assert.deepEqual([full.Ap, full.Am, full.Ac], [1, 1, 2]);
  assert.ok(Number.isNaN(networkMetrics({ energy: [e1, e2] }, [4, 3], 1).Am), 'A_m undefined without the validation metric');
});
