import type pg from 'pg';
import type { InstanceRegistry } from '../instances';
import { SimulatorHost, simulatorOptionsFromEnv, simulatorWorker } from '../simulator-host';
import type { Worker } from '../workers';
import { createTelemetry } from './index';
import { tsdbBackend } from './remote-backend';

/**
 * What `npm start` runs for telemetry: ingest, scraper, partitions, mapping, rollups, alerts, and the live simulator
 * (unless PLENUM_SIMULATOR=off), as workers for the process's WorkerRunner. With an instance registry each runs under
 * its role, and the simulated world starts only in the instance that takes the `simulator` role (again in a
 * survivor after a failover: a fresh world from the database).
 */
export async function telemetryWorkers(pool: pg.Pool, log: (line: string) => void = () => {}, registry?: InstanceRegistry): Promise<Worker[]> {
  const telemetry = await createTelemetry(pool, undefined, registry);
  const tsdb = tsdbBackend();
  if (tsdb.kind === 'prometheus-remote') log(`telemetry history: remote-write to ${tsdb.remoteWriteUrl}, PromQL at ${tsdb.queryUrl} (PostgreSQL keeps ${telemetry.settings.rawRetentionDays} d of raw samples)`);
  const workers = [...telemetry.workers];
  if ((process.env.PLENUM_SIMULATOR ?? 'on') === 'off') return workers;
  if (!registry) {
    const host = new SimulatorHost(pool, simulatorOptionsFromEnv());
    await host.start();
    log(`simulator: ${host.status().hosts} GPU hosts, ${host.status().snmpAgents} SNMP agents (UPSs, rack PDUs) ×${host.options.accel} at ${host.baseUrl}, scraped every ${host.options.scrapeIntervalMs} ms`);
    workers.push({ ...simulatorWorker(() => host), stop: () => host.stop() });
    return workers;
  }
  if (registry.rolesRequested.includes('simulator')) workers.push(simulatorRole(pool, registry, log));
  return workers;
}

/** The simulated world under the `simulator` role: started on taking the role, stopped on losing it. */
export function simulatorRole(pool: pg.Pool, registry: InstanceRegistry, log: (line: string) => void): Worker {
  let host: SimulatorHost | undefined;
  registry.onRole('simulator', {
    acquire: async () => {
      const starting = new SimulatorHost(pool, simulatorOptionsFromEnv());
      try {
        await starting.start();
      } catch (error) {
        await starting.stop().catch(() => {});
        throw error;
      }
      host = starting;
      log(`simulator: ${starting.status().hosts} GPU hosts ×${starting.options.accel} serving at ${starting.baseUrl} (scraped every ${starting.options.scrapeIntervalMs} ms)`);
    },
    release: async () => {
      const stopping = host;
      host = undefined;
      await stopping?.stop();
    },
  });
  return simulatorWorker(() => host);
}
