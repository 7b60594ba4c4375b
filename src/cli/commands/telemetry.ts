import { type Command, flag, UsageError } from '../command';

export const telemetryCommands: Record<string, Command> = {
  'telemetry query': {
    usage: 'telemetry query --metric <name> (--entity <gpu-uuid|hostname|rack-name> | --target <url|id>) [--since <duration>] [--resolution <auto|raw|1m|1h>] [--json]',
    summary: 'print the points of a metric for a GPU, host, rack or scrape target',
    run: async (client, args) => {
      const metric = flag(args, 'metric');
      const entity = flag(args, 'entity');
      const target = flag(args, 'target');
      if (!metric) throw new UsageError('--metric is required');
      if (!entity === !target) throw new UsageError('give exactly one of --entity or --target');
      const resolution = flag(args, 'resolution') ?? 'auto';
      if (!['auto', 'raw', '1m', '1h'].includes(resolution)) throw new UsageError('--resolution must be auto, raw, 1m or 1h');
      const result = await client.telemetry.query.query({
        metric,
        ...(entity ? { entity } : {}),
        ...(target ? { target } : {}),
        since: flag(args, 'since') ?? '15m',
        resolution: resolution as 'auto' | 'raw' | '1m' | '1h',
      });
      const lines = result.series.map((s) => {
        const last = s.points.at(-1);
        return `${s.entity || s.entityKind} ${JSON.stringify(s.labels)}: ${s.points.length} points${last ? `, last ${last.v} ${result.unit ?? ''} at ${new Date(last.t).toISOString()}` : ''}`;
      });
      return { json: result, text: [`${result.metric} (${result.unit ?? 'no data'}), ${result.resolution}, ${result.series.length} series`, ...lines].join('\n') };
    },
  },
  'telemetry unmapped': {
    usage: 'telemetry unmapped [--json]',
    summary: 'list series that match nothing in the inventory (kept, not dropped), and samples dropped as invalid, by reason',
    run: async (client) => {
      const result = await client.telemetry.unmapped.query();
      const text = result.items.map((s) => `${s.id}  ${s.metric} ${JSON.stringify(s.labels)}${s.target ? `  from ${s.target}` : ''}`).join('\n');
      const dropped = result.dropped.map((d) => `  ${d.reason}: ${d.samples} samples (last ${d.lastAt})`).join('\n');
      return {
        json: result,
        text: `${result.total} unmapped series${text ? `\n${text}` : ''}\n${dropped ? `samples dropped on the way in, by reason:\n${dropped}` : 'no samples dropped on the way in'}`,
      };
    },
  },
};
