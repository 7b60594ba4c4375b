import { readFile } from 'node:fs/promises';
import type { PlenumClient } from '../client';
import { type Command, flag, requiredPositional, UsageError } from '../command';

async function readSecretFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function onOff(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new UsageError(`--${name} must be on or off`);
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be whole seconds: ${value}`);
  return Number(value);
}

async function clusterByName(client: PlenumClient, name: string) {
  const cluster = (await client.clusters.list.query()).find((c) => c.name === name);
  if (!cluster) throw new UsageError(`no cluster named "${name}" (see plenum clusters list)`);
  return cluster;
}

function ago(at: Date | string | null): string {
  if (!at) return 'never';
  const s = Math.max(0, Math.round((Date.now() - new Date(at).getTime()) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function health(c: { lastError: string | null; lastSyncAt: Date | string | null; consecutiveFailures: number }): string {
  if (c.lastError) return `ERROR (${c.consecutiveFailures} failed reads): ${c.lastError}`;
  return c.lastSyncAt ? `ok, synced ${ago(c.lastSyncAt)}` : 'not read yet';
}

export const clustersCommands: Record<string, Command> = {
  'clusters list': {
    usage: 'clusters list [--json]',
    summary: 'job engines (Slurm, Kubernetes) with their health, nodes, GPUs and jobs',
    run: async (client) => {
      const clusters = await client.clusters.list.query();
      const lines = clusters.map(
        (c) =>
          `${c.name.padEnd(16)}  ${c.kind.padEnd(10)}  ${`${c.nodes} nodes (${c.mappedNodes} mapped, ${c.unavailableNodes} unavailable)`.padEnd(38)}  ${`${c.gpusAllocated} / ${c.gpusTotal} GPUs`.padEnd(16)}  ${`${c.runningJobs} running, ${c.pendingJobs} pending`.padEnd(22)}  ${c.options.adviseOnly ? 'advise only, ' : ''}${c.steeredNodes} steered  ${health(c)}`,
      );
      return {
        json: clusters,
        text: lines.length ? lines.join('\n') : 'no clusters (add one: plenum clusters add slurm --name <n> --url <slurmrestd URL> --token-file <file>, or plenum clusters add kubernetes --name <n> --kubeconfig <file>)',
      };
    },
  },
  'clusters show': {
    usage: 'clusters show <name> [--json]',
    summary: "a cluster's health, its nodes and the Plenum servers they map to, unmapped nodes, and facility steering",
    run: async (client, args) => {
      const { id } = await clusterByName(client, requiredPositional(args, 0, 'the cluster name'));
      const detail = await client.clusters.get.query({ id });
      const c = detail.cluster;
      const lines = [
        `${c.name} (${c.kind}) ${c.url}`,
        `health: ${health(c)}; every ${c.options.pollIntervalS} s${c.options.adviseOnly ? '; facility feedback: advise only' : ''}`,
        ...detail.nodes.map(
          (n) =>
            `  ${n.name.padEnd(20)}  ${(n.deviceName ? `→ ${n.deviceName}${n.rackName ? ` (rack ${n.rackName})` : ''}` : 'unmapped').padEnd(30)}  ${`${n.gpusAllocated} / ${n.gpusTotal} GPUs`.padEnd(14)}  ${n.state}${n.reason ? `: ${n.reason}` : ''}`,
        ),
      ];
      if (detail.nodes.length === 0) lines.push('  no nodes read yet');
      if (detail.unmappedNodes.length) lines.push(`unmapped: ${detail.unmappedNodes.join(', ')} (map one: plenum clusters map ${c.name} <node> <server>)`);
      for (const st of detail.steering.filter((x) => x.releasedAt === null)) lines.push(`steered: ${st.nodeName} (${st.state}) ${st.cause}${st.lastError ? ` — ${st.lastError}` : ''}`);
      return { json: detail, text: lines.join('\n') };
    },
  },
  'clusters add': {
    usage:
      'clusters add slurm --name <name> --url <slurmrestd URL> --token-file <file> [--user <slurm user>] [--slurm-conf <path on the server, Slurm 22.05/23.02>] | clusters add kubernetes --name <name> --kubeconfig <file> [--context <c>]  [--poll-interval <s>] [--advise-only on|off]',
    summary: 'register a Slurm or Kubernetes cluster (admin); its credentials are kept secret and never shown',
    run: async (client, args) => {
      const kind = requiredPositional(args, 0, 'the engine kind (slurm or kubernetes)');
      const name = flag(args, 'name');
      if (!name) throw new UsageError('--name is required');
      const common = { name, pollIntervalS: seconds(flag(args, 'poll-interval'), 'poll-interval'), adviseOnly: onOff(flag(args, 'advise-only'), 'advise-only') };
      let cluster: Awaited<ReturnType<PlenumClient['clusters']['add']['mutate']>>;
      if (kind === 'slurm') {
        const url = flag(args, 'url');
        const tokenFile = flag(args, 'token-file');
        if (!url) throw new UsageError('--url is required (the slurmrestd URL)');
        if (!tokenFile) throw new UsageError('--token-file is required (a file holding the slurmrestd JWT, e.g. from scontrol token)');
        const token = (await readSecretFile(tokenFile, 'token file')).trim().replace(/^SLURM_JWT=/, '');
        cluster = await client.clusters.add.mutate({ kind: 'slurm', url, token, user: flag(args, 'user'), slurmConf: flag(args, 'slurm-conf'), ...common });
      } else if (kind === 'kubernetes') {
        const file = flag(args, 'kubeconfig');
        if (!file) throw new UsageError('--kubeconfig is required');
        cluster = await client.clusters.add.mutate({ kind: 'kubernetes', kubeconfig: await readSecretFile(file, 'kubeconfig'), context: flag(args, 'context'), ...common });
      } else {
        throw new UsageError(`unknown engine "${kind}": slurm or kubernetes`);
      }
      return { json: cluster, text: `added ${cluster.kind} cluster ${cluster.name} at ${cluster.url}; first read within ${cluster.options.pollIntervalS} s (or now: plenum clusters sync ${cluster.name})` };
    },
  },
  'clusters set': {
    usage: 'clusters set <name> [--poll-interval <s>] [--advise-only on|off]',
    summary: 'change how often a cluster is read, and whether facility feedback only advises (admin)',
    run: async (client, args) => {
      const { id } = await clusterByName(client, requiredPositional(args, 0, 'the cluster name'));
      const pollIntervalS = seconds(flag(args, 'poll-interval'), 'poll-interval');
      const adviseOnly = onOff(flag(args, 'advise-only'), 'advise-only');
      if (pollIntervalS === undefined && adviseOnly === undefined) throw new UsageError('nothing to change: give --poll-interval and/or --advise-only');
      const cluster = await client.clusters.update.mutate({ id, pollIntervalS, adviseOnly });
      return { json: cluster, text: `${cluster.name}: read every ${cluster.options.pollIntervalS} s; facility feedback ${cluster.options.adviseOnly ? 'advise only' : 'acts on the engine'}` };
    },
  },
  'clusters remove': {
    usage: 'clusters remove <name>',
    summary: 'remove a cluster and the external jobs seen on it (admin); Plenum jobs keep their history',
    run: async (client, args) => {
      const cluster = await clusterByName(client, requiredPositional(args, 0, 'the cluster name'));
      await client.clusters.remove.mutate({ id: cluster.id });
      return { json: { id: cluster.id }, text: `removed cluster ${cluster.name}` };
    },
  },
  'clusters sync': {
    usage: 'clusters sync <name>',
    summary: 'read a cluster now; a connection problem is shown (and kept as its health)',
    run: async (client, args) => {
      const cluster = await clusterByName(client, requiredPositional(args, 0, 'the cluster name'));
      const result = await client.clusters.sync.mutate({ id: cluster.id });
      if (!result.ok) return { json: result, text: `${cluster.name}: read failed: ${result.error}` };
      const warnings = result.warnings.length ? `\n${result.warnings.map((w) => `warning: ${w}`).join('\n')}` : '';
      return {
        json: result,
        text: `${cluster.name}: ${result.nodes} nodes (${result.mappedNodes} mapped, ${result.unavailableNodes} unavailable), ${result.jobs} GPU jobs, ${result.endedJobs} ended${warnings}`,
      };
    },
  },
  'clusters map': {
    usage: 'clusters map <cluster> <node> <server name or id | --none>',
    summary: 'map an engine node to a Plenum server explicitly (admin), or remove the explicit mapping with --none',
    run: async (client, args) => {
      const cluster = await clusterByName(client, requiredPositional(args, 0, 'the cluster name'));
      const node = requiredPositional(args, 1, 'the node name');
      let deviceId: number | null = null;
      if (flag(args, 'none') === undefined) {
        const device = requiredPositional(args, 2, 'the server (name or id), or --none');
        if (/^\d+$/.test(device)) deviceId = Number(device);
        else {
          const found = (await client.devices.list.query({ search: device, kind: 'server', limit: 100 })).items.find((d: { name: string }) => d.name === device);
          if (!found) throw new UsageError(`no server named "${device}"`);
          deviceId = found.id;
        }
      }
      await client.clusters.map.mutate({ clusterId: cluster.id, node, deviceId });
      return { json: { cluster: cluster.name, node, deviceId }, text: deviceId === null ? `${cluster.name}/${node}: explicit mapping removed` : `${cluster.name}/${node} → server ${deviceId}` };
    },
  },
};
