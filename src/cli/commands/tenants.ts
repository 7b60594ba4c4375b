import { type Command, flag, requiredPositional, UsageError } from '../command';

const ZONE_LEVELS = ['public', 'restricted', 'secure', 'critical'] as const;

function wholeGpus(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${what} must be a whole number of GPUs: ${value}`);
  return Number(value);
}

/** A clearance given as a zone level name or its number 0-3. */
function clearance(value: string): number {
  const byName = ZONE_LEVELS.indexOf(value as (typeof ZONE_LEVELS)[number]);
  if (byName >= 0) return byName;
  if (/^[0-3]$/.test(value)) return Number(value);
  throw new UsageError(`--clearance must be one of ${ZONE_LEVELS.join(', ')} (or 0-3)`);
}

export const tenantsCommands: Record<string, Command> = {
  'tenants list': {
    usage: 'tenants list [--json]',
    summary: 'tenants with their GPU quota, GPUs in use, jobs and security clearance',
    run: async (client) => {
      const tenants = await client.tenants.list.query();
      const lines = tenants.map(
        (t) => `${t.name.padEnd(16)}  ${`${t.usedGpus} / ${t.gpuQuota} GPUs`.padEnd(16)}  ${`${t.runningJobs} running, ${t.pendingJobs} pending`.padEnd(22)}  cleared to ${ZONE_LEVELS[t.clearedZoneLevel] ?? t.clearedZoneLevel}`,
      );
      return { json: tenants, text: lines.length ? lines.join('\n') : "no tenants (create one: plenum tenants create <name> --quota <gpus>)" };
    },
  },
  'tenants create': {
    usage: 'tenants create <name> --quota <gpus> [--clearance <public|restricted|secure|critical>]',
    summary: 'create a tenant with a GPU quota (admin); clearance defaults to restricted',
    run: async (client, args) => {
      const name = requiredPositional(args, 0, 'the tenant name');
      const quota = flag(args, 'quota');
      if (quota === undefined) throw new UsageError('--quota is required (whole GPUs the tenant may hold at once)');
      const level = flag(args, 'clearance');
      const tenant = await client.tenants.create.mutate({ name, gpuQuota: wholeGpus(quota, '--quota'), ...(level ? { clearedZoneLevel: clearance(level) } : {}) });
      return { json: tenant, text: `created tenant ${tenant.name}: quota ${tenant.gpuQuota} GPUs, cleared to ${ZONE_LEVELS[tenant.clearedZoneLevel]}` };
    },
  },
  'tenants set-quota': {
    usage: 'tenants set-quota <name> <gpus>',
    summary: "change a tenant's GPU quota (admin); running jobs keep their GPUs",
    run: async (client, args) => {
      const name = requiredPositional(args, 0, 'the tenant name');
      const gpuQuota = wholeGpus(requiredPositional(args, 1, 'the quota in GPUs'), 'the quota');
      const tenant = (await client.tenants.list.query()).find((t) => t.name === name);
      if (!tenant) throw new UsageError(`no tenant named "${name}" (see plenum tenants list)`);
      const updated = await client.tenants.update.mutate({ id: tenant.id, changes: { gpuQuota } });
      return { json: updated, text: `tenant ${updated.name}: quota ${tenant.gpuQuota} → ${updated.gpuQuota} GPUs` };
    },
  },
};
