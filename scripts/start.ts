import http from 'node:http';
import next from 'next';
import { bootstrapAccess } from '../src/server/auth/bootstrap';
import { BootError, bootDatabase } from '../src/server/boot';
import { ConfigError, loadConfig } from '../src/server/config';
import { EmbeddedDatabaseError } from '../src/server/db/embedded';
import { applyHeapGrowth } from '../src/server/heap-growth';
import { type RunningInstance, startInstance } from '../src/server/services/instance-runtime';
import { warmPlantCaches } from '../src/server/services/warm-up';
import { BuildError, ensureBuild } from './build';

/**
 * `npm start`: database (embedded unless DATABASE_URL), migrations, demo seed, background workers
 * and the web server, all in this one process so Ctrl-C stops everything. PLENUM_ROLES picks what this instance
 * does (default all); without `web` it starts no web server (a worker-only instance).
 */
const log = (line: string) => console.log(`[plenum] ${line}`);
let closeDatabase: (() => Promise<void>) | undefined;

async function main() {
  const config = loadConfig();
  applyHeapGrowth(config.heapGrowthPercent);
  const root = process.cwd();
  const database = await bootDatabase(config, log);
  closeDatabase = database.close;
  let shuttingDown = false;
  let instance: RunningInstance | undefined;
  let server: http.Server | undefined;

  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${signal} received: stopping`);
    server?.closeAllConnections();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await instance?.stop();
    await database.close();
    log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const access = await bootstrapAccess(database.db, process.env, log);

  const web = config.roles.includes('web');
  if (web) ensureBuild(root, log);
  // Request handlers in this process read the database through this URL.
  process.env.DATABASE_URL = database.url;
  instance = await startInstance(database, config.roles, log);
  if (!web) {
    log('ready (worker-only: no web server, PLENUM_ROLES has no "web")');
    return;
  }

  const app = next({ dev: false, dir: root, hostname: config.host, port: config.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const trustProxy = process.env.PLENUM_TRUST_PROXY === '1';
  server = http.createServer((request, response) => {
    // The address used for sign-in rate limits and the audit trail is the socket's, and the host and scheme those
    // the client really used, unless a reverse proxy in front is trusted (PLENUM_TRUST_PROXY=1) to set the
    // X-Forwarded-* headers; a client cannot forge them.
    if (!trustProxy) {
      request.headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
      delete request.headers['x-forwarded-host'];
      delete request.headers['x-forwarded-proto'];
    }
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(config.port, config.host, resolve);
  });
  const origin = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`;
  log(`ready on ${origin}`);
  // In the background, after readiness: what the first viewer of a dashboard or floor plan would otherwise wait for.
  void warmPlantCaches(database).then(
    (warm) => log(`plant caches warmed: ${warm.sites} site(s) in ${(warm.ms / 1000).toFixed(1)} s`),
    (error: unknown) => {
      if (!shuttingDown) log(`WARNING: warming the plant caches failed (the first viewer reads them instead): ${(error as Error).message}`);
    },
  );
  if (!access.usersExist) {
    log(`no user exists yet: open ${origin}/setup to create the first admin (or run: plenum admin create-user <name> --role admin --password-stdin)`);
  }
}

main().catch(async (error: unknown) => {
  await closeDatabase?.().catch(() => {});
  const known = error instanceof ConfigError || error instanceof BootError || error instanceof EmbeddedDatabaseError || error instanceof BuildError;
  const code = (error as NodeJS.ErrnoException).code;
  const message = code === 'EADDRINUSE' ? 'the web port is already in use: set PORT to a free port' : (error as Error).message;
  console.error(`plenum: ${known || code ? message : ((error as Error).stack ?? message)}`);
  process.exit(1);
});
