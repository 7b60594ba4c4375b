import { type Command, flag, requiredPositional, UsageError } from '../command';

export const simCommands: Record<string, Command> = {
  'sim fault': {
    usage: 'sim fault <kind> <target> [--xid <code>]',
    summary: 'inject a simulator fault (kinds: gpu-xid, gpu-off-bus, gpu-thermal-runaway, server-fan-failure, cooling-unit-failure, utility-outage, ups-on-battery, pdu-breaker-trip, network-link-down)',
    run: async (client, args) => {
      const kind = requiredPositional(args, 0, 'the fault kind');
      const target = requiredPositional(args, 1, 'the fault target');
      const xid = flag(args, 'xid');
      // The server's list of kinds, so a misspelt kind is a wrong argument (exit 2) that names the valid ones.
      const kinds = await client.simulator.kinds.query();
      if (!kinds.some((k) => k.kind === kind)) throw new UsageError(`unknown fault kind '${kind}' (one of ${kinds.map((k) => k.kind).join(', ')})`);
      if (xid !== undefined && !/^\d+$/.test(xid)) throw new UsageError('--xid must be a whole number');
      const fault = await client.simulator.inject.mutate({ kind, target, ...(xid ? { xid: Number(xid) } : {}) });
      return { json: fault, text: `injected ${fault.id}: ${fault.kind} on ${fault.target}` };
    },
  },
  'sim clear': {
    usage: 'sim clear <fault-id>',
    summary: 'clear a simulator fault',
    run: async (client, args) => {
      const id = requiredPositional(args, 0, 'the fault id');
      const fault = await client.simulator.clear.mutate({ id });
      return { json: fault, text: `cleared ${fault.id}: ${fault.kind} on ${fault.target}` };
    },
  },
  'sim faults': {
    usage: 'sim faults [--json]',
    summary: 'list active simulator faults',
    run: async (client) => {
      const faults = await client.simulator.list.query();
      return { json: faults, text: faults.map((f) => `${f.id}  ${f.kind} on ${f.target} since ${new Date(f.sinceMs).toISOString()} (${f.origin})`).join('\n') || 'no faults' };
    },
  },
};
