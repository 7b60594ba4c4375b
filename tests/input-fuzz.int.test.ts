/**
 * Hostile input against every procedure (issue 11, finding 6: "500 instead of a field error"). Walks appRouter, derives
 * hostile values from each zod input schema (NUL, lone surrogates, a 2 MB string, 2^31, 2^63, NaN, ±Infinity, deep
 * nesting) and calls each procedure as an all-zones admin against a real PostgreSQL with the demo data. No call may
 * end in INTERNAL_SERVER_ERROR (HTTP 500), and a rejected mutation must write nothing (fingerprint of every table but
 * the audit trail, before and after).
 */
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter, createCaller } from '../src/server/api/root';
import { createContext, type ProcedureMeta } from '../src/server/api/trpc';
import { createUser } from '../src/server/auth/accounts';
import { permissionsOf } from '../src/server/auth/permissions';
import type { Principal } from '../src/server/auth/principal';
import { seedIfEmpty } from '../src/server/db/seed';
import { createTestDatabase, type TestDatabase } from './db';

type ZodLike = { _zod: { def: Record<string, unknown> & { type: string } } };
type AnyProcedure = { _def: { type: 'query' | 'mutation' | 'subscription'; meta?: ProcedureMeta; inputs?: ZodLike[] } };
type Path = (string | number)[];
type Leaf = { path: Path; kind: 'string' | 'number' | 'other' };

const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>)
  .map(([path, p]) => ({ path, type: p._def.type, meta: p._def.meta, input: p._def.inputs?.[0] }))
  .sort((a, b) => a.path.localeCompare(b.path));

const def = (schema: ZodLike) => schema._zod.def;

/** A minimal value the schema accepts (or close to it): the base the hostile values are planted in. */
function sample(schema: ZodLike, depth = 0): unknown {
  const d = def(schema);
  if (depth > 8) return undefined;
  switch (d.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(d.shape as Record<string, ZodLike>)) {
        const t = def(child).type;
        if (t === 'optional' || t === 'default' || t === 'prefault') continue;
        out[key] = sample(child, depth + 1);
      }
      return out;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return sample(d.innerType as ZodLike, depth + 1);
    case 'pipe':
      return sample(d.in as ZodLike, depth + 1);
    case 'union':
      return sample((d.options as ZodLike[])[0]!, depth + 1);
    case 'intersection':
      return { ...(sample(d.left as ZodLike, depth + 1) as object), ...(sample(d.right as ZodLike, depth + 1) as object) };
    case 'array':
      return [];
    case 'record':
      return {};
    case 'string':
      return 'fuzz';
    case 'number':
    case 'int':
      return 1;
    case 'boolean':
      return true;
    case 'enum':
      return Object.values(d.entries as Record<string, unknown>)[0];
    case 'literal':
      return (d.values as unknown[])[0];
    case 'date':
      return new Date();
    case 'lazy':
      return sample((d.getter as () => ZodLike)(), depth + 1);
    default:
      return undefined;
  }
}

/** Every leaf of the schema a value can be planted at (object keys, array elements, union branches). */
function leaves(schema: ZodLike, path: Path = [], depth = 0, out: Leaf[] = []): Leaf[] {
  if (depth > 8) return out;
  const d = def(schema);
  switch (d.type) {
    case 'object':
      for (const [key, child] of Object.entries(d.shape as Record<string, ZodLike>)) leaves(child, [...path, key], depth + 1, out);
      return out;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return leaves(d.innerType as ZodLike, path, depth + 1, out);
    case 'pipe':
      return leaves(d.in as ZodLike, path, depth + 1, out);
    case 'union':
      for (const option of d.options as ZodLike[]) leaves(option, path, depth + 1, out);
      return out;
    case 'intersection':
      leaves(d.left as ZodLike, path, depth + 1, out);
      return leaves(d.right as ZodLike, path, depth + 1, out);
    case 'array':
      return leaves(d.element as ZodLike, [...path, 0], depth + 1, out);
    case 'record':
      return leaves(d.valueType as ZodLike, [...path, 'fuzzKey'], depth + 1, out);
    case 'string':
      out.push({ path, kind: 'string' });
      return out;
    case 'number':
    case 'int':
      out.push({ path, kind: 'number' });
      return out;
    default:
      out.push({ path, kind: 'other' });
      return out;
  }
}

const HUGE = 'x'.repeat(2 * 1024 * 1024);
const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const HOSTILE: Record<Leaf['kind'], { label: string; value: unknown }[]> = {
  string: [
    { label: 'NUL', value: 'a\u0000b' },
    { label: 'lone surrogate', value: 'a\uD800b' },
    { label: '2 MB string', value: HUGE },
    { label: 'number 2^31', value: 2 ** 31 },
  ],
  number: [
    { label: '2^31', value: 2 ** 31 },
    { label: '2^63', value: 2 ** 63 },
    { label: '-2^31-1', value: -(2 ** 31) - 1 },
    { label: 'NaN', value: Number.NaN },
    { label: 'Infinity', value: Number.POSITIVE_INFINITY },
    { label: '1e308', value: 1e308 },
    { label: 'string with NUL', value: '1\u00002' },
  ],
  other: [
    { label: 'NUL string', value: '\u0000' },
    { label: 'number 2^63', value: 2 ** 63 },
  ],
};

function planted(base: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = (typeof head === 'number' ? [...(Array.isArray(base) ? base : [])] : { ...(base && typeof base === 'object' ? base : {}) }) as Record<string | number, unknown>;
  container[head!] = planted(container[head!], rest, value);
  return container;
}

let database: TestDatabase;
let admin: Principal;

/** Rows and the newest xmin of every table but the audit trail: any insert, update or delete changes it. */
async function fingerprint(): Promise<string> {
  const tables = await database.pool.query<{ t: string }>(
    `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('audit_log') AND tablename NOT LIKE 'telemetry\\_samples\\_p%' AND tablename NOT LIKE 'telemetry\\_rollup\\_%' ORDER BY tablename`,
  );
  const sql = tables.rows.map((r) => `SELECT '${r.t}' AS t, count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text AS f FROM ${r.t}`).join(' UNION ALL ');
  const rows = await database.pool.query<{ t: string; f: string }>(sql);
  return rows.rows.map((r) => `${r.t}=${r.f}`).join(',');
}

async function call(path: string, type: string, input: unknown): Promise<{ ok: true } | { ok: false; code: string; message: string }> {
  const caller = createCaller(createContext(database, admin)) as unknown as Record<string, unknown>;
  let target: unknown = caller;
  for (const segment of path.split('.')) target = (target as Record<string, unknown>)[segment];
  try {
    const result = await (target as (input: unknown) => Promise<unknown>)(input);
    if (type === 'subscription' && result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      await (result as AsyncIterable<unknown>)[Symbol.asyncIterator]().return?.();
    }
    return { ok: true };
  } catch (error) {
    if (error instanceof TRPCError) return { ok: false, code: error.code, message: error.message };
    return { ok: false, code: 'INTERNAL_SERVER_ERROR', message: `not a TRPCError: ${String(error)}` };
  }
}

/** Procedures left out, with the reason (they act on the process, not on input the database stores). */
const SKIPPED: Record<string, string> = {
  'simulator.start': 'starts simulator servers and timers in this process',
  'simulator.stop': 'stops the simulator of this process',
};

describe('hostile input fuzz (every procedure of appRouter)', () => {
  beforeAll(async () => {
    database = await createTestDatabase();
    await seedIfEmpty(database.db, 'demo');
    const user = await createUser(database.db, { username: 'fuzz-admin', role: 'admin', password: 'fuzz admin password', allZones: true, zoneIds: [] });
    admin = { kind: 'session', userId: user.id, username: 'fuzz-admin', role: 'admin', permissions: permissionsOf('admin'), allZones: true, zoneIds: new Set(), tokenId: null, sessionHash: null };
  }, 120_000);
  afterAll(() => database?.drop());

  it('never answers 500, and a rejected mutation writes nothing', async () => {
    let calls = 0;
    const serverErrors: string[] = [];
    const wrote: string[] = [];
    for (const procedure of procedures) {
      if (SKIPPED[procedure.path] || !procedure.input) continue;
      const base = procedure.meta?.example ?? sample(procedure.input);
      const cases: { label: string; input: unknown }[] = [
        { label: 'deep nesting (500 levels) as the input', input: deep(500) },
        { label: 'NUL-named field', input: { ...(base as object), 'x\u0000': 1 } },
      ];
      for (const leaf of leaves(procedure.input)) {
        for (const hostile of HOSTILE[leaf.kind]) cases.push({ label: `${leaf.path.join('.') || '(input)'} = ${hostile.label}`, input: planted(base, leaf.path, hostile.value) });
        cases.push({ label: `${leaf.path.join('.')} = deep nesting`, input: planted(base, leaf.path, deep(100)) });
      }
      for (const c of cases) {
        const before = procedure.type === 'mutation' ? await fingerprint() : '';
        const result = await call(procedure.path, procedure.type, c.input);
        calls++;
        if (!result.ok && result.code === 'INTERNAL_SERVER_ERROR') serverErrors.push(`${procedure.path} with ${c.label}: ${result.message}`);
        if (!result.ok && procedure.type === 'mutation' && (await fingerprint()) !== before) wrote.push(`${procedure.path} with ${c.label} (${result.code})`);
      }
    }
    console.log(`[fuzz] ${calls} calls over ${procedures.length - Object.keys(SKIPPED).length} procedures; ${serverErrors.length} answered 500; ${wrote.length} rejected calls wrote`);
    expect(calls).toBeGreaterThan(500);
    expect(serverErrors).toEqual([]);
    expect(wrote).toEqual([]);
  }, 600_000);
});
