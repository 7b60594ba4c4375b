import type pg from 'pg';
import { SimulatorHost, simulatorOptionsFromEnv, simulatorWorker } from '../simulator-host';
import type { Worker } from '../workers';
import { createTelemetry } from './index';
import { tsdbBackend } from './remote-backend';

/**
 * What `npm start` runs for telemetry: ingest, scraper, partitions, mapping, rollups, alerts, and the live simulator
 * (unless PLENUM_SIMULATOR=off), as workers for the process's WorkerRunner.
 */
export async function telemetryWorkers(pool: pg.Pool, log: (line: string) => void = () => {}): Promise<Worker[]> {
  const telemetry = await createTelemetry(pool);
  const tsdb = tsdbBackend();
  if (tsdb.kind === 'prometheus-remote') log(`telemetry history: remote-write to ${tsdb.remoteWriteUrl}, PromQL at ${tsdb.queryUrl} (PostgreSQL keeps ${telemetry.settings.rawRetentionDays} d of raw samples)`);
  const workers = [...telemetry.workers];
  if ((process.env.PLENUM_SIMULATOR ?? 'on') !== 'off') {
    const host = new SimulatorHost(pool, simulatorOptionsFromEnv());
    await host.start();
    log(`simulator: ${host.status().hosts} GPU hosts ×${host.options.accel} at ${host.baseUrl}, scraped every ${host.options.scrapeIntervalMs} ms`);
    workers.push(simulatorWorker(host));
  }
  return workers;
}
