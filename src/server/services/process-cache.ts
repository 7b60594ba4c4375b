/**
 * The process's caches of plant data (kept per plant version by their users: the site's GPU list, its drawing devices,
 * the plant rows and analysis, fabric statistics), one map per cache name and database.
 *
 * They live on globalThis, not in module variables: `npm start` loads these modules twice, once for the start script
 * and its workers and once inside Next's bundle for the request handlers, and a module variable would be two caches,
 * the start-up warm-up (services/warm-up.ts) filling the one no request reads. A database is named by its pool's
 * connection string, so the start script's pool and the handlers' (`getDb()`, on the same URL) share one cache; a pool
 * without one (the transaction stand-in of db/transaction.ts, a mock) has a cache of its own.
 */
type Caches = { byUrl: Map<string, Map<string, Map<unknown, unknown>>>; byPool: WeakMap<object, Map<string, Map<unknown, unknown>>> };

export function processCache<K, V>(name: string, pool: object): Map<K, V> {
  const holder = globalThis as unknown as { __plenumProcessCaches?: Caches };
  holder.__plenumProcessCaches ??= { byUrl: new Map(), byPool: new WeakMap() };
  const caches = holder.__plenumProcessCaches;
  const url = (pool as { options?: { connectionString?: unknown } }).options?.connectionString;
  let named = typeof url === 'string' ? caches.byUrl.get(url) : caches.byPool.get(pool);
  if (!named) {
    named = new Map();
    if (typeof url === 'string') caches.byUrl.set(url, named);
    else caches.byPool.set(pool, named);
  }
  let cache = named.get(name);
  if (!cache) {
    cache = new Map();
    named.set(name, cache);
  }
  return cache as Map<K, V>;
}

/** The pool under a drizzle database (what processCache names the database by); the database itself when it has none. */
export function poolOf(db: object): object {
  return (db as { $client?: object }).$client ?? db;
}
