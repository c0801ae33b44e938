// The lazy CLI: the module table's names and descriptions are exactly what each module registers (the
// top-level help is built from the table without loading any module), and help needs no command module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { COMMAND_MODULES, commandModule } from '../../src/cli/commands/index.js';
import { spawnWhittle } from '../helpers/cli.js';

test('every command module registers exactly the commands and descriptions the table lists', async () => {
  const seen = new Set<string>();
  for (const m of COMMAND_MODULES) {
    const program = new Command();
    (await m.load()).register(program);
    assert.deepEqual(program.commands.map((c) => ({ name: c.name(), description: c.description() })), m.commands);
    for (const c of m.commands) {
      assert.ok(!seen.has(c.name), `${c.name} listed twice`);
      seen.add(c.name);
      assert.equal(commandModule(c.name), m);
    }
  }
  for (const name of ['info', 'train', 'repr', 'sfp', 'prune', 'experiment', 'report', 'demo', 'eval', 'quant', 'pq', 'enc']) assert.ok(seen.has(name), name);
});

test('whittle --help lists every command; whittle help train shows train\'s options', async () => {
  const top = await spawnWhittle(['--help']);
  assert.equal(top.code, 0);
  for (const m of COMMAND_MODULES) for (const c of m.commands) assert.match(top.stdout, new RegExp(`\\n  ${c.name}\\b`));
  const train = await spawnWhittle(['help', 'train']);
  assert.equal(train.code, 0);
  assert.match(train.stdout, /--train-subset <n>/);
});

test('whittle info --json names the backend, the models and the techniques', async () => {
  const r = await spawnWhittle(['info', '--backend', 'cpu', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as { backend: string; models: string[]; techniques: string[] };
  assert.equal(info.backend, 'cpu');
  for (const m of ['vanilla', 'resnet20', 'vgg16']) assert.ok(info.models.includes(m), m);
  assert.ok(info.techniques.includes('repr') && info.techniques.includes('pq'));
});
