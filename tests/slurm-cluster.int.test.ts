/**
 * The throwaway Slurm cluster itself (tests/slurm-cluster.ts): three nodes with 8 GPUs each come up, a job asked for
 * one node and 4 GPUs runs there, and slurmrestd answers a JWT-authenticated request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPUS_PER_NODE, SLURM_NODES, SLURM_PARTITION, SLURM_USER, type SlurmCluster, startSlurmCluster } from './slurm-cluster';

let cluster: SlurmCluster;
beforeAll(async () => {
  cluster = await startSlurmCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

async function waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('throwaway Slurm cluster', () => {
  it('has three idle nodes with 8 GPUs each', () => {
    const lines = cluster.command('sinfo', ['-h', '-N', '-p', SLURM_PARTITION, '-o', '%N %t %G']).trim().split('\n');
    expect(lines.sort()).toEqual(SLURM_NODES.map((n) => `${n} idle gpu:${GPUS_PER_NODE}`));
  });

  it('runs a 4-GPU job on the node it was pinned to', async () => {
    const id = cluster.sbatch(['--nodelist=gpu02', '--gres=gpu:4', '--output=/dev/null', '--wrap', 'sleep 1']);
    const state = await waitFor('the job to complete', () => {
      const out = cluster.command('scontrol', ['show', 'job', String(id)]);
      return /JobState=COMPLETED/.test(out) ? out : undefined;
    });
    expect(state).toMatch(/\n\s+NodeList=gpu02\n/);
    expect(state).toMatch(/TresPerNode=gres:gpu:4/);
  });

  it('slurmrestd answers with a JWT and refuses without one', async () => {
    const url = `${cluster.restUrl}/slurm/v0.0.38/ping`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { 'X-SLURM-USER-NAME': SLURM_USER, 'X-SLURM-USER-TOKEN': cluster.token() } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { pings: { ping: string }[] };
    expect(body.pings[0]?.ping).toBe('UP');
  });
});
