import { type Command, flag } from '../command';

export const metricsCommands: Record<string, Command> = {
  'metrics list': {
    usage: 'metrics list [--search <text>] [--json]',
    summary: 'catalogue metric names with unit and scope, and the exporter names (DCGM_FI_…, nvidia_smi_…) that resolve to them',
    run: async (client, args) => {
      const search = flag(args, 'search')?.toLowerCase();
      const metrics = (await client.telemetry.metrics.query()).filter(
        (m) => !search || m.name.includes(search) || m.help.toLowerCase().includes(search) || m.aliases.some((a) => a.toLowerCase().includes(search)),
      );
      const text = metrics.map((m) => `${m.name.padEnd(36)} ${m.unit.padEnd(11)} ${m.scope.padEnd(8)} ${m.help}${m.aliases.length ? `\n${' '.repeat(4)}also: ${m.aliases.join(', ')}` : ''}`);
      return { json: metrics, text: text.length ? text.join('\n') : 'no metric matches' };
    },
  },
};
