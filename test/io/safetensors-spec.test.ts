import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readSafetensors, writeSafetensors, dtypeBytes } from '../../src/io/safetensors.js';
import { FormatError } from '../../src/core/errors.js';
import { joinSafetensors } from '../fuzz/targets/safetensors-mutations.js';

const file = joinSafetensors;
const refused = (b: Uint8Array, why: RegExp) => assert.throws(() => readSafetensors(b, 'x.safetensors'), (e: Error) => e instanceof FormatError && why.test(e.message));

test('safetensors: files the reference implementation rejects are refused, naming the field', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  assert.equal(readSafetensors(file(ok, new Uint8Array(8))).tensors.get('a')!.bytes.length, 8);
  refused(file(' ' + ok, new Uint8Array(8)), /does not start with "\{"/);
  refused(file(ok, new Uint8Array(12)), /trailing bytes/);
  refused(file(ok, new Uint8Array(4)), /truncated/);
  refused(file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8.5]}}', new Uint8Array(8)), /field "data_offsets"/);
  refused(file('{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}', new Uint8Array(4)), /field "shape"/);
  refused(file('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', new Uint8Array(8)), /field "shape"/);
  refused(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)), /overlapping/);
  refused(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8)), /gap/);
  refused(file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), /does not match shape/);
  refused(file('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)), /unknown dtype/);
  refused(file('{"__metadata__":{"k":1}}', new Uint8Array(0)), /not a string/);
  refused(file(ok, new Uint8Array(8), 2n ** 63n), /header length/);
  refused(file(Uint8Array.from([0x7b, 0xff, 0x7d]), new Uint8Array(0)), /UTF-8/);
});

// Property (fast-check): any header over any data either reads to tensors that tile the data exactly, each
// dtype size × shape product bytes long, or is refused with a FormatError. Never another error.
const dim = fc.oneof(fc.nat(6), fc.integer({ min: -3, max: -1 }), fc.double(), fc.boolean(), fc.string({ maxLength: 2 }), fc.constant(2 ** 53));
const entry = fc.record({
  dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I8', 'U8', 'I16', 'I32', 'I64', 'F64', 'BOOL'), fc.string({ maxLength: 4 })),
  shape: fc.array(dim, { maxLength: 3 }),
  data_offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), fc.array(fc.oneof(fc.nat(64), fc.double()), { maxLength: 3 })),
});
test('safetensors (property): read or FormatError; accepted tensors tile the data exactly', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }), entry, { maxKeys: 4 }), fc.nat(64), (header, n) => {
      const b = file(JSON.stringify(header), new Uint8Array(n));
      let st;
      try {
        st = readSafetensors(b, 'p.safetensors');
      } catch (e) {
        assert.ok(e instanceof FormatError, String(e));
        return;
      }
      let total = 0;
      for (const t of st.tensors.values()) {
        const elems = t.shape.reduce((a, d) => a * d, 1);
        assert.equal(t.bytes.length, elems * dtypeBytes(t.dtype));
        total += t.bytes.length;
      }
      assert.equal(total, n);
    }),
    { seed: 42, numRuns: 2000 },
  );
  // and whatever the writer produces reads back
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { maxLength: 4 }), (shapes) => {
      const t = Object.fromEntries(shapes.map(([a, b], i) => [`t${i}`, { dtype: 'F32' as const, shape: [a, b], data: new Float32Array(a * b) }]));
      assert.equal(readSafetensors(writeSafetensors(t)).tensors.size, shapes.length);
    }),
    { seed: 43, numRuns: 300 },
  );
});
