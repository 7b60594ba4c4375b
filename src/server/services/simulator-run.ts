/**
 * `npm run simulator -- run`: the live simulator as its own process against DATABASE_URL (a running Plenum's
 * database). It serves the exporter endpoints and registers them as scrape targets; the Plenum server scrapes them.
 * Faults for this process cannot yet come through tRPC (see docs/telemetry.md: a sim_commands table is the plan).
 */
import { createDb } from '../db/client';
import { SimulatorHost, simulatorOptionsFromEnv, simulatorWorker } from './simulator-host';
import { WorkerRunner } from './workers';

export async function runSimulatorProcess(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('simulator run: set DATABASE_URL to the database of a running Plenum');
    return 2;
  }
  const { pool, db } = createDb(url, { applicationName: 'plenum-simulator', max: 4 });
  const host = new SimulatorHost(pool, simulatorOptionsFromEnv());
  await host.start();
  const runner = new WorkerRunner(db);
  runner.add(simulatorWorker(host));
  runner.start();
  console.log(`[simulator] ${host.status().hosts} GPU hosts, ${host.status().snmpAgents} SNMP agents ×${host.options.accel} serving at ${host.baseUrl}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  await pool.end();
  return 0;
}
