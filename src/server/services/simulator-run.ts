/**
 * `npm run simulator -- serve` (or `run`): the simulated world as its own process against DATABASE_URL (a running
 * Plenum's database). It registers in the instance registry with only the `simulator` role; when it holds the role
 * it runs the world, serves the exporter endpoints and advertises them, and the scrape instances find them there.
 * Run the Plenum instances without the role (PLENUM_ROLES) to keep the world in this process, or leave it in both:
 * whichever holds the role runs the one world, and the other takes over if it dies.
 * Faults for a world in another process cannot yet come through tRPC (see docs/telemetry.md: a sim_commands table).
 */
import { createDb } from '../db/client';
import { startInstance } from './instance-runtime';

export async function runSimulatorProcess(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('simulator serve: set DATABASE_URL to the database of a running Plenum');
    return 2;
  }
  const log = (line: string) => console.log(`[simulator] ${line}`);
  const database = { ...createDb(url, { applicationName: 'plenum-simulator', max: 4 }), url };
  const instance = await startInstance(database, ['simulator'], log);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await instance.stop();
  await database.pool.end();
  return 0;
}
