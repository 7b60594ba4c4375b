/**
 * A real, throwaway Slurm cluster for integration tests, from Debian's packages (munge, slurmctld, slurmd, slurmrestd,
 * slurm-client, slurm-wlm-jwt-plugin): its own munged, one slurmctld and three `slurmd -N gpu0X` on one host (each on
 * its own high loopback port, 8 GPU GRES backed by plain files), and slurmrestd with JWT auth as a non-root user
 * (it refuses root). Everything lives in a temp folder and is stopped by PID.
 *
 * Slurm 22.05 (Debian 12) serves OpenAPI v0.0.38 only; without slurmdbd only the controller plugin is loaded
 * (`-s openapi/v0.0.38`: the database plugins are fatal without it).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Daemon, freePort, requirePackageBinary, startDaemon, tempFolder } from './daemon';

export const SLURM_NODES = ['gpu01', 'gpu02', 'gpu03'] as const;
export const GPUS_PER_NODE = 8;
export const SLURM_PARTITION = 'gpu';
/** A partition that takes single-node jobs only (MaxNodes=1 with EnforcePartLimits=ALL): Slurm refuses more. */
export const SLURM_SMALL_PARTITION = 'small';
/** The Slurm user Plenum's token is issued for (the test machine's root: jobs run as it). */
export const SLURM_USER = 'root';
/** slurmrestd refuses to run as root: it runs as this system user. */
const RESTD_USER = { uid: 65534, gid: 65534 }; // nobody:nogroup

export type SlurmCluster = {
  dir: string;
  /** slurmrestd's base URL, e.g. http://127.0.0.1:41234 */
  restUrl: string;
  /** Environment for the Slurm client commands (SLURM_CONF). */
  env: Record<string, string>;
  /** A JWT for `user` (default SLURM_USER) from `scontrol token`. */
  token: (user?: string, lifespanS?: number) => string;
  /** Runs a Slurm client command (sbatch, scontrol, squeue, sinfo, scancel); throws with its stderr when it fails. */
  command: (binary: string, args: readonly string[]) => string;
  /** `sbatch --parsable …`: the job id. */
  sbatch: (args: readonly string[]) => number;
  /** Stops slurmctld by PID; `startController` starts it again on the same state (jobs and node states survive). */
  stopController: () => Promise<void>;
  startController: () => Promise<void>;
  stop: () => Promise<void>;
};

function run(binary: string, args: readonly string[], env: Record<string, string>): string {
  const r = spawnSync(binary, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${binary} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function startSlurmCluster(): Promise<SlurmCluster> {
  const munged = requirePackageBinary('munge');
  const slurmctld = requirePackageBinary('slurmctld');
  const slurmd = requirePackageBinary('slurmd');
  const slurmrestd = requirePackageBinary('slurmrestd');
  requirePackageBinary('slurm-client');
  requirePackageBinary('slurm-wlm-jwt-plugin');

  const folder = tempFolder('slurm');
  const dir = folder.dir;
  // slurmrestd (non-root) reads slurm.conf; munged wants its socket folder open to all and its key private.
  chmodSync(dir, 0o755);
  const mungeDir = path.join(dir, 'munge');
  mkdirSync(mungeDir, { mode: 0o755 });
  const keyDir = path.join(dir, 'keys');
  mkdirSync(keyDir, { mode: 0o700 });
  const mungeKey = path.join(keyDir, 'munge.key');
  const jwtKey = path.join(keyDir, 'jwt.key');
  run('dd', ['if=/dev/urandom', `of=${mungeKey}`, 'bs=1024', 'count=1', 'status=none'], {});
  run('dd', ['if=/dev/urandom', `of=${jwtKey}`, 'bs=32', 'count=1', 'status=none'], {});
  chmodSync(mungeKey, 0o600);
  chmodSync(jwtKey, 0o600);
  const gresDir = path.join(dir, 'gres');
  mkdirSync(gresDir);
  for (let i = 0; i < GPUS_PER_NODE; i++) writeFileSync(path.join(gresDir, `gpu${i}`), '');
  mkdirSync(path.join(dir, 'state'));
  mkdirSync(path.join(dir, 'spool'));

  const ctldPort = await freePort();
  const nodePorts: number[] = [];
  for (const _ of SLURM_NODES) nodePorts.push(await freePort());
  const restPort = await freePort();
  const socket = path.join(mungeDir, 'munge.socket');
  const conf = path.join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=plenumtest',
      'SlurmctldHost=localhost',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${nodePorts[0]}`,
      'SlurmUser=root',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool/%n`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd-%n.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd-%n.log`,
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'AuthAltTypes=auth/jwt',
      `AuthAltParameters=jwt_key=${jwtKey}`,
      'GresTypes=gpu',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'JobCompType=jobcomp/none',
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'SchedulerType=sched/backfill',
      'MpiDefault=none',
      'MailProg=/bin/true',
      'ReturnToService=2',
      // The test host has fewer cores than the 16 each node declares: use the declared ones.
      'SlurmdParameters=config_overrides',
      // Finished jobs stay visible to slurmrestd for 5 minutes (their state and exit code flow back to Plenum).
      'MinJobAge=300',
      'KillWait=2',
      ...SLURM_NODES.map(
        (node, i) =>
          `NodeName=${node} NodeHostname=localhost NodeAddr=127.0.0.1 Port=${nodePorts[i]} CPUs=16 RealMemory=16000 Gres=gpu:${GPUS_PER_NODE} State=UNKNOWN`,
      ),
      `PartitionName=${SLURM_PARTITION} Nodes=${SLURM_NODES.join(',')} Default=YES MaxTime=INFINITE State=UP`,
      // One node per job at most, enforced at submission: a request over it is refused outright.
      `PartitionName=${SLURM_SMALL_PARTITION} Nodes=${SLURM_NODES.join(',')} MaxNodes=1 MaxTime=INFINITE State=UP`,
      'EnforcePartLimits=ALL',
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(dir, 'gres.conf'),
    `NodeName=${SLURM_NODES.join(',')} Name=gpu File=${gresDir}/gpu[0-${GPUS_PER_NODE - 1}]\n`,
  );
  const env: Record<string, string> = { SLURM_CONF: conf };
  const command = (binary: string, args: readonly string[]) => run(binary, args, env);
  const alive = (probe: () => boolean) => async () => {
    try {
      return probe();
    } catch {
      return false;
    }
  };

  const daemons: Daemon[] = [];
  let controller: Daemon | undefined;
  const stop = async () => {
    // Jobs first, so no slurmstepd outlives its slurmd; then reverse start order: slurmrestd, the slurmd, slurmctld, munged.
    if (controller) {
      try {
        command('scancel', ['--user', SLURM_USER]);
        for (let i = 0; i < 100 && command('squeue', ['-h', '-t', 'R,CG']).trim() !== ''; i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      } catch {
        // the controller is not answering: nothing more to cancel through it
      }
    }
    for (const d of [...daemons].reverse()) await d.stop();
    if (controller) await controller.stop();
    folder.cleanup();
  };
  const startController = () =>
    startDaemon('slurmctld', slurmctld, ['-D', '-f', conf], {
      env: { ...process.env, ...env },
      ready: alive(() => command('scontrol', ['ping']).includes('is UP')),
    });

  try {
    daemons.push(
      await startDaemon(
        'munged',
        munged,
        [
          '-F',
          '--force',
          `--key-file=${mungeKey}`,
          `--socket=${socket}`,
          `--pid-file=${path.join(mungeDir, 'munged.pid')}`,
          `--log-file=${path.join(mungeDir, 'munged.log')}`,
          `--seed-file=${path.join(mungeDir, 'munged.seed')}`,
        ],
        { ready: async () => existsSync(socket) },
      ),
    );
    controller = await startController();
    for (const node of SLURM_NODES) {
      daemons.push(
        await startDaemon(`slurmd ${node}`, slurmd, ['-D', '-N', node, '-f', conf], {
          env: { ...process.env, ...env },
          ready: alive(() => command('sinfo', ['-h', '-n', node, '-o', '%t']).trim() === 'idle'),
        }),
      );
    }
    daemons.push(
      await startDaemon('slurmrestd', slurmrestd, ['-f', conf, '-a', 'rest_auth/jwt', '-s', 'openapi/v0.0.38', `127.0.0.1:${restPort}`], {
        env: { ...process.env, ...env, SLURM_JWT: 'daemon' },
        uid: RESTD_USER.uid,
        gid: RESTD_USER.gid,
        // Any HTTP answer (an unauthenticated one is 401) means it listens.
        ready: async () => (await fetch(`http://127.0.0.1:${restPort}/openapi`)).status > 0,
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    restUrl: `http://127.0.0.1:${restPort}`,
    env,
    token: (user = SLURM_USER, lifespanS = 3600) =>
      command('scontrol', ['token', `username=${user}`, `lifespan=${lifespanS}`]).trim().replace(/^SLURM_JWT=/, ''),
    command,
    sbatch: (args) => Number.parseInt(command('sbatch', ['--parsable', ...args]).trim().split(';')[0] ?? '', 10),
    stopController: async () => {
      await controller?.stop();
      controller = undefined;
    },
    startController: async () => {
      if (!controller) controller = await startController();
    },
    stop,
  };
}
