import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCreateToken, cliCreateUser } from '../src/cli/commands/admin-database';
import { handleTrpcRequest } from '../src/server/api/http';
import { createCaller } from '../src/server/api/root';
import { createContext } from '../src/server/api/trpc';
import { createFirstAdmin, createToken, createUser } from '../src/server/auth/accounts';
import { flushDenied } from '../src/server/auth/audit';
import { backoffMs, LOGIN_LIMITS } from '../src/server/auth/login';
import { createDb } from '../src/server/db/client';
import * as s from '../src/server/db/schema';
import { createTestDatabase, type TestDatabase } from './db';

/** Issue 11, findings 2, 4 and 6 (tokens, last admin): each test here failed on the code before the fix. */
const ORIGIN = 'http://plenum.test';
const ROOT_PASSWORD = 'correct horse battery staple';

let database: TestDatabase;
let adminToken: string;

type Answer = { status: number; body: { result?: { data?: { json?: unknown } }; error?: { json?: { message: string; data: { code: string; fieldErrors: { field: string }[] | null } } } }; headers: Headers };

async function trpc(path: string, input: unknown, options: { method?: 'GET' | 'POST'; cookie?: string; bearer?: string; address?: string } = {}): Promise<Answer> {
  const method = options.method ?? 'POST';
  const headers = new Headers({ 'content-type': 'application/json', host: 'plenum.test', 'x-forwarded-for': options.address ?? '10.0.0.1', 'x-plenum-csrf': '1' });
  if (options.cookie) headers.set('cookie', options.cookie);
  if (options.bearer) headers.set('authorization', `Bearer ${options.bearer}`);
  const url = method === 'GET' ? `${ORIGIN}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}` : `${ORIGIN}/api/trpc/${path}`;
  const response = await handleTrpcRequest(new Request(url, { method, headers, body: method === 'POST' ? JSON.stringify({ json: input }) : undefined }), database);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

async function login(username: string, password: string, address: string): Promise<Answer> {
  return trpc('auth.login', { username, password }, { address });
}

async function auditRows(action: string) {
  return database.db.select().from(s.auditLog).where(eq(s.auditLog.action, action));
}

beforeAll(async () => {
  database = await createTestDatabase();
  const root = (await createFirstAdmin(database.db, { username: 'root', password: ROOT_PASSWORD }))!;
  adminToken = (await createToken(database.db, { userId: root.id, name: 'test admin', role: 'admin', allZones: true, zoneIds: [], expiresAt: null, createdBy: null })).secret;
});
afterAll(() => database.drop());

describe('the audit row commits with the change, or neither does', () => {
  it('a junk field holding NUL is refused before any change (400 naming it), so nothing can go unaudited; the audit row records the validated input', async () => {
    const refused = await trpc('users.create', { username: 'nul-probe', displayName: 'x', role: 'viewer', password: 'a long enough password', junk: 'a\u0000b' }, { bearer: adminToken });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.json?.data?.fieldErrors).toEqual([{ field: 'junk', reason: 'must not contain NUL characters' }]);
    expect(await database.db.select().from(s.users).where(eq(s.users.username, 'nul-probe'))).toEqual([]);
    const created = await trpc('users.create', { username: 'nul-probe', displayName: '  Padded  ', role: 'viewer', password: 'a long enough password', junk: 'ab' }, { bearer: adminToken });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const [row] = (await auditRows('users.create')).filter((r) => r.outcome === 'ok');
    expect(row, 'the user exists, so must its audit row').toBeDefined();
    const input = (row!.detail as { input: Record<string, unknown> }).input;
    // Parsed: trimmed, defaults filled in, unknown keys gone; the password redacted.
    expect(input).toEqual({ username: 'nul-probe', displayName: 'Padded', role: 'viewer', password: '[redacted]', allZones: true, zoneIds: [] });
  });

  it('a lone surrogate or NUL in a key (refused by jsonb) is refused before any change too', async () => {
    const refused = await trpc('tenants.create', { name: 'surrogate-probe', gpuQuota: 1, junk: 'x\uD800y', 'key\u0000': 1 }, { bearer: adminToken });
    expect(refused.status).toBe(400);
    expect(await database.db.select().from(s.tenants).where(eq(s.tenants.name, 'surrogate-probe'))).toEqual([]);
    expect((await auditRows('tenants.create')).filter((r) => r.outcome === 'ok')).toHaveLength(0);
  });

  it('fails closed: when the audit row cannot be written, the change is rolled back', async () => {
    await database.pool.query(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.action = 'tenants.create' THEN RAISE EXCEPTION 'audit refused for the test'; END IF; RETURN NEW; END $$`);
    await database.pool.query('CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()');
    try {
      const answer = await trpc('tenants.create', { name: 'unaudited-tenant', gpuQuota: 1 }, { bearer: adminToken });
      expect(answer.status).toBe(500);
      expect(answer.body.error?.json?.message).toBe('internal server error');
      expect(await database.db.select().from(s.tenants).where(eq(s.tenants.name, 'unaudited-tenant'))).toEqual([]);
    } finally {
      await database.pool.query('DROP TRIGGER refuse_audit ON audit_log');
      await database.pool.query('DROP FUNCTION refuse_audit()');
    }
  });

  it('a failed mutation writes nothing, and is audited on its own', async () => {
    const answer = await trpc('users.create', { username: 'bad name!', role: 'viewer', password: 'a long enough password' }, { bearer: adminToken });
    expect(answer.status).toBe(400);
    const [row] = (await auditRows('users.create')).filter((r) => r.outcome === 'error');
    expect(row).toBeDefined();
    expect(JSON.stringify(row)).not.toContain('a long enough password');
  });

  it('audits the CLI admin commands in the same transaction; never the password or the secret', async () => {
    const user = await cliCreateUser(database.db, { username: 'cli-made', role: 'operator', password: 'cli password 123', zones: [] }, 'cli:tester');
    const token = await cliCreateToken(database.db, { username: 'cli-made', name: 'ci', role: 'viewer', zones: [], expiresAt: null }, 'cli:tester');
    await expect(cliCreateUser(database.db, { username: 'cli-made', role: 'viewer', password: 'cli password 123', zones: [] }, 'cli:tester')).rejects.toThrow(/already taken/);
    const userRows = await auditRows('cli.admin.create-user');
    expect(userRows.map((r) => r.outcome).sort()).toEqual(['error', 'ok']);
    expect(userRows.find((r) => r.outcome === 'ok')).toMatchObject({ actor: 'cli:tester', objectType: 'user', objectId: String(user.id) });
    const [tokenRow] = await auditRows('cli.admin.create-token');
    expect(tokenRow).toMatchObject({ actor: 'cli:tester', outcome: 'ok', objectType: 'api-token', objectId: String(token.token.id) });
    const everything = JSON.stringify([...userRows, tokenRow]);
    expect(everything).not.toContain('cli password 123');
    expect(everything).not.toContain(token.secret);
  });

  it('counts denials anyone can cause: one row per token prefix per address per minute, with the count', async () => {
    await flushDenied({ all: true });
    const before = (await auditRows('token.use')).length;
    const fake = `plnm_${'A'.repeat(43)}`;
    for (let i = 0; i < 40; i++) await trpc('zones.list', undefined, { method: 'GET', bearer: `junk-${i}`, address: '192.0.2.1' });
    for (let i = 0; i < 10; i++) await trpc('zones.list', undefined, { method: 'GET', bearer: fake, address: '192.0.2.2' });
    for (let i = 0; i < 20; i++) await trpc('tenants.create', { name: `anon-${i}`, gpuQuota: 1 }, { address: '192.0.2.3' });
    // Signing out without a session changes nothing and leaves no row.
    for (let i = 0; i < 20; i++) expect((await trpc('auth.logout', undefined, { address: '192.0.2.4' })).status).toBe(200);
    await flushDenied({ all: true });
    const rows = (await auditRows('token.use')).slice(before);
    expect(rows.map((r) => [r.address, (r.detail as { count: number; tokenPrefix: string }).count, (r.detail as { tokenPrefix: string }).tokenPrefix]).sort()).toEqual([
      ['192.0.2.1', 40, '(not a Plenum token)'],
      ['192.0.2.2', 10, 'plnm_AAAAAA'],
    ]);
    const anonymous = (await auditRows('tenants.create')).filter((r) => r.address === '192.0.2.3');
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]).toMatchObject({ outcome: 'denied', actor: 'anonymous', detail: expect.objectContaining({ count: 20 }) });
    expect((await auditRows('auth.logout')).filter((r) => r.address === '192.0.2.4')).toEqual([]);
  });
});

describe('sign-in throttling', () => {
  it('backs off exponentially per (account, address) after the free failures, up to an hour', () => {
    expect([4, 5, 6, 7, 20].map(backoffMs)).toEqual([0, 30_000, 60_000, 120_000, LOGIN_LIMITS.backoffMaxMs]);
  });

  it('concurrent wrong guesses never get past the limit', async () => {
    await createUser(database.db, { username: 'racer', role: 'viewer', password: 'racer password 1', allZones: true, zoneIds: [] });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => login('racer', `wrong ${i}`, '10.20.0.1')));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(LOGIN_LIMITS.freeFailures);
    expect(statuses.filter((status) => status === 429)).toHaveLength(12 - LOGIN_LIMITS.freeFailures);
    expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('many concurrent sign-ins cannot starve the connection pool (the throttle counters use a pool of their own)', async () => {
    await createUser(database.db, { username: 'crowd', role: 'viewer', password: 'crowd password 1', allZones: true, zoneIds: [] });
    const small = createDb(database.url, { max: 3 });
    try {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => {
          const headers = { 'content-type': 'application/json', host: 'plenum.test', 'x-forwarded-for': `10.60.0.${i}`, 'x-plenum-csrf': '1' };
          const body = JSON.stringify({ json: { username: 'crowd', password: 'crowd password 1' } });
          return handleTrpcRequest(new Request(`${ORIGIN}/api/trpc/auth.login`, { method: 'POST', headers, body }), small);
        }),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    } finally {
      await small.pool.end();
    }
  });

  it('a wrong-password storm from one address does not lock the owner out from another', async () => {
    await createUser(database.db, { username: 'owner', role: 'viewer', password: 'owner password 1', allZones: true, zoneIds: [] });
    for (let i = 0; i < 40; i++) await login('owner', `storm ${i}`, '10.30.0.1');
    expect((await login('owner', 'owner password 1', '10.30.0.1')).status).toBe(429);
    expect((await login('owner', 'owner password 1', '10.30.0.2')).status).toBe(200);
  });

  it('past the per-account cap (a botnet), only addresses that signed in before may still try', async () => {
    await database.pool.query("UPDATE login_throttle SET failures = $1, window_start = now() WHERE scope = 'account' AND key = 'owner'", [LOGIN_LIMITS.perAccount]);
    expect((await login('owner', 'owner password 1', '10.30.0.3')).status).toBe(429);
    expect((await login('owner', 'owner password 1', '10.30.0.2')).status).toBe(200);
  });
});

describe('tokens and credentials', () => {
  it('a token cannot mint a token that outlives it', async () => {
    const [root] = await database.db.select().from(s.users).where(eq(s.users.username, 'root'));
    const short = await createToken(database.db, { userId: root!.id, name: 'two days', role: 'admin', allZones: true, zoneIds: [], expiresAt: new Date(Date.now() + 2 * 86_400_000), createdBy: null });
    for (const expiresInDays of [30, null]) {
      const answer = await trpc('tokens.create', { name: 'longer', role: 'viewer', expiresInDays }, { bearer: short.secret });
      expect(answer.status, `expiresInDays ${expiresInDays}`).toBe(400);
      expect(answer.body.error?.json?.data.fieldErrors?.[0]?.field).toBe('expiresInDays');
    }
    expect((await trpc('tokens.create', { name: 'shorter', role: 'viewer', expiresInDays: 1 }, { bearer: short.secret })).status).toBe(200);
  });

  it("a password reset ends the user's sessions and revokes their tokens", async () => {
    const user = await createUser(database.db, { username: 'resetme', role: 'operator', password: 'old password 123', allZones: true, zoneIds: [] });
    const signedIn = await login('resetme', 'old password 123', '10.50.0.1');
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const { secret } = await createToken(database.db, { userId: user.id, name: 'ci', role: 'operator', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    expect((await trpc('zones.list', undefined, { method: 'GET', bearer: secret })).status).toBe(200);
    expect((await trpc('users.setPassword', { id: user.id, password: 'new password 456' }, { bearer: adminToken })).status).toBe(200);
    expect((await trpc('zones.list', undefined, { method: 'GET', bearer: secret })).status).toBe(401);
    expect((await trpc('zones.list', undefined, { method: 'GET', cookie })).status).toBe(401);
  });

  it('a narrower role or zones revoke the tokens beyond the new grant, so a later promotion does not bring them back', async () => {
    const user = await createUser(database.db, { username: 'demoteme', role: 'operator', password: 'demote password 1', allZones: true, zoneIds: [] });
    const operatorToken = await createToken(database.db, { userId: user.id, name: 'op', role: 'operator', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    const viewerToken = await createToken(database.db, { userId: user.id, name: 'view', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    expect((await trpc('users.update', { id: user.id, changes: { role: 'viewer' } }, { bearer: adminToken })).status).toBe(200);
    expect((await trpc('users.update', { id: user.id, changes: { role: 'operator' } }, { bearer: adminToken })).status).toBe(200);
    const tokens = await database.db.select().from(s.apiTokens).where(eq(s.apiTokens.userId, user.id));
    expect(tokens.find((t) => t.id === operatorToken.token.id)!.revokedAt).not.toBeNull();
    expect(tokens.find((t) => t.id === viewerToken.token.id)!.revokedAt).toBeNull();
    expect((await trpc('jobs.cancel', { id: 999_999 }, { bearer: operatorToken.secret })).status).toBe(401);
  });

  it('concurrent demotions never leave no all-zones admin', async () => {
    const [root] = await database.db.select().from(s.users).where(eq(s.users.username, 'root'));
    const second = await createUser(database.db, { username: 'second-admin', role: 'admin', password: 'second admin pw 1', allZones: true, zoneIds: [] });
    // Only these two are all-zones admins.
    await database.db.execute(sql`UPDATE users SET role = 'viewer' WHERE role = 'admin' AND id NOT IN (${root!.id}, ${second.id})`);
    const caller = createCaller(createContext(database));
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([root!.id, second.id].map((id) => caller.users.update({ id, changes: { role: 'operator' } })));
      expect(results.filter((r) => r.status === 'fulfilled'), `round ${round}`).toHaveLength(1);
      const { rows } = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND all_zones AND NOT disabled");
      expect(rows[0]!.n, `round ${round}`).toBe(1);
      await database.db.execute(sql`UPDATE users SET role = 'admin' WHERE id IN (${root!.id}, ${second.id})`);
    }
  });
});
