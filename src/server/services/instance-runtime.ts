/**
 * One Plenum instance's background side, as `npm start` and `npm run simulator -- serve` run it: the registry entry
 * and its roles (services/instances.ts), then the workers of the roles this instance takes part in.
 */
import type { Role } from '../config';
import type { DbHandle } from '../db/client';
import { clustersWorker } from './clusters/worker';
import { InstanceRegistry, roleWorker } from './instances';
import { schedulerWorker } from './scheduler';
import { simulatorRole, telemetryWorkers } from './telemetry/start';
import { heartbeatWorker, WorkerRunner } from './workers';

/** Roles whose workers need the telemetry pipeline (`web` for remote-write into this process's ingest). */
const TELEMETRY_ROLES: readonly Role[] = ['web', 'scrape', 'rollups', 'partitions', 'alerts'];

export type RunningInstance = { registry: InstanceRegistry; workers: WorkerRunner; stop: () => Promise<void> };

export async function startInstance(database: DbHandle & { url: string }, roles: readonly Role[], log: (line: string) => void = () => {}): Promise<RunningInstance> {
  const registry = new InstanceRegistry(database.pool, database.url, roles, log);
  const workers = new WorkerRunner(database.db, registry.id);
  workers.add(heartbeatWorker(database.db));
  if (roles.includes('scheduler')) workers.add(schedulerWorker(database.db, database.url, { leads: () => registry.holds('scheduler') }));
  const clusters = roleWorker(registry, 'clusters', clustersWorker(database.db, database.pool));
  if (clusters) workers.add(clusters);
  if (roles.some((role) => TELEMETRY_ROLES.includes(role))) {
    for (const worker of await telemetryWorkers(database.pool, log, registry)) workers.add(worker);
  } else if (roles.includes('simulator') && (process.env.PLENUM_SIMULATOR ?? 'on') !== 'off') {
    workers.add(simulatorRole(database.pool, registry, log));
  }
  await registry.start();
  workers.start();
  log(`instance ${registry.id} (${registry.hostname}:${registry.pid}): roles ${roles.join(', ')}; holding ${registry.rolesHeld.join(', ') || 'none yet'}`);
  return {
    registry,
    workers,
    stop: async () => {
      await workers.stop();
      await registry.stop();
    },
  };
}
