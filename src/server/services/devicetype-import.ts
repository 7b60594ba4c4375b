/**
 * Import of NetBox devicetype-library files into `device_types`.
 *
 * The caller (CLI, UI) sends the files' contents; the server never reads the library from disk. Each file is parsed,
 * validated and mapped by the pure `src/domain/netbox-devicetype.ts`, then written in its own transaction, so one bad
 * file neither blocks nor half-writes the others. Per file the outcome is one of:
 * - imported: a new device type (its manufacturer created when missing);
 * - updated: a NetBox type with the same manufacturer + model whose file content changed (new content hash);
 * - skipped: already present with the same content hash, or present as a built-in/hand-made type (never overwritten);
 * - rejected: with `<file>: <field>: <reason>` for every problem; nothing of that file is written.
 */
import { and, count, eq, ne, sql } from 'drizzle-orm';
import { parse as parseYaml } from 'yaml';
import { ACCELERATORS } from '@/domain/accelerators';
import {
  createNetboxValidator,
  type DeviceType,
  formatImportIssue,
  type ImportIssue,
  type NetboxValidator,
  netboxFileKind,
  parseNetboxDeviceType,
} from '@/domain/netbox-devicetype';
import type { Db } from '../db/client';
import * as s from '../db/schema';
import type { InterfaceTemplate, PsuTemplate } from '../db/schema';
import { recordChange } from './changelog';
import componentsSchema from './netbox-schema/components.json';
import deviceTypeSchema from './netbox-schema/devicetype.json';
import generatedSchema from './netbox-schema/generated_schema.json';
import moduleTypeSchema from './netbox-schema/moduletype.json';
import reusableSchema from './netbox-schema/reusable.json';

export const DEVICE_TYPE_IMPORT_LIMITS = { maxFiles: 200, maxFileBytes: 512 * 1024, maxNameLength: 500 } as const;

export type DeviceTypeFile = { name: string; content: string };

export type FileIssue = { field: string; reason: string; line?: number };

export type DeviceTypeFileResult = {
  file: string;
  status: 'imported' | 'updated' | 'skipped' | 'rejected';
  /** One line: `imported`, `updated (content changed)`, `skipped (already present)`, `rejected: <file>: <field>: <reason>`. */
  message: string;
  identityKey?: string;
  deviceTypeId?: number;
  slug?: string;
  errors?: FileIssue[];
  /** What was accepted but not carried over (a PSU without a rating, a fibre-channel port, …). */
  warnings?: FileIssue[];
};

export type DeviceTypeImportResult = {
  files: DeviceTypeFileResult[];
  summary: { imported: number; updated: number; skipped: number; rejected: number };
};

let validator: NetboxValidator | undefined;

/** The library validator, built once per process from the vendored schema files. */
export function netboxValidator(): NetboxValidator {
  validator ??= createNetboxValidator([deviceTypeSchema, moduleTypeSchema, componentsSchema, generatedSchema, reusableSchema]);
  return validator;
}

/** A rejection carrying every problem of one file. */
class FileRejected extends Error {
  constructor(readonly issues: FileIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join('; '));
  }
}

const OUR_AIRFLOW = new Set<string>(s.airflow.enumValues);
const OUR_INTERFACE_KINDS = new Set<string>(s.interfaceKind.enumValues);

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

type MappedRow = Omit<typeof s.deviceTypes.$inferInsert, 'manufacturerId' | 'acceleratorModelId'> & { acceleratorModelName: string | null };

/**
 * Our row for a mapped library type, or the reasons it cannot be stored. `raw` is the parsed YAML, read for
 * `is_full_depth` because the library's default for a missing field is true.
 */
export function toDeviceTypeRow(type: DeviceType, raw: Record<string, unknown>): { row: MappedRow; warnings: FileIssue[] } {
  const errors: FileIssue[] = [];
  const warnings: FileIssue[] = [];
  if (!Number.isInteger(type.heightU)) {
    errors.push({ field: 'u_height', reason: `is ${type.heightU} U; Plenum stores whole rack units only (0-60)` });
  } else if (type.heightU < 0 || type.heightU > 60) {
    errors.push({ field: 'u_height', reason: `is ${type.heightU} U; Plenum stores 0-60 U` });
  }
  type Airflow = (typeof s.airflow.enumValues)[number];
  let airflow: Airflow | null = null;
  if (type.airflow !== null) {
    if (OUR_AIRFLOW.has(type.airflow)) airflow = type.airflow as Airflow;
    else warnings.push({ field: 'airflow', reason: `"${type.airflow}" has no Plenum equivalent (${[...OUR_AIRFLOW].join(', ')}); left empty` });
  }
  const psuTemplates: PsuTemplate[] = [];
  const unrated: string[] = [];
  for (const psu of type.psus) {
    if (psu.maximumDrawW !== null && psu.maximumDrawW > 0) {
      psuTemplates.push({ name: psu.name, maximumDrawW: Math.round(psu.maximumDrawW), ...(psu.allocatedDrawW !== null ? { allocatedDrawW: Math.round(psu.allocatedDrawW) } : {}) });
    } else unrated.push(psu.name);
  }
  if (unrated.length > 0) {
    warnings.push({
      field: 'power-ports',
      reason: `${unrated.length} power port(s) without maximum_draw (${unrated.slice(0, 4).join(', ')}${unrated.length > 4 ? ', …' : ''}) not added as PSU templates: Plenum cables a PSU by its rating`,
    });
  }
  const interfaceTemplates: InterfaceTemplate[] = [];
  const dropped = new Map<string, number>();
  for (const iface of type.interfaces) {
    if (OUR_INTERFACE_KINDS.has(iface.kind) && iface.speedGbps !== null && iface.speedGbps > 0) {
      interfaceTemplates.push({ name: iface.name, kind: iface.kind as InterfaceTemplate['kind'], speedGbps: iface.speedGbps });
    } else dropped.set(iface.type, (dropped.get(iface.type) ?? 0) + 1);
  }
  if (dropped.size > 0) {
    const total = [...dropped.values()].reduce((a, b) => a + b, 0);
    warnings.push({
      field: 'interfaces',
      reason: `${total} interface(s) not added as templates (${[...dropped].map(([t, n]) => `${n} × ${t}`).join(', ')}): Plenum models Ethernet, InfiniBand, NVLink and management ports with a known speed`,
    });
  }
  const nameplatePowerW = Math.round(type.nameplatePowerW ?? 0);
  const typicalPowerW = Math.round(type.typicalPowerW ?? 0);
  if (nameplatePowerW > 0 && typicalPowerW > nameplatePowerW) {
    errors.push({ field: 'power-ports', reason: `allocated_draw totals ${typicalPowerW} W, more than the maximum_draw total of ${nameplatePowerW} W` });
  }
  let acceleratorSlots = 0;
  let acceleratorModelName: string | null = null;
  const hint = type.accelerators.find((a) => a.catalogueId !== null);
  if (hint) {
    acceleratorSlots = hint.count;
    acceleratorModelName = ACCELERATORS.find((a) => a.id === hint.catalogueId)?.model ?? null;
    if (!acceleratorModelName) acceleratorSlots = 0;
  } else if (type.accelerators.length > 0) {
    const a = type.accelerators[0]!;
    warnings.push({ field: a.source, reason: `${a.count} × "${a.descriptor}" accelerators not matched to a known GPU model; accelerator slots left at 0` });
  }
  if (errors.length > 0) throw new FileRejected(errors);
  return {
    row: {
      model: type.model,
      slug: type.slug,
      partNumber: type.partNumber ?? '',
      kind: type.kind,
      uHeight: type.heightU,
      isFullDepth: raw.is_full_depth !== false,
      airflow,
      weightKg: type.weightKg ?? 0,
      nameplatePowerW,
      typicalPowerW,
      psuTemplates,
      interfaceTemplates,
      acceleratorSlots,
      acceleratorModelName,
      source: 'netbox',
      sourceHash: type.contentHash,
    },
    warnings,
  };
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The manufacturer with this name or slug (case-insensitive), created when missing. */
async function manufacturerId(tx: Tx, name: string): Promise<number> {
  const slug = slugify(name);
  if (!slug) throw new FileRejected([{ field: 'manufacturer', reason: `"${name}" gives an empty slug` }]);
  const find = () =>
    tx
      .select({ id: s.manufacturers.id })
      .from(s.manufacturers)
      .where(sql`lower(${s.manufacturers.name}) = lower(${name.trim()}) OR ${s.manufacturers.slug} = ${slug}`)
      .limit(1);
  const [found] = await find();
  if (found) return found.id;
  await tx.insert(s.manufacturers).values({ name: name.trim(), slug }).onConflictDoNothing();
  const [created] = await find();
  if (!created) throw new FileRejected([{ field: 'manufacturer', reason: `"${name}" could not be created` }]);
  return created.id;
}

const FIELD_OF_COLUMN: Record<string, string> = { slug: 'slug', model: 'model', u_height: 'u_height', weight_kg: 'weight', nameplate_power_w: 'power-ports', typical_power_w: 'power-ports' };

/** Writes one mapped type; decides created / updated / skipped against what is stored. */
async function writeType(
  tx: Tx,
  type: DeviceType,
  mapped: MappedRow,
  actor: string,
): Promise<{ status: 'imported' | 'updated' | 'skipped'; id: number; note?: string }> {
  const makerId = await manufacturerId(tx, type.manufacturer);
  const { acceleratorModelName, ...row } = mapped;
  let acceleratorModelId: number | null = null;
  if (acceleratorModelName) {
    const [model] = await tx.select({ id: s.acceleratorModels.id }).from(s.acceleratorModels).where(eq(s.acceleratorModels.name, acceleratorModelName));
    acceleratorModelId = model?.id ?? null;
  }
  const values = { ...row, manufacturerId: makerId, acceleratorModelId, acceleratorSlots: acceleratorModelId ? row.acceleratorSlots : 0 };

  const [existing] = await tx
    .select()
    .from(s.deviceTypes)
    .where(and(eq(s.deviceTypes.manufacturerId, makerId), sql`lower(${s.deviceTypes.model}) = lower(${type.model.trim()})`))
    .for('update');
  const [slugHolder] = await tx
    .select({ id: s.deviceTypes.id, model: s.deviceTypes.model })
    .from(s.deviceTypes)
    .where(and(eq(s.deviceTypes.slug, row.slug), existing ? ne(s.deviceTypes.id, existing.id) : undefined));
  if (slugHolder) throw new FileRejected([{ field: 'slug', reason: `"${row.slug}" is already used by device type "${slugHolder.model}"` }]);

  if (!existing) {
    const [created] = await tx.insert(s.deviceTypes).values(values).returning();
    await recordChange(tx, { actor, action: 'create', objectType: 'device-type', objectId: created!.id, after: created });
    return { status: 'imported', id: created!.id };
  }
  if (existing.source !== 'netbox') {
    return { status: 'skipped', id: existing.id, note: `already present as a ${existing.source} type "${existing.slug}", not overwritten` };
  }
  if (existing.sourceHash === row.sourceHash) return { status: 'skipped', id: existing.id };

  // Placed devices copy height, depth and weight from their type; those may not change under them.
  const [{ n: placed }] = (await tx.select({ n: count() }).from(s.devices).where(eq(s.devices.deviceTypeId, existing.id))) as [{ n: number }];
  if (placed > 0) {
    const changed: FileIssue[] = [];
    if (existing.uHeight !== values.uHeight) changed.push({ field: 'u_height', reason: `changes from ${existing.uHeight} to ${values.uHeight} U but ${placed} device(s) of this type exist` });
    if (existing.isFullDepth !== values.isFullDepth) changed.push({ field: 'is_full_depth', reason: `changes to ${values.isFullDepth} but ${placed} device(s) of this type exist` });
    if (Math.abs(existing.weightKg - (values.weightKg ?? 0)) > 0.001) changed.push({ field: 'weight', reason: `changes from ${existing.weightKg} to ${values.weightKg} kg but ${placed} device(s) of this type exist` });
    if (changed.length > 0) throw new FileRejected(changed);
  }
  const [updated] = await tx.update(s.deviceTypes).set(values).where(eq(s.deviceTypes.id, existing.id)).returning();
  await recordChange(tx, { actor, action: 'update', objectType: 'device-type', objectId: existing.id, before: existing, after: updated });
  return { status: 'updated', id: existing.id };
}

function pgConstraintIssue(error: unknown): FileIssue | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const pg = current as { code?: string; constraint?: string; column?: string; message?: string; cause?: unknown };
    if (typeof pg.code === 'string' && pg.code.startsWith('23')) {
      if (pg.constraint === 'device_types_slug_unique') return { field: 'slug', reason: 'is already used by another device type' };
      if (pg.constraint === 'device_types_manufacturer_model') return { field: 'model', reason: 'was imported at the same time by another request; import again' };
      const column = pg.column ? (FIELD_OF_COLUMN[pg.column] ?? pg.column) : '(file)';
      return { field: column, reason: pg.message ?? 'violates a data rule' };
    }
    current = pg.cause;
  }
  return undefined;
}

const rejected = (file: string, errors: FileIssue[]): DeviceTypeFileResult => ({
  file,
  status: 'rejected',
  errors,
  message: `rejected: ${errors.map((e) => formatImportIssue({ file, ...e })).join('; ')}`,
});

/**
 * Imports device-type files, each in its own transaction. Files whose path says module-types/ are rejected (module
 * types have no table yet). Two files in one call naming the same manufacturer + model: the second is rejected.
 */
export async function importDeviceTypeFiles(db: Db, files: DeviceTypeFile[], options: { actor: string }): Promise<DeviceTypeImportResult> {
  const results: DeviceTypeFileResult[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const name = file.name;
    if (!/\.ya?ml$/i.test(name)) {
      results.push(rejected(name, [{ field: '(file)', reason: 'is not a .yaml or .yml file' }]));
      continue;
    }
    if (netboxFileKind(name) === 'module-type') {
      results.push(rejected(name, [{ field: '(file)', reason: 'is a module type (module-types/); only device types are imported' }]));
      continue;
    }
    const parsed = parseNetboxDeviceType(name, file.content, netboxValidator());
    if (!parsed.ok) {
      results.push(rejected(name, parsed.errors.map(({ field, reason, line }: ImportIssue) => ({ field, reason, ...(line ? { line } : {}) }))));
      continue;
    }
    const type = parsed.deviceType;
    const warnings: FileIssue[] = parsed.warnings.map(({ field, reason, line }) => ({ field, reason, ...(line ? { line } : {}) }));
    const previous = seen.get(type.identityKey);
    if (previous !== undefined) {
      results.push(rejected(name, [{ field: 'model', reason: `"${type.manufacturer} ${type.model}" is already defined by ${previous} in this import` }]));
      continue;
    }
    seen.set(type.identityKey, name);
    try {
      const mapped = toDeviceTypeRow(type, parseYaml(file.content) as Record<string, unknown>);
      warnings.push(...mapped.warnings);
      const outcome = await db.transaction((tx) => writeType(tx, type, mapped.row, options.actor));
      const message =
        outcome.status === 'imported' ? 'imported' : outcome.status === 'updated' ? 'updated (content changed)' : `skipped (${outcome.note ?? 'already present'})`;
      results.push({
        file: name,
        status: outcome.status,
        message,
        identityKey: type.identityKey,
        deviceTypeId: outcome.id,
        slug: type.slug,
        ...(warnings.length ? { warnings } : {}),
      });
    } catch (error) {
      if (error instanceof FileRejected) {
        results.push(rejected(name, error.issues));
        continue;
      }
      const issue = pgConstraintIssue(error);
      if (!issue) throw error;
      results.push(rejected(name, [issue]));
    }
  }
  const summary = { imported: 0, updated: 0, skipped: 0, rejected: 0 };
  for (const r of results) summary[r.status]++;
  return { files: results, summary };
}
