import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { unpickle, PyDict, PyObject } from '../../src/io/pickle.js';
import { FormatError } from '../../src/core/errors.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
// pickle.dumps(obj, protocol=p) of {'a': [1, 2.5, None, True, False], 'b': (b'xy', 'é€'), 'c': {1, 2}, 'big': 2**70,
// 'neg': -5, 'od': OrderedDict([('k', 1)]), 'fs': frozenset([3]), 'n': 300, 'n2': 70000, 'tup': (1,), 't3': (1, 2, 3)}
const P2 = '80027d71002858010000006171015d7102284b014740040000000000004e8889655801000000627103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271085805000000c3a9e282ac710986710a580100000063710b635f5f6275696c74696e5f5f0a7365740a710c5d710d284b014b026585710e52710f580300000062696771108a0900000000000000004058030000006e656771114afbffffff58020000006f64711263636f6c6c656374696f6e730a4f726465726564446963740a71132952711458010000006b71154b0173580200000066737116635f5f6275696c74696e5f5f0a66726f7a656e7365740a71175d71184b036185711952711a58010000006e711b4d2c0158020000006e32711c4a701101005803000000747570711d4b0185711e58020000007433711f4b014b024b03877120752e';
const P5 = '800595b5000000000000007d94288c0161945d94284b014740040000000000004e8889658c01629443027879948c05c3a9e282ac9486948c0163948f94284b014b02908c03626967948a090000000000000000408c036e6567944afbffffff8c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b01738c02667394284b0391948c016e944d2c018c026e32944a701101008c03747570944b0185948c027433944b014b024b038794752e';
const P0 = '286470300a56610a70310a286c70320a49310a6156780a70330a617356660a70340a46312e350a732e';
// class Evil: __reduce__ = (os.system, ('echo PWNED > /tmp/pwned',))
const EVIL = '800263706f7369780a73797374656d0a710058170000006563686f2050574e4544203e202f746d702f70776e656471018571025271032e';
const CUSTOM = '8002635f5f6d61696e5f5f0a437573746f6d0a7100298171017d71022858010000007871034b0158010000007971045d7105284b014b026575622e';

function checkSample(v: unknown) {
  assert.ok(v instanceof PyDict);
  const d = v as PyDict;
  assert.deepEqual([...(d.get('a') as unknown[])], [1, 2.5, null, true, false]);
  const b = d.get('b') as unknown[];
  assert.deepEqual(Array.from(b[0] as Uint8Array), [0x78, 0x79]);
  assert.equal(b[1], 'é€');
  assert.deepEqual([...(d.get('c') as Set<number>)].sort(), [1, 2]);
  assert.equal(d.get('big'), 2n ** 70n);
  assert.equal(d.get('neg'), -5);
  assert.equal((d.get('od') as PyDict).get('k'), 1);
  assert.deepEqual([...(d.get('fs') as Set<number>)], [3]);
  assert.equal(d.get('n'), 300);
  assert.equal(d.get('n2'), 70000);
  assert.deepEqual([...(d.get('t3') as unknown[])], [1, 2, 3]);
}

test('unpickle: protocol 2 and 5 values (dict, list, tuple, set, frozenset, bytes, long, OrderedDict)', () => {
  checkSample(unpickle(hex(P2)));
  checkSample(unpickle(hex(P5)));
});

test('unpickle: protocol 0 text opcodes', () => {
  const d = unpickle(hex(P0)) as PyDict;
  assert.deepEqual([...(d.get('a') as unknown[])], [1, 'x']);
  assert.equal(d.get('f'), 1.5);
});

test('unpickle: os.system REDUCE is refused and never runs', () => {
  rmSync('/tmp/pwned', { force: true });
  assert.throws(() => unpickle(hex(EVIL)), (e: Error) => e instanceof FormatError && /refusing global posix\.system/.test(e.message));
  assert.equal(existsSync('/tmp/pwned'), false);
  // builtins.eval / exec via STACK_GLOBAL (protocol 4) too
  const evalPkl = hex('80048c086275696c74696e73948c046576616c9493942e');
  assert.throws(() => unpickle(evalPkl), /refusing global builtins\.eval/);
});

test('unpickle: unknown classes become inert records with their BUILD state', () => {
  const o = unpickle(hex(CUSTOM));
  assert.ok(o instanceof PyObject);
  const p = o as PyObject;
  assert.equal(p.cls.qualname, '__main__.Custom');
  assert.equal((p.state as PyDict).get('x'), 1);
  // REDUCE of an unknown (non-forbidden) callable is inert too: mymod.f(1)
  const bytes = Uint8Array.from([0x80, 0x02, 0x63, ...Buffer.from('mymod\nf\n'), 0x4b, 0x01, 0x85, 0x52, 0x2e]);
  const r = unpickle(bytes) as PyObject;
  assert.ok(r instanceof PyObject);
  assert.equal(r.via, 'REDUCE');
  assert.deepEqual([...r.args], [1]);
});

test('unpickle: unknown opcodes, truncation and limits give clear errors', () => {
  assert.throws(() => unpickle(hex('8002ff')), /unsupported opcode 0xff/);
  assert.throws(() => unpickle(hex('80025803000000')), /truncated input/);
  assert.throws(() => unpickle(hex('8002970a2e')), /unsupported opcode 0x97/); // out-of-band buffers
  // 3 memo entries with maxMemo 2
  assert.throws(() => unpickle(hex('80024b0171004b0171014b0171022e'), { maxMemo: 2 }), /memo exceeds 2 entries/);
  // a 1000-byte BINBYTES with a 100-byte allocation budget
  const big = new Uint8Array(2 + 5 + 1000 + 1);
  big.set([0x80, 0x02, 0x42, 0xe8, 0x03, 0x00, 0x00]);
  big[big.length - 1] = 0x2e;
  assert.throws(() => unpickle(big, { maxAlloc: 100 }), /allocation limit/);
  assert.throws(() => unpickle(hex('80024b012e').subarray(0, 4)), /truncated/);
  assert.throws(() => unpickle(hex('80024b014b022e')), /STOP with 2 items/);
});
