/**
 * A throwaway single-node Slurm cluster on localhost for tests: munged with a generated key, slurmctld
 * and slurmd with a generated slurm.conf (one node named after this host, sized as `slurmd -C` finds
 * it), everything under a temp dir, no systemd. `startSlurm` resolves with the clients' environment, or
 * with the reason it could not start (missing binaries, not root, a daemon that did not come up).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface SlurmCluster {
  dir: string;
  /** Environment for the clients (SLURM_CONF) and the jobs they submit. */
  env: NodeJS.ProcessEnv;
  /** Runs a client command (sbatch, squeue, scancel, ...) against this cluster. */
  cmd(name: string, args: string[]): { ok: boolean; stdout: string; stderr: string };
  /** Shuts every daemon down and removes the temp dir. */
  stop(): void;
}

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'];

function which(bin: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin', ...(process.env.PATH ?? '').split(':')].some((d) => d && existsSync(join(d, bin)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidOf(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function startSlurm(): Promise<SlurmCluster | { reason: string }> {
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length) return { reason: `Slurm/munge not installed (missing ${missing.join(', ')}; .ci/run installs slurmctld slurmd slurm-client munge)` };
  if (process.getuid?.() !== 0) return { reason: 'a private slurmd must run as root (this test runs as uid ' + process.getuid?.() + ')' };
  const dir = mkdtempSync(join(tmpdir(), 'whittle-slurm-'));
  chmodSync(dir, 0o755); // munged wants everyone able to reach its socket's directory
  const p = (f: string) => join(dir, f);
  const env = { ...process.env, SLURM_CONF: p('slurm.conf') };
  const cmd = (name: string, args: string[]) => {
    const r = spawnSync(name, args, { env, encoding: 'utf8', timeout: 30_000 });
    return { ok: !r.error && r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? r.error.message : '') };
  };
  const stop = () => {
    cmd('scontrol', ['shutdown']);
    const pids = [pidOf(p('slurmctld.pid')), pidOf(p('slurmd.pid')), pidOf(p('munged.pid'))].filter((x): x is number => x !== undefined);
    const pm = pidOf(p('munged.pid'));
    if (pm && alive(pm)) process.kill(pm, 'SIGTERM');
    const until = Date.now() + 10_000;
    while (Date.now() < until && pids.some(alive)) spawnSync('sleep', ['0.2']);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const fail = (why: string, log?: string) => {
    const tail = log && existsSync(p(log)) ? `\n${readFileSync(p(log), 'utf8').trim().split('\n').slice(-5).join('\n')}` : '';
    stop();
    return { reason: `${why}${tail}` };
  };

  writeFileSync(p('munge.key'), randomBytes(1024), { mode: 0o600 });
  const m = spawnSync('munged', ['--key-file', p('munge.key'), '--socket', p('munge.sock'), '--pid-file', p('munged.pid'), '--log-file', p('munged.log'), '--seed-file', p('munged.seed')], { encoding: 'utf8' });
  if (m.status !== 0) return fail(`munged did not start: ${m.stderr.trim()}`, 'munged.log');

  // The node as slurmd sees it (CPUs, sockets, cores, memory), so the controller does not drain it.
  const host = hostname().split('.')[0];
  const probe = spawnSync('slurmd', ['-C'], { encoding: 'utf8' });
  const nodeLine = probe.stdout?.split('\n').find((l) => l.startsWith('NodeName='));
  if (!nodeLine) return fail(`slurmd -C found no node: ${probe.stderr}`);
  const node = nodeLine.replace(/^NodeName=\S+/, `NodeName=${host} NodeAddr=127.0.0.1`);
  mkdirSync(p('state'));
  mkdirSync(p('spool'));
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  writeFileSync(p('slurm.conf'), [
    'ClusterName=whittletest',
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${dPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${p('munge.sock')}`,
    `StateSaveLocation=${p('state')}`,
    `SlurmdSpoolDir=${p('spool')}`,
    `SlurmctldPidFile=${p('slurmctld.pid')}`,
    `SlurmdPidFile=${p('slurmd.pid')}`,
    `SlurmctldLogFile=${p('slurmctld.log')}`,
    `SlurmdLogFile=${p('slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'MpiDefault=none',
    'ReturnToService=2',
    'MinJobAge=600',
    'KillWait=10',
    'SchedulerParameters=sched_interval=2',
    `${node} State=UNKNOWN`,
    `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
  ].join('\n') + '\n');
  for (const d of ['slurmctld', 'slurmd']) {
    const r = spawnSync(d, [], { env, encoding: 'utf8' });
    if (r.status !== 0) return fail(`${d} did not start: ${r.stderr.trim()}`, `${d}.log`);
  }
  for (const until = Date.now() + 30_000; Date.now() < until; await sleep(300)) {
    const s = cmd('sinfo', ['-h', '-o', '%T']);
    if (s.ok && /^idle/m.test(s.stdout)) return { dir, env, cmd, stop };
  }
  return fail('the node did not become idle within 30 s', 'slurmd.log');
}
