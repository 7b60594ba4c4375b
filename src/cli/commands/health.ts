import type { Command } from '../command';

export const healthCommands: Record<string, Command> = {
  health: {
    usage: 'health',
    summary: 'print the server health (database, migrations, workers, instances and their roles)',
    run: async (client) => {
      const health = await client.system.health.query();
      const workers = health.workers.map((w) => `  ${w.name} (${w.instance}): ${w.status}${w.stale ? ' (stale)' : ''}`).join('\n');
      const instances = (health.instances ?? [])
        .map((i) => {
          const where = i.hostname ? ` ${i.hostname}:${i.pid}` : '';
          const shard = i.shardSize === null ? '' : `, scraping ${i.shardSize} targets`;
          return `  ${i.id}${where}: holds ${i.rolesHeld.join(', ') || 'no role'}${shard}`;
        })
        .join('\n');
      const unheld = (health.roles ?? []).filter((r) => r.holder === null).map((r) => r.role);
      const text = [
        `status: ${health.status}`,
        `database: ${health.database.status}${health.database.latencyMs !== undefined ? ` (${health.database.latencyMs} ms)` : ''}`,
        `migrations: ${health.migrations ? `${health.migrations.applied} applied, latest ${health.migrations.latest}, ${health.migrations.pending} pending` : 'unknown'}`,
        `workers:\n${workers || '  none'}`,
        `instances:\n${instances || '  none registered'}`,
        ...(unheld.length ? [`roles held by no instance: ${unheld.join(', ')}`] : []),
      ].join('\n');
      return { json: health, text };
    },
  },
};
