import { TRPCError } from '@trpc/server';
import { ZodError } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createCaller } from '../src/server/api/root';
import { createContext, type ProcedureMeta } from '../src/server/api/trpc';
import { createUser } from '../src/server/auth/accounts';
import { type Permission, permissionsOf, ROLES, type Role } from '../src/server/auth/permissions';
import { ANONYMOUS, type Principal } from '../src/server/auth/principal';
import { createTestDatabase, type TestDatabase } from './db';

/**
 * The permission matrix, generated from the router: every procedure of appRouter must declare a permission, and is
 * called as anonymous, as each role that lacks the permission (refused: UNAUTHORIZED / FORBIDDEN) and as the least
 * role that holds it (not refused). Inputs come from `meta.example` (else `{}`), overridden below where a call needs
 * live data.
 */
type AnyProcedure = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: ProcedureMeta } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>)
  .map(([path, procedure]) => ({ path, type: procedure._def.type, meta: procedure._def.meta }))
  .sort((a, b) => a.path.localeCompare(b.path));

const declaredList = (meta?: ProcedureMeta): Permission[] | undefined => (meta?.permission === undefined ? undefined : typeof meta.permission === 'string' ? [meta.permission] : [...meta.permission]);
const declared = procedures.filter((p) => declaredList(p.meta) !== undefined);

const PASSWORD = 'matrix password 123';
const userIds: Partial<Record<Role, number>> = {};

function principalFor(role: Role): Principal {
  return { kind: 'session', userId: userIds[role]!, username: `matrix-${role}`, role, permissions: permissionsOf(role), allZones: true, zoneIds: new Set(), tokenId: null, sessionHash: null };
}

/** Inputs that depend on the test's own data. */
const overrides: Record<string, () => unknown> = {
  'auth.login': () => ({ username: 'matrix-viewer', password: PASSWORD }),
};

let database: TestDatabase;

async function call(principal: Principal, path: string, type: string, input: unknown): Promise<{ ok: true } | { ok: false; code: string; message: string; schema: boolean }> {
  const caller = createCaller(createContext(database, principal)) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
  const segments = path.split('.');
  let target: unknown = caller;
  for (const segment of segments) target = (target as Record<string, unknown>)[segment];
  try {
    const result = await (target as (input: unknown) => Promise<unknown>)(input);
    if (type === 'subscription' && result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      await (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof TRPCError) return { ok: false, code: error.code, message: error.message, schema: error.cause instanceof ZodError };
    throw error;
  }
}

const REFUSED = new Set(['UNAUTHORIZED', 'FORBIDDEN']);
const schemaRejected: string[] = [];

/** The least role holding one of the permissions (viewer before planner before operator before admin). */
function rightRole(needed: Permission[]): Role {
  const order: Role[] = ['viewer', 'planner', 'operator', 'admin'];
  return order.find((role) => needed.some((p) => p !== 'public' && permissionsOf(role).has(p)))!;
}

describe('permission matrix (generated from appRouter)', () => {
  beforeAll(async () => {
    database = await createTestDatabase();
    for (const role of ROLES) userIds[role] = (await createUser(database.db, { username: `matrix-${role}`, role, password: PASSWORD, allZones: true, zoneIds: [] })).id;
  });
  afterAll(() => database.drop());

  it('finds the procedures', () => {
    expect(procedures.length).toBeGreaterThan(20);
  });

  it('every procedure declares a permission', () => {
    const missing = procedures.filter((p) => declaredList(p.meta) === undefined).map((p) => `${p.path} (${p.type})`);
    expect(missing, `procedures without a declared permission (use readProcedure, operateProcedure, planProcedure, adminProcedure or anonymousProcedure): ${missing.join(', ')}`).toEqual([]);
  });

  it.each(declared.map((p) => [p.path, p] as const))('%s', async (_path, procedure) => {
    const needed = declaredList(procedure.meta)!;
    const input = overrides[procedure.path]?.() ?? procedure.meta?.example ?? {};
    if (needed.includes('public')) {
      const anonymous = await call(ANONYMOUS, procedure.path, procedure.type, input);
      expect(anonymous.ok || !REFUSED.has(anonymous.code), `${procedure.path} is public but refused anonymous: ${!anonymous.ok && anonymous.message}`).toBe(true);
      if (!anonymous.ok && anonymous.schema) schemaRejected.push(procedure.path);
      return;
    }
    const anonymous = await call(ANONYMOUS, procedure.path, procedure.type, input);
    expect(anonymous.ok ? 'allowed' : anonymous.code, `${procedure.path} as anonymous`).toBe('UNAUTHORIZED');
    for (const role of ROLES.filter((r) => !needed.some((p) => p !== 'public' && permissionsOf(r).has(p)))) {
      const refused = await call(principalFor(role), procedure.path, procedure.type, input);
      expect(refused.ok ? 'allowed' : refused.code, `${procedure.path} as ${role}`).toBe('FORBIDDEN');
    }
    const role = rightRole(needed);
    const allowed = await call(principalFor(role), procedure.path, procedure.type, input);
    expect(allowed.ok || !REFUSED.has(allowed.code), `${procedure.path} as ${role} was refused: ${!allowed.ok && allowed.message}`).toBe(true);
    // The example must pass input validation, so the allowed call really reached the procedure's body.
    if (!allowed.ok && allowed.schema) schemaRejected.push(procedure.path);
  });

  it('every procedure with a required input declares a schema-valid example (meta({ example }))', () => {
    expect(schemaRejected, `the input used for these procedures failed their schema: declare .meta({ example: … }): ${schemaRejected.join(', ')}`).toEqual([]);
  });
});
