/**
 * Import of the NetBox community devicetype-library (https://github.com/netbox-community/devicetype-library).
 *
 * Pure: the caller reads the files and the library's JSON schema files and passes their contents in.
 *
 * Pipeline per file: YAML (1.2 core schema, duplicate keys are errors) → the library's own JSON schema (draft 2020-12,
 * validated with ajv) → the checks the library's CI and NetBox itself apply beyond the schema (unique component names,
 * weight with a unit, outlets naming an existing power port, …) → our DeviceType / ModuleType shape.
 * Every problem is reported as `<file>: <field>: <reason>` with the YAML line where it is known.
 *
 * Interpretation rules (documented here because they are guesses, made conservatively):
 * - nameplatePowerW is the sum of the power ports' maximum_draw (NetBox's own convention when it totals a device's
 *   draw). Where a library entry gives each PSU's rating, the sum over redundant PSUs overstates the real maximum; it
 *   is an upper bound. null when no power port states a maximum_draw (most servers model PSUs as module bays).
 * - typicalPowerW is the sum of allocated_draw, null when none is given.
 * - kind: see inferKind below; `kindReason` says which rule decided.
 * - interfaces: kind and speed from the NetBox type slug; management by mgmt_only or a management-style name.
 *   NVIDIA/Mellanox InfiniBand switch families (Quantum QM87xx/QM97xx, Switch-IB SB7xxx, CS7/CS8 directors) type
 *   their ports by cage in the library (e.g. 400gbase-x-osfp on the QM9700), so their data ports are mapped to
 *   InfiniBand, with a warning saying so.
 */

import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { matchAccelerator } from './accelerators';
import { canonicalJson, sha256Hex } from './sha256';
import { type WeightUnit, weightToKg } from './units';

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

export interface ImportIssue {
  file: string;
  field: string;
  reason: string;
  line?: number;
}

export function formatImportIssue(issue: ImportIssue): string {
  return `${issue.file}: ${issue.field}: ${issue.reason}${issue.line ? ` (line ${issue.line})` : ''}`;
}

export type DeviceKind = 'server' | 'switch' | 'storage' | 'rack-pdu' | 'ups' | 'crah' | 'cdu' | 'patch-panel' | 'other';
export type InterfaceKind = 'ethernet' | 'infiniband' | 'nvlink' | 'management' | 'fibre-channel' | 'other';
export type ModuleBayPurpose = 'psu' | 'gpu' | 'pcie' | 'ocp' | 'other';

export interface MappedInterface {
  name: string;
  /** The NetBox type slug as written. */
  type: string;
  kind: InterfaceKind;
  speedGbps: number | null;
  mgmtOnly: boolean;
}

export interface MappedPsu {
  name: string;
  /** Connector type slug (iec-60320-c14, …). */
  type: string;
  maximumDrawW: number | null;
  allocatedDrawW: number | null;
}

export interface MappedModuleBay {
  name: string;
  position: string;
  label: string | null;
  purpose: ModuleBayPurpose;
}

export interface AcceleratorHint {
  count: number;
  /** What the source says ("SXM5", "H100"). */
  descriptor: string;
  /** Catalogue id (accelerators.ts) when the descriptor names a model, else null. */
  catalogueId: string | null;
  source: 'description' | 'comments' | 'module-bays';
}

export interface DeviceType {
  manufacturer: string;
  model: string;
  slug: string;
  partNumber: string | null;
  /** manufacturer + model, case-folded: the NetBox uniqueness key. */
  identityKey: string;
  /** SHA-256 of the parsed definition (canonical JSON): unchanged content, unchanged hash, whatever the formatting. */
  contentHash: string;
  heightU: number;
  isFullDepth: boolean;
  mounting: 'rack' | 'zero-u' | 'child';
  subdeviceRole: 'parent' | 'child' | null;
  airflow: string | null;
  weightKg: number | null;
  isPowered: boolean;
  nameplatePowerW: number | null;
  typicalPowerW: number | null;
  kind: DeviceKind;
  kindReason: string;
  psus: MappedPsu[];
  psuBayCount: number;
  powerOutletCount: number;
  consolePortCount: number;
  interfaces: MappedInterface[];
  moduleBays: MappedModuleBay[];
  deviceBayNames: string[];
  accelerators: AcceleratorHint[];
  description: string | null;
  comments: string | null;
}

export type ModuleKind = 'psu' | 'nic' | 'management-card' | 'other';

export interface ModuleType {
  manufacturer: string;
  model: string;
  partNumber: string | null;
  identityKey: string;
  contentHash: string;
  weightKg: number | null;
  kind: ModuleKind;
  psus: MappedPsu[];
  /** Sum of maximum_draw, null when none is given. */
  maximumDrawW: number | null;
  interfaces: MappedInterface[];
  description: string | null;
  comments: string | null;
}

export type DeviceTypeResult = { ok: true; deviceType: DeviceType; warnings: ImportIssue[] } | { ok: false; errors: ImportIssue[] };
export type ModuleTypeResult = { ok: true; moduleType: ModuleType; warnings: ImportIssue[] } | { ok: false; errors: ImportIssue[] };

export interface ParseOptions {
  /**
   * NetBox and the library's CI refuse two components of one kind with the same name. With this set, such files are
   * accepted: the duplicates are renamed "<name> (<position>)" (or "<name> #<n>") and reported as warnings.
   */
  allowDuplicateComponentNames?: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema validator
// ---------------------------------------------------------------------------------------------------------------

export interface NetboxValidator {
  deviceType: ValidateFunction;
  moduleType: ValidateFunction | null;
  /** Known fields of each component list ('power-ports' → name, label, type, …), taken from the schema. */
  componentFields: Map<string, Set<string>>;
}

const DEVICE_TYPE_ID = 'urn:devicetype-library:device-type';
const MODULE_TYPE_ID = 'urn:devicetype-library:module-type';
const COMPONENTS_ID = 'urn:devicetype-library:components';

/**
 * Builds the validator from the library's schema objects (schema/*.json, parsed: devicetype, moduletype, components,
 * generated_schema, reusable). They reference each other by `$id`, so all must be given.
 */
export function createNetboxValidator(schemas: unknown[]): NetboxValidator {
  // multipleOfPrecision: weight is "multipleOf 0.01"; 14.07 / 0.01 is not an integer in binary floating point.
  const ajv = new Ajv2020({ allErrors: true, strict: false, verbose: true, multipleOfPrecision: 9 });
  const componentFields = new Map<string, Set<string>>();
  for (const schema of schemas) {
    if (!schema || typeof schema !== 'object' || typeof (schema as { $id?: unknown }).$id !== 'string') {
      throw new Error('every NetBox schema object needs an $id');
    }
    ajv.addSchema(schema as object);
    const s = schema as { $id: string; definitions?: Record<string, { properties?: Record<string, unknown> }> };
    if (s.$id === COMPONENTS_ID) {
      for (const [name, def] of Object.entries(s.definitions ?? {})) componentFields.set(`${name}s`, new Set(Object.keys(def.properties ?? {})));
    }
  }
  const deviceType = ajv.getSchema(DEVICE_TYPE_ID);
  if (!deviceType) throw new Error(`the NetBox schemas do not include ${DEVICE_TYPE_ID} (schema/devicetype.json)`);
  return { deviceType, moduleType: ajv.getSchema(MODULE_TYPE_ID) ?? null, componentFields };
}

// ---------------------------------------------------------------------------------------------------------------
// YAML and schema errors
// ---------------------------------------------------------------------------------------------------------------

const COMPONENT_LISTS = [
  'console-ports',
  'console-server-ports',
  'power-ports',
  'power-outlets',
  'interfaces',
  'front-ports',
  'rear-ports',
  'module-bays',
  'device-bays',
  'inventory-items',
] as const;

type Json = Record<string, unknown>;

/** Fields NetBox's component templates accept although the library schema does not list them. */
const NETBOX_COMPONENT_FIELDS: ReadonlySet<string> = new Set(['description']);

interface Parsed {
  data: Json;
  doc: Document;
  lineCounter: LineCounter;
}

/** Aliases a device-type document may expand (real library files use none or a few). */
export const MAX_YAML_ALIAS_COUNT = 100;

function parseYaml(file: string, text: string): { ok: true; parsed: Parsed } | { ok: false; errors: ImportIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        file,
        field: '(yaml)',
        reason: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''),
        line: e.linePos?.[0].line,
      })),
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch {
    // An alias bomb ("billion laughs"): a few lines that expand to gigabytes. Refused per file, never expanded.
    return { ok: false, errors: [{ file, field: '(yaml)', reason: `expands too many aliases (more than ${MAX_YAML_ALIAS_COUNT} per document): refused as a resource-exhaustion document` }] };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, errors: [{ file, field: '(root)', reason: `must be a YAML mapping of fields, got ${data === null ? 'an empty document' : Array.isArray(data) ? 'a list' : typeof data}` }] };
  }
  return { ok: true, parsed: { data: data as Json, doc, lineCounter } };
}

/** `/power-outlets/7/name` → ['power-outlets', 7, 'name'] */
function pointerSegments(pointer: string): Array<string | number> {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function fieldName(segments: Array<string | number>): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out || '(root)';
}

function lineOf(parsed: Parsed, segments: Array<string | number>, key?: string): number | undefined {
  const node = segments.length === 0 ? parsed.doc.contents : parsed.doc.getIn(segments, true);
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    const range = isScalar(pair?.key) ? pair.key.range : undefined;
    if (range) return parsed.lineCounter.linePos(range[0]).line;
  }
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? parsed.lineCounter.linePos(range[0]).line : undefined;
}

function sourceText(parsed: Parsed, segments: Array<string | number>): string | undefined {
  const node = parsed.doc.getIn(segments, true);
  return isScalar(node) && typeof node.source === 'string' ? node.source : undefined;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value}"`;
  return `the ${typeof value} ${String(value)}`;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}

/** The closest known word: small edit distance, or a shared leading word ("module-slots" → "module-bays"). */
function suggest(value: string, known: string[]): string | undefined {
  let best: { word: string; d: number } | undefined;
  for (const word of known) {
    const d = editDistance(value.toLowerCase(), word.toLowerCase());
    if (d <= Math.max(2, Math.floor(word.length / 3)) && (!best || d < best.d)) best = { word, d };
  }
  if (best) return best.word;
  const head = value.split(/[-_]/)[0].toLowerCase();
  const sameHead = known.filter((word) => word.split(/[-_]/)[0].toLowerCase() === head);
  return sameHead.length === 1 ? sameHead[0] : undefined;
}

function schemaErrors(file: string, parsed: Parsed, errors: ErrorObject[]): ImportIssue[] {
  const issues: ImportIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const segments = pointerSegments(e.instancePath);
    let field = fieldName(segments);
    let reason: string;
    let line = lineOf(parsed, segments);
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'required':
        field = fieldName([...segments, String(params.missingProperty)]);
        reason = 'is required';
        break;
      case 'additionalProperties': {
        const prop = String(params.additionalProperty);
        field = fieldName([...segments, prop]);
        const known = Object.keys((e.parentSchema as { properties?: Json } | undefined)?.properties ?? {});
        const hint = suggest(prop, known);
        reason = `is not a field of the library schema${hint ? ` (did you mean "${hint}"?)` : ''}`;
        line = lineOf(parsed, segments, prop);
        break;
      }
      case 'type': {
        reason = `must be ${params.type === 'integer' || params.type === 'array' || params.type === 'object' ? 'an' : 'a'} ${params.type}, got ${describeValue(e.data)}`;
        const source = sourceText(parsed, segments);
        if (params.type === 'string' && typeof e.data === 'number' && source !== undefined) {
          reason += `: YAML reads the unquoted ${source} as the number ${String(e.data)}; quote it ('${source}')`;
        }
        break;
      }
      case 'enum': {
        const allowed = ((params.allowedValues as unknown[]) ?? []).map(String);
        const hint = typeof e.data === 'string' ? suggest(e.data, allowed) : undefined;
        reason = `${describeValue(e.data)} is not an allowed value${
          hint ? ` (did you mean "${hint}"?)` : allowed.length <= 12 ? ` (allowed: ${allowed.join(', ')})` : ''
        }`;
        break;
      }
      case 'pattern':
        reason = `${describeValue(e.data)} does not match ${params.pattern}`;
        break;
      case 'multipleOf':
        reason = `${String(e.data)} is not a multiple of ${params.multipleOf}`;
        break;
      default:
        reason = `${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? `, got ${describeValue(e.data)}` : ''}`;
    }
    const key = `${field}\u0000${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ file, field, reason, line });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks beyond the schema (what the library's CI and NetBox refuse)
// ---------------------------------------------------------------------------------------------------------------

function listOf(data: Json, key: string): Json[] {
  const value = data[key];
  return Array.isArray(value) ? (value.filter((v) => v && typeof v === 'object') as Json[]) : [];
}

interface CheckOutcome {
  errors: ImportIssue[];
  warnings: ImportIssue[];
  /** Component renames applied under allowDuplicateComponentNames: list → index → new name. */
  renames: Map<string, Map<number, string>>;
}

function semanticChecks(file: string, parsed: Parsed, validator: NetboxValidator, options: ParseOptions, isDevice: boolean): CheckOutcome {
  const { data } = parsed;
  const errors: ImportIssue[] = [];
  const warnings: ImportIssue[] = [];
  const renames = new Map<string, Map<number, string>>();
  const at = (segments: Array<string | number>, key?: string) => lineOf(parsed, segments, key);

  if ((data.weight === undefined) !== (data.weight_unit === undefined)) {
    const given = data.weight === undefined ? 'weight_unit' : 'weight';
    const missing = given === 'weight' ? 'weight_unit' : 'weight';
    errors.push({ file, field: given, reason: `is given without ${missing}; NetBox needs both or neither`, line: at([], given) });
  }

  for (const list of COMPONENT_LISTS) {
    const items = listOf(data, list);
    const byName = new Map<string, number[]>();
    items.forEach((item, i) => {
      if (typeof item.name === 'string') byName.set(item.name, [...(byName.get(item.name) ?? []), i]);
    });
    for (const [name, indexes] of byName) {
      if (indexes.length < 2) continue;
      const where = `${list}[${indexes.join('], [')}]`;
      const issue: ImportIssue = {
        file,
        field: `${list}[${indexes[1]}].name`,
        reason: `duplicate name "${name}" (${indexes.length} entries: ${where}); NetBox needs component names unique per type`,
        line: at([list, indexes[1], 'name']),
      };
      if (options.allowDuplicateComponentNames) {
        const map = renames.get(list) ?? new Map<number, string>();
        indexes.forEach((index, n) => {
          const position = items[index].position;
          map.set(index, typeof position === 'string' || typeof position === 'number' ? `${name} (${position})` : `${name} #${n + 1}`);
        });
        renames.set(list, map);
        warnings.push({ ...issue, reason: `${issue.reason}; renamed to "${map.get(indexes[0])}", …` });
      } else errors.push(issue);
    }
    // Fields the schema lets through but nothing reads.
    const known = validator.componentFields.get(list);
    if (known) {
      items.forEach((item, i) => {
        const unknown = Object.keys(item).filter((k) => !known.has(k) && !NETBOX_COMPONENT_FIELDS.has(k));
        if (unknown.length === 0) return;
        const weightHint = unknown.some((k) => k === 'weight' || k === 'weight_unit')
          ? `; weight belongs at the top level of the ${isDevice ? 'device' : 'module'} type${
              typeof item.weight_unit === 'string' && !['kg', 'g', 'lb', 'oz'].includes(item.weight_unit) ? ` and "${item.weight_unit}" is not a weight unit (kg, g, lb, oz)` : ''
            }`
          : '';
        warnings.push({
          file,
          field: `${list}[${i}]`,
          reason: `ignored unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}${weightHint}`,
          line: at([list, i], unknown[0]),
        });
      });
    }
  }

  const powerPortNames = new Set(listOf(data, 'power-ports').map((p) => p.name));
  listOf(data, 'power-outlets').forEach((outlet, i) => {
    if (outlet.power_port !== undefined && !powerPortNames.has(outlet.power_port)) {
      errors.push({ file, field: `power-outlets[${i}].power_port`, reason: `names power port "${String(outlet.power_port)}", which this type does not have`, line: at(['power-outlets', i, 'power_port']) });
    }
  });
  const rearPorts = new Map(listOf(data, 'rear-ports').map((p) => [p.name, typeof p.positions === 'number' ? p.positions : 1]));
  listOf(data, 'front-ports').forEach((port, i) => {
    const positions = rearPorts.get(port.rear_port);
    if (positions === undefined) {
      errors.push({ file, field: `front-ports[${i}].rear_port`, reason: `names rear port "${String(port.rear_port)}", which this type does not have`, line: at(['front-ports', i, 'rear_port']) });
    } else if (typeof port.rear_port_position === 'number' && port.rear_port_position > positions) {
      errors.push({ file, field: `front-ports[${i}].rear_port_position`, reason: `is ${port.rear_port_position} but rear port "${String(port.rear_port)}" has ${positions} position(s)`, line: at(['front-ports', i, 'rear_port_position']) });
    }
  });

  if (isDevice) {
    if (data.subdevice_role === 'child' && data.u_height !== 0) {
      errors.push({ file, field: 'u_height', reason: `is ${String(data.u_height)} but a child device (subdevice_role: child) must be 0`, line: at([], 'u_height') });
    }
    const hasPowerPorts = listOf(data, 'power-ports').length > 0;
    if (data.is_powered === false && hasPowerPorts) {
      errors.push({ file, field: 'is_powered', reason: 'is false but power-ports are defined', line: at([], 'is_powered') });
    }
    const poePowered = listOf(data, 'interfaces').some((i) => i.poe_mode === 'pd');
    if (data.is_powered !== false && !hasPowerPorts && !poePowered && data.subdevice_role !== 'child' && listOf(data, 'module-bays').length === 0) {
      errors.push({ file, field: 'power-ports', reason: 'a powered device needs power-ports (or PoE-powered interfaces, module bays for its PSUs, or is_powered: false)' });
    }
  }

  const empty = findEmptyString(data, []);
  if (empty) errors.push({ file, field: fieldName(empty), reason: 'is an empty string', line: at(empty) });
  return { errors, warnings, renames };
}

function findEmptyString(value: unknown, path: Array<string | number>): Array<string | number> | null {
  if (value === '') return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findEmptyString(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = findEmptyString(v, [...path, k]);
      if (found) return found;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping
// ---------------------------------------------------------------------------------------------------------------

const INFINIBAND_SPEED_GBPS: Record<string, number> = {
  sdr: 10,
  ddr: 20,
  qdr: 40,
  fdr10: 40,
  fdr: 56,
  edr: 100,
  hdr: 200,
  ndr: 400,
  xdr: 800,
};

const MANAGEMENT_NAME = /(^|[^a-z])(mgmt|management|bmc|ipmi|idrac|ilo|xcc|oob)([^a-z]|$)/i;

/** NetBox interface type slug → kind and speed (Gb/s). */
export function mapInterfaceType(type: string): { kind: InterfaceKind; speedGbps: number | null } {
  const ib = /^infiniband-(\w+)$/.exec(type);
  if (ib) return { kind: 'infiniband', speedGbps: INFINIBAND_SPEED_GBPS[ib[1]] ?? null };
  const eth = /^(\d+(?:\.\d+)?)(g?)base-/.exec(type);
  if (eth) return { kind: 'ethernet', speedGbps: eth[2] ? Number(eth[1]) : Number(eth[1]) / 1000 };
  const fc = /^(\d+)gfc-/.exec(type);
  if (fc) return { kind: 'fibre-channel', speedGbps: Number(fc[1]) };
  return { kind: 'other', speedGbps: null };
}

const INFINIBAND_SWITCH_FAMILY = /^(QM8\d{3}|QM9\d{3}|Q3\d{3}|SB7\d{3}|CS7\d{3}|CS8\d{3}|MQM\d+)/i;

function mapInterfaces(data: Json, renames: Map<number, string> | undefined): { interfaces: MappedInterface[]; ibRemapped: number; ibTypes: Set<string> } {
  const manufacturer = String(data.manufacturer ?? '');
  const ibSwitch = /^(nvidia|mellanox)$/i.test(manufacturer.trim()) && INFINIBAND_SWITCH_FAMILY.test(String(data.model ?? ''));
  let ibRemapped = 0;
  const ibTypes = new Set<string>();
  const interfaces = listOf(data, 'interfaces').map((item, i) => {
    const name = renames?.get(i) ?? String(item.name);
    const type = String(item.type);
    const mgmtOnly = item.mgmt_only === true;
    let { kind, speedGbps } = mapInterfaceType(type);
    if (/nvlink/i.test(name)) kind = 'nvlink';
    else if (mgmtOnly || MANAGEMENT_NAME.test(name)) kind = 'management';
    else if (ibSwitch && kind === 'ethernet' && (speedGbps ?? 0) >= 100) {
      kind = 'infiniband';
      ibRemapped++;
      ibTypes.add(type);
    }
    return { name, type, kind, speedGbps, mgmtOnly };
  });
  return { interfaces, ibRemapped, ibTypes };
}

function mapPsus(data: Json, renames: Map<number, string> | undefined): MappedPsu[] {
  return listOf(data, 'power-ports').map((p, i) => ({
    name: renames?.get(i) ?? String(p.name),
    type: String(p.type),
    maximumDrawW: typeof p.maximum_draw === 'number' ? p.maximum_draw : null,
    allocatedDrawW: typeof p.allocated_draw === 'number' ? p.allocated_draw : null,
  }));
}

function sumOrNull(values: Array<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

export function moduleBayPurpose(name: string, label?: string | null): ModuleBayPurpose {
  const text = `${name} ${label ?? ''}`;
  if (/(^|[^a-z])(psu|ps\s*\d|power\s*supply|pws)/i.test(text)) return 'psu';
  if (/sxm|oam|gpu|accelerator/i.test(text)) return 'gpu';
  if (/ocp|aiom|flexlom|(^|[^a-z])lom/i.test(text)) return 'ocp';
  if (/pci|riser/i.test(text)) return 'pcie';
  return 'other';
}

function weightKgOf(data: Json): number | null {
  if (typeof data.weight !== 'number' || typeof data.weight_unit !== 'string') return null;
  return Math.round(weightToKg(data.weight, data.weight_unit as WeightUnit) * 1000) / 1000;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** manufacturer + model, trimmed and case-folded: NetBox's (manufacturer, model) uniqueness as one string. */
export function deviceTypeIdentityKey(manufacturer: string, model: string): string {
  return `${manufacturer.trim().toLowerCase()}/${model.trim().toLowerCase()}`;
}

const UPS_TEXT = /(^|[^a-z])ups([^a-z]|$)|smart-ups|uninterruptible/i;
const STORAGE_MAKERS = /^(pure storage|datadirect networks|vast data|netapp|weka|ddn)$/i;
const STORAGE_TEXT = /(^|[^a-z])(storage|flasharray|flashblade|sfa\d+\w*|nas|san)([^a-z]|$)/i;
const SERVER_TEXT = /(^|[^a-z])(server|poweredge|proliant|thinksystem|superserver|dgx|hgx)([^a-z]|$)/i;

/**
 * Device kind, by the first rule that matches:
 * 1. power outlets and power inputs: "UPS" in the text → ups; otherwise, with no data port of 10 Gb/s or more → rack-pdu
 * 2. "CDU" / "coolant distribution" in the text → cdu; "CRAH" / "CRAC" / "air handler" → crah
 * 3. front/rear ports, no interfaces, no power ports → patch-panel
 * 4. 12 or more data ports (Ethernet/InfiniBand, ≥ 10 Gb/s, not management) → switch
 * 5. a storage maker (Pure Storage, DDN, VAST Data, NetApp, WEKA) or storage words in the text → storage
 * 6. server words in the text, device bays, or PSU / PCIe / OCP / GPU module bays → server
 * 7. otherwise other
 * "The text" is model, part number, description and comments together.
 */
export function inferKind(data: Json, interfaces: MappedInterface[], moduleBays: MappedModuleBay[]): { kind: DeviceKind; reason: string } {
  const text = [data.model, data.part_number, data.description, data.comments].filter((v) => typeof v === 'string').join(' ');
  const outlets = listOf(data, 'power-outlets').length;
  const inputs = listOf(data, 'power-ports').length;
  const dataPorts = interfaces.filter((i) => (i.kind === 'ethernet' || i.kind === 'infiniband') && (i.speedGbps ?? 0) >= 10).length;
  if (outlets > 0 && inputs > 0) {
    if (UPS_TEXT.test(text)) return { kind: 'ups', reason: `${outlets} power outlets and "UPS" in its description` };
    if (dataPorts === 0) return { kind: 'rack-pdu', reason: `${outlets} power outlets fed by ${inputs} power input(s), no data ports` };
  }
  if (/(^|[^a-z])cdu([^a-z]|$)|coolant distribution/i.test(text)) return { kind: 'cdu', reason: '"CDU" in its description' };
  if (/(^|[^a-z])(crah|crac)([^a-z]|$)|air handl/i.test(text)) return { kind: 'crah', reason: '"CRAH/CRAC" in its description' };
  if (listOf(data, 'front-ports').length + listOf(data, 'rear-ports').length > 0 && interfaces.length === 0 && inputs === 0) {
    return { kind: 'patch-panel', reason: 'pass-through ports only, no interfaces and no power' };
  }
  if (dataPorts >= 12) return { kind: 'switch', reason: `${dataPorts} data ports of 10 Gb/s or more` };
  if (STORAGE_MAKERS.test(String(data.manufacturer ?? '').trim())) return { kind: 'storage', reason: `made by ${String(data.manufacturer)}, a storage vendor` };
  if (STORAGE_TEXT.test(text)) return { kind: 'storage', reason: 'storage words in its description' };
  if (SERVER_TEXT.test(text)) return { kind: 'server', reason: 'server product name in its model or description' };
  if (listOf(data, 'device-bays').length > 0) return { kind: 'server', reason: 'a chassis with device bays' };
  if (moduleBays.some((b) => b.purpose !== 'other')) return { kind: 'server', reason: 'PSU/PCIe/OCP/GPU module bays' };
  return { kind: 'other', reason: 'no rule matched' };
}

/** GPU module bays counted by their name as written (before any duplicate renaming), else a "8x … GPUs" phrase. */
function acceleratorHints(data: Json): AcceleratorHint[] {
  const gpuBays = listOf(data, 'module-bays').filter((b) => moduleBayPurpose(String(b.name), str(b.label)) === 'gpu');
  if (gpuBays.length > 0) {
    const byDescriptor = new Map<string, number>();
    for (const bay of gpuBays) byDescriptor.set(String(bay.name), (byDescriptor.get(String(bay.name)) ?? 0) + 1);
    return [...byDescriptor].map(([descriptor, count]) => ({
      count,
      descriptor,
      catalogueId: matchAccelerator(descriptor)?.id ?? null,
      source: 'module-bays' as const,
    }));
  }
  for (const source of ['description', 'comments'] as const) {
    const text = data[source];
    if (typeof text !== 'string') continue;
    const m = /(\d+)\s*[x×]\s*((?:NVIDIA|AMD)?\s*[\w+-]+(?:\s+[\w+-]+)?)\s+(?:GPUs?|accelerators?)\b/i.exec(text);
    if (m) {
      const descriptor = m[2].trim();
      return [{ count: Number(m[1]), descriptor, catalogueId: matchAccelerator(descriptor)?.id ?? null, source }];
    }
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------------------------

function prepare(
  fileName: string,
  yamlText: string,
  validate: ValidateFunction,
  validator: NetboxValidator,
  options: ParseOptions,
  isDevice: boolean,
): { ok: true; parsed: Parsed; checks: CheckOutcome } | { ok: false; errors: ImportIssue[] } {
  const yaml = parseYaml(fileName, yamlText);
  if (!yaml.ok) return yaml;
  if (!validate(yaml.parsed.data)) return { ok: false, errors: schemaErrors(fileName, yaml.parsed, validate.errors ?? []) };
  const checks = semanticChecks(fileName, yaml.parsed, validator, options, isDevice);
  if (checks.errors.length > 0) return { ok: false, errors: checks.errors };
  return { ok: true, parsed: yaml.parsed, checks };
}

/** Parses, validates and maps one device-type file (`fileName` is used in messages only). */
export function parseNetboxDeviceType(fileName: string, yamlText: string, validator: NetboxValidator, options: ParseOptions = {}): DeviceTypeResult {
  const prepared = prepare(fileName, yamlText, validator.deviceType, validator, options, true);
  if (!prepared.ok) return prepared;
  const { data } = prepared.parsed;
  const { warnings, renames } = prepared.checks;

  const moduleBays = listOf(data, 'module-bays').map((bay, i) => {
    const name = renames.get('module-bays')?.get(i) ?? String(bay.name);
    return { name, position: String(bay.position), label: str(bay.label), purpose: moduleBayPurpose(String(bay.name), str(bay.label)) };
  });
  const { interfaces, ibRemapped, ibTypes } = mapInterfaces(data, renames.get('interfaces'));
  if (ibRemapped > 0) {
    warnings.push({
      file: fileName,
      field: 'interfaces',
      reason: `${ibRemapped} ports typed ${[...ibTypes].join(', ')} mapped to InfiniBand: ${String(data.model)} is an NVIDIA InfiniBand switch and the library types its ports by cage`,
    });
  }
  const psus = mapPsus(data, renames.get('power-ports'));
  const isPowered = data.is_powered !== false;
  const heightU = data.u_height as number;
  const subdeviceRole = data.subdevice_role === 'parent' || data.subdevice_role === 'child' ? data.subdevice_role : null;
  const { kind, reason } = inferKind(data, interfaces, moduleBays);

  const deviceType: DeviceType = {
    manufacturer: String(data.manufacturer),
    model: String(data.model),
    slug: String(data.slug),
    partNumber: str(data.part_number),
    identityKey: deviceTypeIdentityKey(String(data.manufacturer), String(data.model)),
    contentHash: sha256Hex(canonicalJson(data)),
    heightU,
    // NetBox's default when the field is absent is full depth.
    isFullDepth: data.is_full_depth !== false,
    mounting: subdeviceRole === 'child' ? 'child' : heightU === 0 ? 'zero-u' : 'rack',
    subdeviceRole,
    airflow: str(data.airflow),
    weightKg: weightKgOf(data),
    isPowered,
    nameplatePowerW: isPowered ? sumOrNull(psus.map((p) => p.maximumDrawW)) : 0,
    typicalPowerW: isPowered ? sumOrNull(psus.map((p) => p.allocatedDrawW)) : 0,
    kind,
    kindReason: reason,
    psus,
    psuBayCount: moduleBays.filter((b) => b.purpose === 'psu').length,
    powerOutletCount: listOf(data, 'power-outlets').length,
    consolePortCount: listOf(data, 'console-ports').length,
    interfaces,
    moduleBays,
    deviceBayNames: listOf(data, 'device-bays').map((b) => String(b.name)),
    accelerators: acceleratorHints(data),
    description: str(data.description),
    comments: str(data.comments),
  };
  return { ok: true, deviceType, warnings };
}

/** Parses, validates and maps one module-type file (PSUs, NICs, management cards). */
export function parseNetboxModuleType(fileName: string, yamlText: string, validator: NetboxValidator, options: ParseOptions = {}): ModuleTypeResult {
  if (!validator.moduleType) throw new Error('the NetBox schemas given to createNetboxValidator do not include schema/moduletype.json');
  const prepared = prepare(fileName, yamlText, validator.moduleType, validator, options, false);
  if (!prepared.ok) return prepared;
  const { data } = prepared.parsed;
  const { warnings, renames } = prepared.checks;
  const psus = mapPsus(data, renames.get('power-ports'));
  const { interfaces } = mapInterfaces(data, renames.get('interfaces'));
  const text = [data.model, data.description, data.comments].filter((v) => typeof v === 'string').join(' ');
  let kind: ModuleKind = 'other';
  if (psus.length > 0 && interfaces.length === 0) kind = 'psu';
  else if (/management card|network management/i.test(text) || (interfaces.length > 0 && interfaces.every((i) => i.kind === 'management' || i.kind === 'other'))) kind = 'management-card';
  else if (interfaces.some((i) => i.kind === 'ethernet' || i.kind === 'infiniband')) kind = 'nic';
  const moduleType: ModuleType = {
    manufacturer: String(data.manufacturer),
    model: String(data.model),
    partNumber: str(data.part_number),
    identityKey: deviceTypeIdentityKey(String(data.manufacturer), String(data.model)),
    contentHash: sha256Hex(canonicalJson(data)),
    weightKg: weightKgOf(data),
    kind,
    psus,
    maximumDrawW: sumOrNull(psus.map((p) => p.maximumDrawW)),
    interfaces,
    description: str(data.description),
    comments: str(data.comments),
  };
  return { ok: true, moduleType, warnings };
}

/** Which parser a library path belongs to, from its folder. */
export function netboxFileKind(path: string): 'device-type' | 'module-type' | null {
  const segments = path.split(/[\\/]/);
  if (!/\.ya?ml$/i.test(path)) return null;
  if (segments.includes('device-types')) return 'device-type';
  if (segments.includes('module-types')) return 'module-type';
  return null;
}

export interface LibraryFile {
  path: string;
  text: string;
}

export interface LibraryImport {
  deviceTypes: Array<{ file: string; deviceType: DeviceType; status: 'new' | 'changed' }>;
  moduleTypes: Array<{ file: string; moduleType: ModuleType; status: 'new' | 'changed' }>;
  /** Already present with the same content hash. */
  unchanged: Array<{ file: string; identityKey: string }>;
  rejected: Array<{ file: string; errors: ImportIssue[] }>;
  warnings: ImportIssue[];
}

/**
 * Imports a set of library files. `existing` maps identity keys already stored to their content hash: equal hash →
 * unchanged (skip), different → changed. A second file with an identity key already seen in this batch is rejected.
 */
export function importNetboxLibrary(
  files: LibraryFile[],
  validator: NetboxValidator,
  existing: ReadonlyMap<string, string> = new Map(),
  options: ParseOptions = {},
): LibraryImport {
  const result: LibraryImport = { deviceTypes: [], moduleTypes: [], unchanged: [], rejected: [], warnings: [] };
  const seen = new Map<string, string>();
  const status = (key: string, hash: string) => (existing.has(key) ? (existing.get(key) === hash ? 'unchanged' : 'changed') : 'new');
  for (const file of files) {
    const kind = netboxFileKind(file.path);
    if (kind === null) {
      result.rejected.push({ file: file.path, errors: [{ file: file.path, field: '(file)', reason: 'not a .yaml/.yml file under device-types/ or module-types/' }] });
      continue;
    }
    const parsed = kind === 'device-type' ? parseNetboxDeviceType(file.path, file.text, validator, options) : parseNetboxModuleType(file.path, file.text, validator, options);
    if (!parsed.ok) {
      result.rejected.push({ file: file.path, errors: parsed.errors });
      continue;
    }
    result.warnings.push(...parsed.warnings);
    const item = 'deviceType' in parsed ? parsed.deviceType : parsed.moduleType;
    const key = `${kind}:${item.identityKey}`;
    const previous = seen.get(key);
    if (previous !== undefined) {
      result.rejected.push({ file: file.path, errors: [{ file: file.path, field: 'model', reason: `"${item.manufacturer} ${item.model}" is already defined by ${previous}` }] });
      continue;
    }
    seen.set(key, file.path);
    const s = status(item.identityKey, item.contentHash);
    if (s === 'unchanged') result.unchanged.push({ file: file.path, identityKey: item.identityKey });
    else if ('deviceType' in parsed) result.deviceTypes.push({ file: file.path, deviceType: parsed.deviceType, status: s });
    else result.moduleTypes.push({ file: file.path, moduleType: parsed.moduleType, status: s });
  }
  return result;
}
