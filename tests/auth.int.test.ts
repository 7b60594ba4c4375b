import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrpcRequest, MAX_BODY_BYTES } from '../src/server/api/http';
import { appRouter } from '../src/server/api/root';
import { createRequestContext } from '../src/server/api/trpc';
import { createFirstAdmin, createToken, createUser, zoneIdsByName } from '../src/server/auth/accounts';
import { flushDenied } from '../src/server/auth/audit';
import { hashPassword, verifyPassword } from '../src/server/auth/password';
import { sha256 } from '../src/server/auth/secrets';
import * as s from '../src/server/db/schema';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';

/** Access control end to end through the real HTTP handler of /api/trpc, against a seeded database. */
const ORIGIN = 'http://plenum.test';
const ADMIN_PASSWORD = 'correct horse battery staple';
const OPERATOR_PASSWORD = 'tenant cage operator pw';

let database: TestDatabase;

type Answer = { status: number; body: { result?: { data?: { json?: unknown } }; error?: { json?: { message: string; code: number; data: { code: string; stack?: string } } } }; headers: Headers };

async function trpc(
  path: string,
  input: unknown,
  options: { method?: 'GET' | 'POST'; cookie?: string; bearer?: string; csrf?: boolean; origin?: string; address?: string } = {},
): Promise<Answer> {
  const method = options.method ?? 'POST';
  const headers = new Headers({ 'content-type': 'application/json', host: 'plenum.test', 'x-forwarded-for': options.address ?? '10.0.0.1' });
  if (options.cookie) headers.set('cookie', options.cookie);
  if (options.bearer) headers.set('authorization', `Bearer ${options.bearer}`);
  if (options.csrf ?? true) headers.set('x-plenum-csrf', '1');
  if (options.origin) headers.set('origin', options.origin);
  const url = method === 'GET' ? `${ORIGIN}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}` : `${ORIGIN}/api/trpc/${path}`;
  const response = await handleTrpcRequest(new Request(url, { method, headers, body: method === 'POST' ? JSON.stringify({ json: input }) : undefined }), database);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const data = (answer: Answer) => answer.body.result?.data?.json as Record<string, unknown>;
const errorOf = (answer: Answer) => answer.body.error?.json;

async function login(username: string, password: string, address = '10.0.0.1'): Promise<string> {
  const answer = await trpc('auth.login', { username, password }, { address });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const setCookie = answer.headers.get('set-cookie')!;
  return setCookie.split(';')[0]!;
}

describe('access control', () => {
  let adminCookie: string;
  let cageRackId: number;
  let otherRackId: number;
  let deviceTypeId: number;
  const secrets: string[] = [ADMIN_PASSWORD, OPERATOR_PASSWORD];

  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    await createFirstAdmin(database.db, { username: 'root', password: ADMIN_PASSWORD });
    const [cage] = await database.db.execute<{ id: number }>(sql`SELECT r.id FROM racks r JOIN security_zones z ON z.id = r.security_zone_id WHERE z.name = 'Tenant cage' ORDER BY r.name LIMIT 1`).then((r) => r.rows);
    const [other] = await database.db.select({ id: s.racks.id }).from(s.racks).where(eq(s.racks.name, 'A1-01'));
    // A 1 U, 1.72 kW switch: two fit the 3.9 kW of power headroom a cage rack has (the device forms check power).
    const [type] = await database.db.select({ id: s.deviceTypes.id }).from(s.deviceTypes).where(eq(s.deviceTypes.model, 'QM9700'));
    cageRackId = cage!.id;
    otherRackId = other!.id;
    deviceTypeId = type!.id;
  });
  afterAll(() => database.drop());

  it('hashes passwords with scrypt (N ≥ 2^15, per-user salt, parameters stored)', async () => {
    const [one, two] = [await hashPassword('same password!!'), await hashPassword('same password!!')];
    expect(one).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(one).not.toBe(two);
    expect(await verifyPassword('same password!!', one)).toBe(true);
    expect(await verifyPassword('same password!?', one)).toBe(false);
  });

  it('signs in with an httpOnly SameSite session cookie whose id is stored hashed', async () => {
    const answer = await trpc('auth.login', { username: 'root', password: ADMIN_PASSWORD });
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^plenum_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=604800$/);
    adminCookie = cookie.split(';')[0]!;
    const id = adminCookie.split('=')[1]!;
    const rows = await database.db.select().from(s.sessions);
    expect(rows.some((r) => r.idHash === sha256(id))).toBe(true);
    expect(rows.some((r) => r.idHash === id)).toBe(false);
    const me = await trpc('auth.me', undefined, { method: 'GET', cookie: adminCookie });
    expect(data(me)).toMatchObject({ username: 'root', role: 'admin', allZones: true });
  });

  it('refuses anonymous callers everything but public procedures', async () => {
    const racks = await trpc('racks.list', {}, { method: 'GET' });
    expect(racks.status).toBe(401);
    const health = await trpc('system.health', undefined, { method: 'GET' });
    expect(health.status).toBe(200);
    const body = data(health) as { database: { serverVersion?: string }; workers: unknown[] };
    expect(body.database.serverVersion).toBeUndefined();
  });

  it('gives the same answer for an unknown user and a wrong password, and throttles an (account, address) after 5 failures', async () => {
    const unknown = await trpc('auth.login', { username: 'nobody', password: 'whatever it is' }, { address: '10.0.0.2' });
    const wrong = await trpc('auth.login', { username: 'root', password: 'not the password' }, { address: '10.0.0.2' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(errorOf(unknown)!.message).toBe(errorOf(wrong)!.message);
    await createUser(database.db, { username: 'victim', role: 'viewer', password: 'victim password 1', allZones: true, zoneIds: [] });
    for (let i = 0; i < 5; i++) expect((await trpc('auth.login', { username: 'victim', password: `bad guess ${i}` }, { address: '10.1.0.1' })).status).toBe(401);
    // That address now waits, even with the right password; the wait is in the database, so another handler (another
    // process) sees it too.
    const locked = await trpc('auth.login', { username: 'victim', password: 'victim password 1' }, { address: '10.1.0.1' });
    expect(locked.status).toBe(429);
    // The 30 s wait started when the fifth guess was counted (before its password check).
    const wait = Number(/too many failed sign-ins: try again in (\d+) seconds/.exec(errorOf(locked)!.message)?.[1]);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(30);
    // The owner, elsewhere, is not locked out by someone else's guesses.
    expect((await trpc('auth.login', { username: 'victim', password: 'victim password 1' }, { address: '10.9.9.9' })).status).toBe(200);
    // An unknown name is throttled the same way (no enumeration through the throttle).
    for (let i = 0; i < 5; i++) await trpc('auth.login', { username: 'ghost', password: `bad guess ${i}` }, { address: '10.2.0.1' });
    expect((await trpc('auth.login', { username: 'ghost', password: 'x' }, { address: '10.2.0.1' })).status).toBe(429);
  });

  it('limits failures per address too', async () => {
    for (let i = 0; i < 30; i++) await trpc('auth.login', { username: `spray${i}`, password: 'password123' }, { address: '10.3.3.3' });
    expect((await trpc('auth.login', { username: 'root', password: ADMIN_PASSWORD }, { address: '10.3.3.3' })).status).toBe(429);
  });

  it('refuses cookie mutations without the CSRF header or from another origin; bearer requests are exempt', async () => {
    const input = { hallId: 1, rowId: 1, name: 'CSRF-1', positionInRow: 90, maxPowerKw: 10, maxWeightKg: 1000 };
    const noHeader = await trpc('racks.create', input, { cookie: adminCookie, csrf: false });
    expect(noHeader.status).toBe(403);
    expect(errorOf(noHeader)!.message).toMatch(/cross-site request refused/);
    const otherOrigin = await trpc('racks.create', input, { cookie: adminCookie, origin: 'https://evil.example' });
    expect(otherOrigin.status).toBe(403);
    // Login CSRF is refused too.
    expect((await trpc('auth.login', { username: 'root', password: ADMIN_PASSWORD }, { csrf: false })).status).toBe(403);
    const [admin] = await database.db.select().from(s.users).where(eq(s.users.username, 'root'));
    const { secret } = await createToken(database.db, { userId: admin!.id, name: 'csrf', role: 'viewer', allZones: true, zoneIds: [], expiresAt: null, createdBy: admin!.id });
    secrets.push(secret);
    const bearer = await trpc('zones.list', undefined, { method: 'GET', bearer: secret, csrf: false });
    expect(bearer.status).toBe(200);
  });

  it('expires idle sessions', async () => {
    const cookie = await login('root', ADMIN_PASSWORD, '10.4.0.1');
    await database.db.update(s.sessions).set({ lastSeenAt: new Date(Date.now() - 13 * 3600_000) }).where(eq(s.sessions.idHash, sha256(cookie.split('=')[1]!)));
    const answer = await trpc('racks.list', {}, { method: 'GET', cookie });
    expect(answer.status).toBe(401);
    expect(errorOf(answer)!.message).toMatch(/session has expired/);
  });

  it('signs out', async () => {
    const cookie = await login('root', ADMIN_PASSWORD, '10.4.0.2');
    const out = await trpc('auth.logout', undefined, { cookie });
    expect(out.headers.get('set-cookie')).toMatch(/plenum_session=; .*Max-Age=0/);
    expect((await trpc('racks.list', {}, { method: 'GET', cookie })).status).toBe(401);
  });

  it('refuses a viewer every mutation (a forged request gets FORBIDDEN)', async () => {
    await trpc('users.create', { username: 'vera', role: 'viewer', password: 'viewer password 1', allZones: true }, { cookie: adminCookie });
    const viewer = await login('vera', 'viewer password 1', '10.5.0.1');
    const forged = await trpc('devices.create', { deviceTypeId, rackId: cageRackId, position: 40, face: 'front', name: 'forged-1' }, { cookie: viewer });
    expect(forged.status).toBe(403);
    expect(errorOf(forged)!.message).toMatch(/needs one of the operate, plan permissions; your role \(viewer\)/);
    expect(errorOf(forged)!.data.stack).toBeUndefined();
    expect((await trpc('racks.list', {}, { method: 'GET', cookie: viewer })).status).toBe(200);
    expect((await trpc('users.list', undefined, { method: 'GET', cookie: viewer })).status).toBe(403);
  });

  it('scopes an operator to their zones: a cage rack yes, a rack in "Data halls" no', async () => {
    const [cage] = await zoneIdsByName(database.db, ['Tenant cage']);
    const created = await trpc('users.create', { username: 'otto', role: 'operator', password: OPERATOR_PASSWORD, allZones: false, zoneIds: [cage] }, { cookie: adminCookie });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const operator = await login('otto', OPERATOR_PASSWORD, '10.6.0.1');
    const inCage = await trpc('devices.create', { deviceTypeId, rackId: cageRackId, position: 40, face: 'front', name: 'cage-probe-1' }, { cookie: operator });
    expect(inCage.status, JSON.stringify(inCage.body)).toBe(200);
    const elsewhere = await trpc('devices.create', { deviceTypeId, rackId: otherRackId, position: 40, face: 'front', name: 'hall-probe-1' }, { cookie: operator });
    expect(elsewhere.status).toBe(403);
    expect(errorOf(elsewhere)!.message).toBe('rack A1-01 is in zone "Data halls"; your grant covers "Tenant cage"');
    // Another zone's rack is not there for this operator at all (404, like a missing one).
    const rackUpdate = await trpc('racks.update', { id: otherRackId, changes: { maxPowerKw: 41 } }, { cookie: operator });
    expect(rackUpdate.status).toBe(404);
    // Moving a device out of the cage into another zone is refused as well.
    const moved = await trpc('devices.update', { id: (data(inCage) as { id: number }).id, changes: { deviceTypeId, rackId: otherRackId, position: 40, face: 'front', name: 'cage-probe-1' } }, { cookie: operator });
    expect(moved.status).toBe(403);
    // The change log names the real actor.
    const [change] = await database.db.select().from(s.changeLog).where(eq(s.changeLog.objectId, String((data(inCage) as { id: number }).id)));
    expect(change!.actor).toBe('otto');
    const global = await trpc('deviceTypes.import', { files: [{ name: 'x.yaml', content: 'x: 1' }] }, { cookie: operator });
    expect(global.status).toBe(403);
  });

  it('tokens: shown once, stored hashed, scoped, last use recorded, revocable', async () => {
    const operator = await login('otto', OPERATOR_PASSWORD, '10.7.0.1');
    const tooWide = await trpc('tokens.create', { name: 'wide', role: 'admin', allZones: false, zoneIds: [] }, { cookie: operator });
    expect(tooWide.status).toBe(400);
    const [cage] = await zoneIdsByName(database.db, ['Tenant cage']);
    const created = await trpc('tokens.create', { name: 'ci', role: 'operator', allZones: false, zoneIds: [cage], expiresInDays: 30 }, { cookie: operator });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const { secret, token } = data(created) as { secret: string; token: { id: number } };
    secrets.push(secret);
    expect(secret).toMatch(/^plnm_[A-Za-z0-9_-]{43}$/);
    const [stored] = await database.db.select().from(s.apiTokens).where(eq(s.apiTokens.id, token.id));
    expect(stored!.secretHash).toBe(sha256(secret));
    const mine = await trpc('tokens.mine', undefined, { method: 'GET', cookie: operator });
    expect(JSON.stringify(mine.body)).not.toContain(secret);
    expect(JSON.stringify(mine.body)).not.toContain(stored!.secretHash);

    const me = await trpc('auth.me', undefined, { method: 'GET', bearer: secret, address: '192.0.2.7' });
    expect(data(me)).toMatchObject({ username: 'otto', kind: 'token', role: 'operator', allZones: false });
    const [used] = await database.db.select().from(s.apiTokens).where(eq(s.apiTokens.id, token.id));
    expect(used!.lastUsedAddress).toBe('192.0.2.7');
    expect(used!.lastUsedAt).not.toBeNull();
    // A token cannot mint a wider token.
    const mint = await trpc('tokens.create', { name: 'escalate', role: 'admin', allZones: true }, { bearer: secret });
    expect(mint.status).toBe(400);

    const write = await trpc('devices.create', { deviceTypeId, rackId: cageRackId, position: 38, face: 'front', name: 'token-probe-1' }, { bearer: secret, csrf: false });
    expect(write.status, JSON.stringify(write.body)).toBe(200);
    expect((await trpc('tokens.revoke', { id: token.id }, { cookie: operator })).status).toBe(200);
    const after = await trpc('zones.list', undefined, { method: 'GET', bearer: secret });
    expect(after.status).toBe(401);
    expect(errorOf(after)!.message).toBe('the API token is invalid, expired or revoked');

    const [otto] = await database.db.select().from(s.users).where(eq(s.users.username, 'otto'));
    const expiring = await createToken(database.db, { userId: otto!.id, name: 'short', role: 'viewer', allZones: false, zoneIds: [cage!], expiresAt: new Date(Date.now() + 1000), createdBy: null });
    secrets.push(expiring.secret);
    await database.pool.query('UPDATE api_tokens SET expires_at = now() - interval \'1 second\' WHERE id = $1', [expiring.token.id]);
    expect((await trpc('zones.list', undefined, { method: 'GET', bearer: expiring.secret })).status).toBe(401);
  });

  it('a token never exceeds its user: a demoted user takes the token down with them', async () => {
    const [vera] = await database.db.select().from(s.users).where(eq(s.users.username, 'vera'));
    await database.db.update(s.users).set({ role: 'operator' }).where(eq(s.users.id, vera!.id));
    const { secret } = await createToken(database.db, { userId: vera!.id, name: 'op', role: 'operator', allZones: true, zoneIds: [], expiresAt: null, createdBy: null });
    secrets.push(secret);
    await database.db.update(s.users).set({ role: 'viewer' }).where(eq(s.users.id, vera!.id));
    const write = await trpc('devices.delete', { id: 999999 }, { bearer: secret });
    expect(write.status).toBe(403);
  });

  it('audits mutations, sign-ins and token use; the table is append-only; no secret reaches it', async () => {
    await flushDenied({ all: true });
    const rows = await database.db.select().from(s.auditLog);
    const actions = new Set(rows.map((r) => `${r.action}:${r.outcome}`));
    for (const expected of ['auth.login:ok', 'auth.login:denied', 'devices.create:ok', 'devices.create:denied', 'tokens.create:ok', 'tokens.revoke:ok', 'token.use:ok', 'token.use:denied', 'users.create:ok', 'auth.logout:ok']) {
      expect(actions, expected).toContain(expected);
    }
    const created = rows.find((r) => r.action === 'devices.create' && r.outcome === 'ok' && r.tokenId !== null)!;
    expect(created).toMatchObject({ actor: 'otto', objectType: 'device', address: '10.0.0.1' });
    expect((created.after as { name: string }).name).toBe('token-probe-1');
    const failed = rows.find((r) => r.action === 'auth.login' && r.outcome === 'denied' && r.actor === 'nobody');
    expect(failed).toBeDefined();

    const everything = JSON.stringify(rows) + JSON.stringify(await database.db.select().from(s.changeLog));
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/plnm_[A-Za-z0-9_-]{43}/);
    expect(everything).not.toMatch(/scrypt\$/);

    await expect(database.pool.query('UPDATE audit_log SET actor = $1', ['someone else'])).rejects.toThrow(/append-only/);
    await expect(database.pool.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(database.pool.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    // No API edits it either: the router has only `list`.
    expect(Object.keys(appRouter._def.procedures).filter((path) => path.startsWith('audit.'))).toEqual(['audit.list']);
  });

  it('admins search the audit trail; others cannot', async () => {
    const search = await trpc('audit.list', { search: 'cage-probe', limit: 10 }, { method: 'GET', cookie: adminCookie });
    expect(search.status).toBe(200);
    expect((data(search) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    const operator = await login('otto', OPERATOR_PASSWORD, '10.8.0.1');
    expect((await trpc('audit.list', {}, { method: 'GET', cookie: operator })).status).toBe(403);
  });

  it('refuses oversized bodies and never returns SQL or stack traces', async () => {
    const huge = new Request(`${ORIGIN}/api/trpc/racks.create`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-plenum-csrf': '1' }, body: 'x'.repeat(MAX_BODY_BYTES + 1) });
    expect((await handleTrpcRequest(huge, database)).status).toBe(413);
    const bad = await trpc('racks.update', { id: otherRackId, changes: { name: 'A1-02' } }, { cookie: adminCookie });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toMatch(/SELECT|INSERT|UPDATE "|at .*\.ts:/);
  });

  it('builds a request context from a cookie for route handlers (CSV exports)', async () => {
    const ctx = await createRequestContext(new Request(`${ORIGIN}/api/export/racks.csv`, { headers: { cookie: adminCookie } }), null, database);
    expect(ctx.principal.username).toBe('root');
    const anonymous = await createRequestContext(new Request(`${ORIGIN}/api/export/racks.csv`), null, database);
    expect(anonymous.principal.kind).toBe('anonymous');
  });

  it('the first-admin set-up works once only', async () => {
    expect(await createFirstAdmin(database.db, { username: 'second', password: 'another long password' })).toBeUndefined();
    const setup = await trpc('auth.setup', { username: 'late', password: 'another long password' });
    expect(setup.status).toBe(403);
  });
});
