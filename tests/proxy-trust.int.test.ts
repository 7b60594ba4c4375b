/**
 * X-Forwarded-Host / X-Forwarded-Proto are believed only with PLENUM_TRUST_PROXY=1 (issue 11, finding 6): without it a
 * cross-site page cannot pass the CSRF check by naming its own host in X-Forwarded-Host, and the scheme (Secure cookie)
 * is the one the server really received. Through the real tRPC HTTP handler and PostgreSQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handleTrpcRequest } from '../src/server/api/http';
import { createTestDatabase, type TestDatabase } from './db';

let database: TestDatabase;
const previous = process.env.PLENUM_TRUST_PROXY;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});
afterEach(() => {
  if (previous === undefined) delete process.env.PLENUM_TRUST_PROXY;
  else process.env.PLENUM_TRUST_PROXY = previous;
});

async function logout(headers: Record<string, string>) {
  const response = await handleTrpcRequest(
    new Request('http://plenum.test/api/trpc/auth.logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json', host: 'plenum.test', 'x-plenum-csrf': '1', ...headers },
      body: JSON.stringify({ json: null }),
    }),
    database,
  );
  return { status: response.status, cookie: response.headers.get('set-cookie'), body: await response.text() };
}

describe('proxy trust', () => {
  it('without PLENUM_TRUST_PROXY, X-Forwarded-Host cannot make a cross-site request look same-site', async () => {
    delete process.env.PLENUM_TRUST_PROXY;
    const forged = await logout({ origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' });
    expect(forged.status).toBe(403);
    expect(forged.body).toMatch(/cross-site request refused/);
    expect((await logout({ origin: 'http://plenum.test' })).status).toBe(200);
  });

  it('behind a trusted proxy, X-Forwarded-Host is the origin the browser used', async () => {
    process.env.PLENUM_TRUST_PROXY = '1';
    expect((await logout({ origin: 'https://plenum.example.com', 'x-forwarded-host': 'plenum.example.com' })).status).toBe(200);
    expect((await logout({ origin: 'https://evil.example', 'x-forwarded-host': 'plenum.example.com' })).status).toBe(403);
  });

  it('the session cookie is Secure only over HTTPS: X-Forwarded-Proto counts only from a trusted proxy', async () => {
    delete process.env.PLENUM_TRUST_PROXY;
    const untrusted = await logout({ origin: 'http://plenum.test', 'x-forwarded-proto': 'https' });
    expect(untrusted.cookie).toMatch(/^plenum_session=;/);
    expect(untrusted.cookie).not.toMatch(/Secure/);
    process.env.PLENUM_TRUST_PROXY = '1';
    const trusted = await logout({ origin: 'https://plenum.test', 'x-forwarded-proto': 'https' });
    expect(trusted.cookie).toMatch(/Secure/);
  });
});
