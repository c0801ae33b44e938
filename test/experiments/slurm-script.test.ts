/**
 * The Slurm executor without a cluster: `--dry-run` scripts (exact #SBATCH lines, nothing written),
 * the array specs and dependencies it plans, and refused options.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from '../../src/cli/commands/experiment.js';
import { runCommand } from '../helpers/cli.js';
import { arraySpec, checkSlurmOptions } from '../../src/experiments/executors/slurm-script.js';
import { planSlurm } from '../../src/experiments/executors/slurm.js';
import { planRuns } from '../../src/experiments/plan.js';
import { parseExperiment } from '../../src/experiments/load.js';
import { threadShare } from '../../src/experiments/executors/local.js';

const GRID = {
  name: 'tiny-dry',
  title: 'Dry run',
  base: { model: { name: 'vanilla' }, data: { name: 'shapes', shapesTrain: 16, shapesVal: 8 }, backend: 'wasm' },
  seeds: 2,
  variants: [{ name: 'baseline' }, { name: 'sfp', config: { sfp: { keepRate: 0.75 } }, post: [{ step: 'prune-export' }] }, { name: 'reuse', from: 'baseline', post: [{ step: 'prune-export' }] }],
};

test('--dry-run prints the three sbatch scripts with the expected #SBATCH lines and writes nothing', async () => {
  const root = mkdtempSync(join(tmpdir(), 'whittle-dry-'));
  try {
    const file = join(root, 'grid.json');
    writeFileSync(file, JSON.stringify(GRID));
    const out = join(root, 'out');
    const lines = await runCommand(register, ['experiment', 'run', file, '--executor', 'slurm', '--dry-run', '--out', out,
      '--partition', 'gpu', '--time', '02:00:00', '--cpus-per-task', '4', '--mem', '8G', '--account', 'lab-1', '--sbatch-arg=--qos=long', '--sbatch-arg', '--gres=gpu:1']);
    const text = lines.join('\n');
    const scripts = text.split(/^# (?=\/)/m).slice(1);
    assert.equal(scripts.length, 3, text);
    const sbatch = (s: string) => s.split('\n').filter((l) => l.startsWith('#SBATCH'));
    const common = ['#SBATCH --open-mode=append', `#SBATCH --chdir=${process.cwd()}`, '#SBATCH --requeue', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=8G', '#SBATCH --time=02:00:00', '#SBATCH --partition=gpu', '#SBATCH --account=lab-1', '#SBATCH --qos=long', '#SBATCH --gres=gpu:1'];
    assert.deepEqual(sbatch(scripts[0]), ['#SBATCH --job-name=whittle-tiny-dry-train', '#SBATCH --array=0-3', `#SBATCH --output=${out}/slurm/logs/train-%A_%a.out`, ...common]);
    assert.deepEqual(sbatch(scripts[1]), ['#SBATCH --job-name=whittle-tiny-dry-post', '#SBATCH --array=2-5', `#SBATCH --output=${out}/slurm/logs/post-%A_%a.out`, ...common]);
    const reportLines = common.filter((l) => !/cpus-per-task|--mem/.test(l));
    assert.deepEqual(sbatch(scripts[2]), ['#SBATCH --job-name=whittle-tiny-dry-report', `#SBATCH --output=${out}/slurm/logs/report-%j.out`, ...reportLines]);
    assert.match(scripts[0], /^exec \S+ .*experiment run-one \S+grid\.json --index "\$SLURM_ARRAY_TASK_ID" --out \S+ --budget quick --seeds 2 --phase train$/m);
    assert.match(scripts[1], /--phase post$/m);
    assert.match(scripts[2], /^exec \S+ .* report \S+out$/m);
    assert.match(scripts[0], /^export WHITTLE_THREADS="\$\{SLURM_CPUS_PER_TASK:-1\}"/m);
    // 'reuse' needs baseline's checkpoint: the post array waits for the whole training array.
    assert.match(scripts[1], /# submit: sbatch --parsable --dependency=afterok:<train> --kill-on-invalid-dep=yes \S+post\.sbatch/);
    assert.match(scripts[2], /# submit: sbatch --parsable --dependency=afterok:<train>:<post> --kill-on-invalid-dep=yes \S+report\.sbatch/);
    assert.ok(!existsSync(out), 'a dry run writes nothing');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('planning: finished runs are left out, training done means post steps only, aftercorr when each post task has its training task', () => {
  const root = mkdtempSync(join(tmpdir(), 'whittle-plan-'));
  try {
    const exp = parseExperiment({ ...GRID, variants: GRID.variants.slice(0, 2) }, 'test');
    const runs = planRuns(exp, { budget: 'quick', out: root });
    assert.deepEqual(planSlurm(runs, { out: root }), { train: [0, 1, 2, 3], post: [2, 3], postDependency: 'aftercorr', report: true });
    mkdirSync(runs[0].dir, { recursive: true });
    writeFileSync(join(runs[0].dir, 'summary.json'), JSON.stringify({ complete: true }));
    mkdirSync(runs[3].dir, { recursive: true });
    writeFileSync(join(runs[3].dir, 'training.json'), JSON.stringify({ checkpoint: 'x' }));
    assert.deepEqual(planSlurm(runs, { out: root }), { train: [1, 2], post: [2, 3], postDependency: 'afterok', report: true });
    assert.deepEqual(planSlurm(runs, { out: root, only: ['baseline'], report: false }), { train: [1], post: [], postDependency: 'aftercorr', report: false });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('array specs, thread shares and refused options', async () => {
  assert.equal(arraySpec([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.equal(arraySpec([3]), '3');
  assert.equal(threadShare(2, 16), 8);
  assert.equal(threadShare(3, 2), 1);
  assert.throws(() => checkSlurmOptions({ time: '1 hour' }), /--time "1 hour"/);
  assert.throws(() => checkSlurmOptions({ partition: 'a;rm -rf /' }), /--partition/);
  assert.throws(() => checkSlurmOptions({ sbatchArgs: ['qos=long'] }), /--sbatch-arg "qos=long"/);
  assert.throws(() => checkSlurmOptions({ sbatchArgs: ['--qos=long\nrm -rf /'] }), /--sbatch-arg/);
  assert.throws(() => checkSlurmOptions({ mem: 'lots' }), /--mem "lots"/);
  checkSlurmOptions({ time: '1-12:00:00', mem: '512M', partition: 'gpu,cpu', sbatchArgs: ['--gres=gpu:1', '-q long'] });
  await assert.rejects(runCommand(register, ['experiment', 'run', 'x.yaml', '--partition', 'gpu']), /x\.yaml|--partition needs --executor slurm/);
});
