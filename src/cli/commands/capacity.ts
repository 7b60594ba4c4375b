import { formatPowerW } from '@/domain/units';
import type { PlenumClient } from '../client';
import { type Command, flag, UsageError } from '../command';

/** The site to plan: --site <id or slug>, else the first site. */
async function resolveSite(client: PlenumClient, value: string | undefined) {
  const sites = await client.sites.listWithHalls.query();
  const site = value ? sites.find((s) => String(s.id) === value || s.slug === value || s.name === value) : sites[0];
  if (!site) throw new UsageError(value ? `no site '${value}'` : 'there is no site yet');
  return site;
}

export const capacityCommands: Record<string, Command> = {
  'capacity headroom': {
    usage: 'capacity headroom [--site <id|slug>] [--by rack|row|hall|site] [--json]',
    summary: 'free U, power (with A/B failover), cooling and free ports per rack/row/hall/site, and stranded capacity',
    run: async (client, args) => {
      const site = await resolveSite(client, flag(args, 'site'));
      const by = flag(args, 'by') ?? 'hall';
      if (!['rack', 'row', 'hall', 'site'].includes(by)) throw new UsageError('--by must be rack, row, hall or site');
      const report = await client.capacity.headroom.query({ siteId: site.id });
      if (by === 'rack') {
        const lines = report.racks.map(
          (r) => `${r.name.padEnd(10)} free ${String(r.freeU).padStart(3)} U  power ${formatPowerW(r.powerHeadroomW).padStart(9)}  cooling ${formatPowerW(r.coolingHeadroomW).padStart(9)}  stranded ${r.stranded.spaceWithoutPowerU} U`,
        );
        return { json: report.racks, text: lines.join('\n') };
      }
      const totals = by === 'site' ? (report.site ? [report.site] : []) : by === 'row' ? report.rows : report.halls;
      const lines = totals.map(
        (t) =>
          `${t.key.padEnd(14)} ${String(t.racks).padStart(3)} racks  free ${String(t.freeU).padStart(4)} U  usable power ${formatPowerW(t.usablePowerW).padStart(9)}  stranded: ${t.stranded.spaceWithoutPowerU} U and ${Object.values(t.stranded.portsWithoutPowerByGbps).reduce((a, b) => a + b, 0)} switch ports without power, ${formatPowerW(t.stranded.powerWithoutCoolingW)} without cooling`,
      );
      return { json: totals, text: lines.join('\n') };
    },
  },
  'capacity whatif place': {
    usage: 'capacity whatif place --type <model> --count <n> [--hall <name>] [--row <name>] [--power-w <watts>] [--site <id|slug>] [--json]',
    summary: 'which racks could take N more devices of a type, and what blocks the rest (changes nothing)',
    run: async (client, args) => {
      const site = await resolveSite(client, flag(args, 'site'));
      const model = flag(args, 'type');
      const count = Number(flag(args, 'count'));
      if (!model) throw new UsageError('--type <model> is required');
      if (!Number.isInteger(count) || count < 1) throw new UsageError('--count must be a whole number ≥ 1');
      const types = await client.deviceTypes.list.query({ search: model, limit: 50 });
      const type = types.items.find((t) => t.model === model || t.slug === model) ?? (types.items.length === 1 ? types.items[0] : undefined);
      if (!type) throw new UsageError(`no single device type matches '${model}' (${types.items.length} candidates)`);
      const hallName = flag(args, 'hall');
      const hall = hallName ? site.halls.find((h) => h.name === hallName || h.slug === hallName) : undefined;
      if (hallName && !hall) throw new UsageError(`no hall '${hallName}' in ${site.name}`);
      const rowName = flag(args, 'row');
      let rowId: number | undefined;
      if (rowName) {
        for (const candidate of hall ? [hall] : site.halls) {
          const rows = await client.halls.rows.query({ id: candidate.id });
          rowId ??= rows.find((row) => row.name === rowName)?.id;
        }
        if (rowId === undefined) throw new UsageError(`no row '${rowName}' in ${hall?.name ?? site.name}`);
      }
      const powerW = flag(args, 'power-w');
      const result = await client.capacity.whatIfPlacement.query({ siteId: site.id, deviceTypeId: type.id, count, hallId: hall?.id, rowId, powerW: powerW ? Number(powerW) : undefined });
      const lines = [`${result.explanation} (${result.deviceType}, ${formatPowerW(result.powerWPerDevice)} each, ${result.racksInArea} racks in the area)`, ...result.placed.map((p) => `  ${p.rackName}: ${p.positionsU.map((u) => `U${u}`).join(', ')}`)];
      return { json: result, text: lines.join('\n') };
    },
  },
  'capacity whatif fail': {
    usage: 'capacity whatif fail [--power <node name>]... [--cooling <unit name>]... [--site <id|slug>] [--json]',
    summary: 'what overloads, goes dark or overheats if these power nodes or cooling units fail (changes nothing)',
    run: async (client, args) => {
      const site = await resolveSite(client, flag(args, 'site'));
      const powerNames = args.flags.get('power') ?? [];
      const coolingNames = args.flags.get('cooling') ?? [];
      if (powerNames.length + coolingNames.length === 0) throw new UsageError('name at least one --power node or --cooling unit');
      const nodes = (await client.power.nodes.query({ siteId: site.id, includeRackPdus: true })).nodes;
      const units = (await client.cooling.units.query({ siteId: site.id })).units;
      const powerNodeIds = powerNames.map((name) => nodes.find((n) => n.name === name)?.id ?? Number.NaN);
      const coolingUnitIds = coolingNames.map((name) => units.find((u) => u.name === name)?.id ?? Number.NaN);
      const unknown = [...powerNames.filter((_, i) => Number.isNaN(powerNodeIds[i])), ...coolingNames.filter((_, i) => Number.isNaN(coolingUnitIds[i]))];
      if (unknown.length) throw new UsageError(`unknown power node or cooling unit: ${unknown.join(', ')}`);
      const result = await client.capacity.whatIfFailure.query({ siteId: site.id, powerNodeIds, coolingUnitIds });
      const lines = [
        `power overloads: ${result.power?.overloads.map((o) => `${o.name} over by ${formatPowerW(o.overByW)}`).join(', ') || 'none'}`,
        `racks without power: ${result.power?.unpoweredRacks.join(', ') || 'none'}`,
        `cooling groups losing N+1: ${result.cooling.groupsLosingRedundancy.join(', ') || 'none'}; overloaded: ${result.cooling.groupsOverloaded.join(', ') || 'none'}`,
        `racks that overheat: ${result.cooling.overheatingRacks.join(', ') || 'none'}`,
        `running jobs affected: ${result.affectedJobs.map((j) => `${j.name} (${j.tenant}, ${j.gpus} GPUs)`).join(', ') || 'none'}`,
      ];
      return { json: result, text: lines.join('\n') };
    },
  },
};
