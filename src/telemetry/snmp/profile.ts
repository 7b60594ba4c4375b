/**
 * SNMP device profiles: which OIDs a kind of device answers and which catalogue metric each one is. A profile is data
 * (one YAML file per MIB or vendor in `profiles/`, format in docs/FACILITY-COLLECTORS.md); this module validates it,
 * says which OIDs to ask for, and turns the answers (varbinds: OID → value) into `plenum_<metric>` samples.
 *
 * Pure: no sockets here. The collector (server/services/telemetry/collectors/snmp.ts) does the GETs and walks.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { RawSample } from '../samples';

/** A numeric OID without a leading dot: `1.3.6.1.2.1.33.1.2.4.0`. YAML may write it with a leading dot. */
const oid = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim().replace(/^\./, ''))
  .pipe(z.string().regex(/^\d+(\.\d+)+$/, 'must be a numeric OID like 1.3.6.1.2.1.33.1.2.4.0'));

const metricName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a catalogue metric name like ups_load_w');
const labelName = z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a label name like outlet');
const numberOrList = z.union([z.number(), z.array(z.number()).min(1)]);

/** Maps raw integer codes to readings: `{ "5": 1 }` with `enum_default: 0` makes "on battery" a 0/1 reading. */
const enumMap = z.record(z.string().regex(/^-?\d+$/, 'enum keys are the integer codes the device sends'), z.number());

/** What every reading shares: the metric, the arithmetic, and values to ignore. */
const readingFields = {
  metric: metricName,
  /** Multiplier applied to the raw value (0.1 for tenths, 60 for minutes → seconds). */
  scale: z.number().finite().default(1),
  enum: enumMap.optional(),
  /** Reading for codes not in `enum`; without it such a code gives no reading. */
  enum_default: z.number().optional(),
  /** Raw values meaning "not available" (Sentry4 and Raritan write -1): no reading. */
  ignore: z.array(z.number()).default([]),
};

const scalarSchema = z.object({
  oid,
  ...readingFields,
  /** When true, an agent that lacks this OID (noSuchObject) is not an error: the reading is just absent. */
  optional: z.boolean().default(false),
});

/** A column of the same table (or of another table with the index built from named index parts). */
const rowLookup = z.object({
  oid,
  /** Index parts, by name, that make the looked-up row's index; default: the row's whole index. */
  index: z.array(z.string()).min(1).optional(),
});

const columnSchema = z.object({
  oid,
  ...readingFields,
  /** Only rows whose index parts have these values (`{ sensor_type: 5 }`). */
  where: z.record(z.string(), numberOrList).optional(),
  /** Only rows where another column of the row holds one of these values (ENTITY-SENSOR-MIB's sensor type). */
  where_column: rowLookup.extend({ in: z.array(z.number()).min(1) }).optional(),
  /** Divide by 10^n, n read from this column (Raritan `*SensorDecimalDigits`, `entPhySensorPrecision`). */
  decimals: rowLookup.optional(),
  /** Multiply by 10^(3·(n−9)), n read from this column (ENTITY-SENSOR-MIB `entPhySensorScale`: 9 = units). */
  si_scale: rowLookup.optional(),
  /** Fold the rows into one reading without row labels (`sum` of outlet power gives the PDU total). */
  aggregate: z.enum(['sum', 'max', 'min', 'avg']).optional(),
});

const tableSchema = z.object({
  /** Names of the index sub-identifiers, in order; the last one takes any remaining sub-identifiers. */
  index: z.array(labelName).min(1).default(['index']),
  /** Labels from index parts: label name → template naming index parts in braces (`{ phase: "L{phase}" }`). */
  labels: z.record(labelName, z.string().regex(/\{[a-z_][a-z0-9_]*\}/, 'must name an index part in braces, like {outlet}')).default({}),
  /** Labels from columns of the row (an outlet's name; a phase number with `prefix: L`). */
  label_columns: z.array(rowLookup.extend({ label: labelName, prefix: z.string().max(16).default('') })).default([]),
  columns: z.array(columnSchema).min(1),
});

const TEMPLATE_PART = /\{([a-z_][a-z0-9_]*)\}/g;

function templateParts(template: string): string[] {
  return [...template.matchAll(TEMPLATE_PART)].map((m) => m[1]!);
}

export const PROFILE_KINDS = ['ups', 'pdu', 'rack-pdu', 'cooling', 'meter', 'sensor'] as const;

export const snmpProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
    description: z.string().min(1),
    kind: z.enum(PROFILE_KINDS),
    scalars: z.array(scalarSchema).default([]),
    tables: z.array(tableSchema).default([]),
  })
  .superRefine((p, ctx) => {
    if (p.scalars.length === 0 && p.tables.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a profile needs at least one scalar or table', path: ['scalars'] });
    }
    p.tables.forEach((t, ti) => {
      const parts = new Set(t.index);
      const checkParts = (names: readonly string[] | undefined, where: (string | number)[]) => {
        for (const n of names ?? []) {
          if (!parts.has(n)) ctx.addIssue({ code: 'custom', message: `"${n}" is not one of the index parts ${t.index.join(', ')}`, path: where });
        }
      };
      for (const [label, template] of Object.entries(t.labels)) checkParts(templateParts(template), ['tables', ti, 'labels', label]);
      t.label_columns.forEach((l, li) => {
        checkParts(l.index, ['tables', ti, 'label_columns', li, 'index']);
      });
      t.columns.forEach((c, ci) => {
        checkParts(Object.keys(c.where ?? {}), ['tables', ti, 'columns', ci, 'where']);
        checkParts(c.where_column?.index, ['tables', ti, 'columns', ci, 'where_column', 'index']);
        checkParts(c.decimals?.index, ['tables', ti, 'columns', ci, 'decimals', 'index']);
        checkParts(c.si_scale?.index, ['tables', ti, 'columns', ci, 'si_scale', 'index']);
      });
    });
  });

export type SnmpProfile = z.output<typeof snmpProfileSchema>;
export type SnmpProfileInput = z.input<typeof snmpProfileSchema>;
type Table = SnmpProfile['tables'][number];
type Column = Table['columns'][number];
type Reading = z.output<z.ZodObject<typeof readingFields>>;

/** A varbind value as the collector hands it over: integers and gauges as numbers, octet strings as text. */
export type VarbindValue = number | string;
export type Varbinds = ReadonlyMap<string, VarbindValue>;

/** Parses one profile's YAML text; throws an Error naming the file, the field and the reason. */
export function parseSnmpProfile(yamlText: string, source = 'profile'): SnmpProfile {
  let data: unknown;
  try {
    data = parseYaml(yamlText);
  } catch (e) {
    throw new Error(`${source}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const r = snmpProfileSchema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new Error(`${source}: ${first.path.join('.') || '(top level)'}: ${first.message}`);
  }
  return r.data;
}

/** The shipped profiles' folder. Looked up from the working directory (the repository root when Plenum runs). */
export const SHIPPED_PROFILE_DIR = path.resolve(process.cwd(), 'src/telemetry/snmp/profiles');

/**
 * Loads every `*.yaml` profile from the shipped folder and from `extraDir` (the `PLENUM_SNMP_PROFILES` folder by
 * default, where sites put their own). A profile in `extraDir` with a shipped profile's name replaces it. A file that
 * does not validate is left out and its problem (file, field, reason) listed in `problems`.
 */
export function loadSnmpProfilesWithProblems(extraDir: string | undefined = process.env.PLENUM_SNMP_PROFILES): { profiles: Map<string, SnmpProfile>; problems: string[] } {
  const profiles = new Map<string, SnmpProfile>();
  const problems: string[] = [];
  for (const dir of [SHIPPED_PROFILE_DIR, extraDir]) {
    if (!dir || !existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort()) {
      try {
        const profile = parseSnmpProfile(readFileSync(path.join(dir, file), 'utf8'), file);
        profiles.set(profile.name, profile);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  return { profiles, problems };
}

/** The profiles that load (see loadSnmpProfilesWithProblems). */
export function loadSnmpProfiles(extraDir: string | undefined = process.env.PLENUM_SNMP_PROFILES): Map<string, SnmpProfile> {
  return loadSnmpProfilesWithProblems(extraDir).profiles;
}

let cached: ReturnType<typeof loadSnmpProfilesWithProblems> | undefined;

/** The loaded profiles, read once per process. */
export function snmpProfiles(): Map<string, SnmpProfile> {
  cached ??= loadSnmpProfilesWithProblems();
  return cached.profiles;
}

/** Profile files of this process that did not load, each as "file: field: reason". */
export function snmpProfileProblems(): readonly string[] {
  snmpProfiles();
  return cached!.problems;
}

/**
 * What to ask the agent for: scalars by GET, table columns by walking each column's subtree. `walk` lists every column
 * once; `tables` groups them by the table that first needs them, so a collector can walk a table's columns together.
 */
export interface ProfileRequests {
  get: { oid: string; optional: boolean }[];
  walk: string[];
  tables: string[][];
}

export function profileRequests(profile: SnmpProfile): ProfileRequests {
  const walk = new Set<string>();
  const tables: string[][] = [];
  for (const t of profile.tables) {
    const group: string[] = [];
    const need = (oid: string) => {
      if (walk.has(oid)) return;
      walk.add(oid);
      group.push(oid);
    };
    for (const l of t.label_columns) need(l.oid);
    for (const c of t.columns) {
      need(c.oid);
      if (c.where_column) need(c.where_column.oid);
      if (c.decimals) need(c.decimals.oid);
      if (c.si_scale) need(c.si_scale.oid);
    }
    if (group.length > 0) tables.push(group);
  }
  return { get: profile.scalars.map((s) => ({ oid: s.oid, optional: s.optional })), walk: [...walk], tables };
}

/** Raw value → reading, or undefined for "no reading" (ignored value, unknown enum code, text). */
function readingOf(r: Reading, raw: VarbindValue | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = typeof raw === 'number' ? raw : Number(raw.trim());
  if (!Number.isFinite(v) || (typeof raw === 'string' && raw.trim() === '')) return undefined;
  if (r.ignore.includes(v)) return undefined;
  if (r.enum) {
    const mapped = r.enum[String(v)];
    if (mapped !== undefined) return mapped;
    return r.enum_default;
  }
  return roundNoise(v * r.scale);
}

/**
 * The inverse of a reading (reading → the raw integer a device serves at the OID): reading ÷ scale, rounded as the
 * device rounds; for an enum, the code that maps to the reading (`code`, the raw value the caller knows, wins when it
 * maps to the same reading: normal(3) and none(2) both read "not on battery"). Undefined when no code gives the
 * reading. The simulator's SNMP agent writes its values with it, so both directions follow one profile.
 */
export function rawValueOf(r: Pick<Reading, 'scale' | 'enum' | 'enum_default'>, reading: number, code?: number): number | undefined {
  if (!Number.isFinite(reading)) return undefined;
  if (r.enum) {
    const mapsTo = (c: number) => r.enum![String(c)] ?? r.enum_default;
    if (code !== undefined && mapsTo(code) === reading) return code;
    const found = Object.entries(r.enum).find(([, v]) => v === reading);
    return found ? Number(found[0]) : undefined;
  }
  return Math.round(reading / r.scale);
}

/** Removes binary floating-point noise (2155 × 0.1 = 215.5, not 215.50000000000003). */
function roundNoise(v: number): number {
  if (Number.isInteger(v) || Math.abs(v) >= 1e9) return v;
  return Math.round(v * 1e9) / 1e9;
}

/** Splits a row index into named parts; the last part takes the rest (`1.2.5` with [pdu, inlet, type]). */
function indexParts(names: readonly string[], index: string): Record<string, string> | undefined {
  const subs = index.split('.');
  if (subs.length < names.length) return undefined;
  const parts: Record<string, string> = {};
  names.forEach((n, i) => {
    parts[n] = i === names.length - 1 ? subs.slice(i).join('.') : subs[i]!;
  });
  return parts;
}

function lookup(varbinds: Varbinds, ref: { oid: string; index?: string[] | undefined }, rowIndex: string, parts: Record<string, string>) {
  const idx = ref.index ? ref.index.map((n) => parts[n]).join('.') : rowIndex;
  return varbinds.get(`${ref.oid}.${idx}`);
}

function matchesWhere(where: Record<string, number | number[]> | undefined, parts: Record<string, string>): boolean {
  if (!where) return true;
  for (const [part, want] of Object.entries(where)) {
    const have = Number(parts[part]);
    if (Array.isArray(want) ? !want.includes(have) : want !== have) return false;
  }
  return true;
}

/** The rows of one column: index suffix → value, in the order the agent returned them. */
function columnRows(varbinds: Varbinds, columnOid: string): [string, VarbindValue][] {
  const prefix = `${columnOid}.`;
  const rows: [string, VarbindValue][] = [];
  for (const [o, v] of varbinds) if (o.startsWith(prefix)) rows.push([o.slice(prefix.length), v]);
  return rows;
}

function columnReading(c: Column, raw: VarbindValue, varbinds: Varbinds, rowIndex: string, parts: Record<string, string>): number | undefined {
  if (!matchesWhere(c.where, parts)) return undefined;
  if (c.where_column) {
    const v = Number(lookup(varbinds, c.where_column, rowIndex, parts));
    if (!c.where_column.in.includes(v)) return undefined;
  }
  let v = readingOf(c, raw);
  if (v === undefined) return undefined;
  if (c.decimals) {
    const d = Number(lookup(varbinds, c.decimals, rowIndex, parts));
    if (!Number.isInteger(d)) return undefined; // without its precision the number means nothing
    v = roundNoise(v / 10 ** d);
  }
  if (c.si_scale) {
    const s = Number(lookup(varbinds, c.si_scale, rowIndex, parts));
    if (!Number.isInteger(s) || s < 1 || s > 17) return undefined;
    v = roundNoise(v * 10 ** (3 * (s - 9)));
  }
  return v;
}

function fold(kind: NonNullable<Column['aggregate']>, values: number[]): number {
  switch (kind) {
    case 'sum':
      return roundNoise(values.reduce((a, b) => a + b, 0));
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'avg':
      return roundNoise(values.reduce((a, b) => a + b, 0) / values.length);
  }
}

export interface SampleContext {
  timestampMs: number;
  /** Labels every sample gets: `device` and `site` from the facility object. */
  labels: Record<string, string>;
}

/**
 * Turns the agent's answers into `plenum_<metric>` samples. Scalars missing from `varbinds` give no sample (the
 * collector has already decided whether that is an error); table rows come from whatever the walks returned.
 */
export function samplesFromVarbinds(profile: SnmpProfile, varbinds: Varbinds, ctx: SampleContext): RawSample[] {
  const out: RawSample[] = [];
  const push = (metric: string, labels: Record<string, string>, value: number) =>
    out.push({ name: `plenum_${metric}`, labels: { ...ctx.labels, ...labels }, value, timestampMs: ctx.timestampMs });

  for (const s of profile.scalars) {
    const v = readingOf(s, varbinds.get(s.oid));
    if (v !== undefined) push(s.metric, {}, v);
  }
  for (const t of profile.tables) {
    for (const c of t.columns) {
      const folded: number[] = [];
      for (const [rowIndex, raw] of columnRows(varbinds, c.oid)) {
        const parts = indexParts(t.index, rowIndex);
        if (!parts) continue;
        const v = columnReading(c, raw, varbinds, rowIndex, parts);
        if (v === undefined) continue;
        if (c.aggregate) {
          folded.push(v);
          continue;
        }
        const labels: Record<string, string> = {};
        for (const [label, template] of Object.entries(t.labels)) labels[label] = template.replace(TEMPLATE_PART, (_, n: string) => parts[n]!);
        for (const l of t.label_columns) {
          const text = lookup(varbinds, l, rowIndex, parts);
          if (text !== undefined && String(text).trim() !== '') labels[l.label] = `${l.prefix}${String(text).trim()}`;
        }
        push(c.metric, labels, v);
      }
      if (c.aggregate && folded.length > 0) push(c.metric, {}, fold(c.aggregate, folded));
    }
  }
  return out;
}
