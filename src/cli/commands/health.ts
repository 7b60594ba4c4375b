import type { Command } from '../command';

export const healthCommands: Record<string, Command> = {
  health: {
    usage: 'health',
    summary: 'print the server health (database, migrations, workers)',
    run: async (client) => {
      const health = await client.system.health.query();
      const workers = health.workers.map((w) => `  ${w.name} (${w.instance}): ${w.status}${w.stale ? ' (stale)' : ''}`).join('\n');
      const text = [
        `status: ${health.status}`,
        `database: ${health.database.status}${health.database.latencyMs !== undefined ? ` (${health.database.latencyMs} ms)` : ''}`,
        `migrations: ${health.migrations ? `${health.migrations.applied} applied, latest ${health.migrations.latest}, ${health.migrations.pending} pending` : 'unknown'}`,
        `workers:\n${workers || '  none'}`,
      ].join('\n');
      return { json: health, text };
    },
  },
};
