/**
 * Slurm behind the engine-neutral ClusterAdapter: reads through slurmrestd (client.ts), submits Plenum's placements
 * pinned to the chosen nodes, cancels, and steers Slurm's own scheduler off nodes by draining them with the reason
 * `plenum: <cause>` (resuming only drains Plenum made). slurmrestd v0.0.38 (Slurm 22.05/23.02) cannot update nodes:
 * there the drain goes through `scontrol` with the cluster's slurm.conf (option `slurmConf`) and the same JWT.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type ClusterAdapter, type ClusterConnection, EngineRefusal, STEER_REASON_PREFIX } from '../types';
import { SlurmApiError, SlurmClient } from './client';

const run = promisify(execFile);

/** Slurm keeps reasons short; Plenum's causes are one line. */
const MAX_REASON = 200;

export function steerReason(cause: string): string {
  return `${STEER_REASON_PREFIX}${cause.replace(/\s+/g, ' ').trim()}`.slice(0, MAX_REASON);
}

export function createSlurmAdapter(cluster: ClusterConnection): ClusterAdapter {
  const token = cluster.credentials.token;
  if (!token) throw new Error(`cluster ${cluster.name}: no slurmrestd token (add one with --token-file)`);
  const client = new SlurmClient({ url: cluster.url, token, user: cluster.options.user });

  const scontrol = async (args: string[], signal?: AbortSignal) => {
    const conf = cluster.options.slurmConf;
    if (!conf) {
      throw new SlurmApiError(
        `cluster ${cluster.name}: its slurmrestd (v0.0.38) cannot drain or resume nodes; give the cluster's slurm.conf (--slurm-conf) so Plenum can use scontrol`,
      );
    }
    try {
      await run('scontrol', args, { env: { ...process.env, SLURM_CONF: conf, SLURM_JWT: token }, timeout: 15_000, signal });
    } catch (error) {
      const e = error as { code?: string; stderr?: string; message: string };
      if (e.code === 'ENOENT') throw new SlurmApiError('scontrol not found: install slurm-client on the Plenum host (Slurm 22.05/23.02 drains need it)');
      throw new SlurmApiError(`scontrol ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
    }
  };

  const drain = async (node: string, reason: string, signal?: AbortSignal) => {
    if (await client.canUpdateNodes(signal)) return client.updateNode(node, { drain: true, reason }, signal);
    return scontrol(['update', `nodename=${node}`, 'state=drain', `reason=${reason}`], signal);
  };
  const resume = async (node: string, signal?: AbortSignal) => {
    if (await client.canUpdateNodes(signal)) return client.updateNode(node, { drain: false }, signal);
    return scontrol(['update', `nodename=${node}`, 'state=resume'], signal);
  };

  return {
    async read(signal) {
      const nodes = await client.nodes(signal);
      const partitions = await client.partitions(signal);
      const jobs = await client.jobs(signal);
      return { nodes, partitions, jobs };
    },
    async submit(job, signal) {
      try {
        return await client.submit(job, signal);
      } catch (error) {
        // slurmctld answered no (HTTP 500 with its reason): a refusal. Unreachable, auth or gateway errors are retried.
        if (error instanceof SlurmApiError && error.status !== undefined && ![401, 403, 502, 503, 504].includes(error.status)) {
          throw new EngineRefusal(error.message.replace(/^slurmrestd POST \S+: /, ''));
        }
        throw error;
      }
    },
    cancel: (externalId, signal) => client.cancel(externalId, signal),
    async steerAway(node, cause, signal) {
      if (!/^[A-Za-z0-9._-]+$/.test(node)) throw new SlurmApiError(`not a Slurm node name: "${node}"`);
      await drain(node, steerReason(cause), signal);
    },
    async release(node, signal) {
      if (!/^[A-Za-z0-9._-]+$/.test(node)) throw new SlurmApiError(`not a Slurm node name: "${node}"`);
      // Only lift Plenum's own drain: a drain an operator or Slurm set (another reason) stays.
      const current = (await client.nodes(signal)).find((n) => n.name === node);
      if (!current) throw new SlurmApiError(`cluster ${cluster.name} has no node ${node}`);
      if (current.available || !current.reason.startsWith(STEER_REASON_PREFIX)) return;
      await resume(node, signal);
    },
  };
}
