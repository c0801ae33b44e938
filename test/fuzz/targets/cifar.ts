/**
 * CIFAR-10/100 folders through loadCifar10 / loadCifar100: truncated and corrupt batches, out-of-range labels,
 * odd class-name files, and directories, FIFOs, dangling symlinks or /dev/zero where a file should be.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10, loadCifar100, CIFAR10_CLASSES, CIFAR10_RECORD_BYTES, CIFAR100_RECORD_BYTES } from '../../../src/data/cifar.js';
import type { FuzzTarget } from '../target.js';
import { byteMutation, pick } from '../mutate.js';

const C10 = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin', 'batches.meta.txt'];
const C100 = ['train.bin', 'test.bin', 'fine_label_names.txt', 'coarse_label_names.txt'];

function records(n: number, bytes: number, label: (i: number) => number[]): Uint8Array {
  const out = new Uint8Array(n * bytes);
  for (let i = 0; i < n; i++) {
    out.set(label(i), i * bytes);
    for (let p = label(i).length; p < bytes; p++) out[i * bytes + p] = (i * 31 + p) & 0xff;
  }
  return out;
}

export const cifarTarget: FuzzTarget = {
  name: 'cifar',
  async setup(corpus) {
    const c10 = join(corpus, 'cifar10');
    const c100 = join(corpus, 'cifar100');
    mkdirSync(c10, { recursive: true });
    mkdirSync(c100, { recursive: true });
    for (const f of C10.slice(0, 6)) writeFileSync(join(c10, f), records(3, CIFAR10_RECORD_BYTES, (i) => [i % 10]));
    writeFileSync(join(c10, 'batches.meta.txt'), CIFAR10_CLASSES.join('\n') + '\n');
    for (const f of ['train.bin', 'test.bin']) writeFileSync(join(c100, f), records(3, CIFAR100_RECORD_BYTES, (i) => [i % 20, (i * 7) % 100]));
    writeFileSync(join(c100, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `f${i}`).join('\n'));
    writeFileSync(join(c100, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `c${i}`).join('\n'));
  },
  async run({ rng, work, corpus, label, reading }) {
    const c100 = rng.int(4) === 0;
    const names = c100 ? C100 : C10;
    const dir = join(work, 'data');
    mkdirSync(dir);
    for (const f of names) copyFileSync(join(corpus, c100 ? 'cifar100' : 'cifar10', f), join(dir, f));
    const victim = join(dir, pick(rng, names));
    const r = rng.int(10);
    rmSync(victim, { recursive: true, force: true });
    if (r === 0) {
      label(`${victim.slice(dir.length + 1)} is a directory`);
      mkdirSync(victim);
    } else if (r === 1) {
      label(`${victim.slice(dir.length + 1)} is a FIFO`);
      execFileSync('mkfifo', [victim]);
    } else if (r === 2) {
      const to = pick(rng, ['/dev/zero', '/dev/urandom', join(work, 'nowhere'), victim]);
      label(`${victim.slice(dir.length + 1)} is a symlink to ${to}`);
      symlinkSync(to, victim);
    } else if (r === 3) {
      label(`${victim.slice(dir.length + 1)} is missing`);
    } else if (r === 4 && victim.endsWith('.txt')) {
      label(`${victim.slice(dir.length + 1)}: odd class names`);
      writeFileSync(victim, pick(rng, ['', '\n\n\n', 'x\n'.repeat(100_000), '\u0000\uffff\n'.repeat(10), 'a'.repeat(1 << 20)]));
    } else {
      const orig = new Uint8Array(readFileSync(join(corpus, c100 ? 'cifar100' : 'cifar10', victim.slice(dir.length + 1))));
      const m = byteMutation(rng, orig);
      label(`${victim.slice(dir.length + 1)}: ${m.label}`);
      writeFileSync(victim, m.bytes);
    }
    reading();
    if (c100) loadCifar100(dir, { split: pick(rng, ['train', 'test'] as const), label: pick(rng, ['fine', 'coarse'] as const) });
    else loadCifar10(dir, { batches: [1, 2, 3, 4, 5, 'test'] });
  },
};
