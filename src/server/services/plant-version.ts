import type pg from 'pg';
import { preparedQuery } from '../db/statement-params';

/**
 * The plant's version: statement triggers on every plant table (sites, halls, rows, racks, devices and their types,
 * GPUs, power, cooling, fabric; migrations 0020, 0024, 0027, 0043) bump it in the changing transaction. What is derived
 * from the plant (the dashboards' plant rows, the simulated world, the telemetry mapper) is read again only when it
 * moves. Read it before the plant rows it guards: a change committed in between is then seen on the next read, never
 * missed.
 */
export async function readPlantVersion(db: pg.Pool | pg.PoolClient): Promise<string> {
  const { rows } = await preparedQuery<{ version: string }>(db, 'SELECT version FROM plant_version');
  return rows[0]?.version ?? '';
}
