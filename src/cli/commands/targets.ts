import { readFileSync } from 'node:fs';
import { type Command, flag, requiredPositional, UsageError } from '../command';

const DIALECTS = ['dcgm', 'nvidia-smi', 'prometheus', 'plenum', 'amd', 'tpu', 'snmp', 'redfish', 'modbus'] as const;

/**
 * SNMP collector settings and secrets from flags (the server validates them and names the field on error):
 * `--profile`, `--context`, `--retries`; `--community` (v2c) or `--v3-user` with `--auth-protocol`, `--auth-key`,
 * `--priv-protocol`, `--priv-key` (v3).
 */
function snmpFlags(args: Parameters<Command['run']>[1]): { options: Record<string, unknown>; credentials: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  const credentials: Record<string, unknown> = {};
  const profile = flag(args, 'profile');
  if (!profile) throw new UsageError('--profile is required for an snmp target (ups-mib, apc-rpdu2, raritan-pdu2, sentry4, entity-sensor or your own)');
  options.profile = profile;
  const context = flag(args, 'context');
  if (context) options.context = context;
  const retries = flag(args, 'retries');
  if (retries !== undefined) options.retries = Number(retries);
  const community = flag(args, 'community');
  if (community) credentials.community = community;
  const pairs: [string, string][] = [
    ['v3-user', 'user'],
    ['auth-protocol', 'authProtocol'],
    ['auth-key', 'authKey'],
    ['priv-protocol', 'privProtocol'],
    ['priv-key', 'privKey'],
  ];
  for (const [name, key] of pairs) {
    const value = flag(args, name);
    if (value) credentials[key] = value;
  }
  return { options, credentials };
}

/**
 * Modbus collector settings from flags: `--map` (register map), `--unit-id`, `--word-order` / `--byte-order` (big or
 * little, overriding the map's), `--request-timeout` (ms per read request). Modbus TCP has no credentials.
 */
function modbusFlags(args: Parameters<Command['run']>[1]): { options: Record<string, unknown> } {
  const map = flag(args, 'map');
  if (!map) throw new UsageError('--map is required for a modbus target (generic-cdu, generic-crah, generic-power-meter or your own)');
  const options: Record<string, unknown> = { map };
  const number = (name: string, key: string) => {
    const value = flag(args, name);
    if (value === undefined) return;
    if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number (got "${value}")`);
    options[key] = Number(value);
  };
  number('unit-id', 'unitId');
  number('request-timeout', 'requestTimeoutMs');
  for (const [name, key] of [
    ['word-order', 'wordOrder'],
    ['byte-order', 'byteOrder'],
  ] as const) {
    const value = flag(args, name);
    if (value !== undefined) options[key] = value;
  }
  return { options };
}

/**
 * Redfish collector settings and secrets from flags: `--username` with `--password` or `--password-file`, `--auth`
 * (session, basic, none), `--ca-file` (the PEM is read here and sent), `--insecure-skip-verify` (labs).
 */
function redfishFlags(args: Parameters<Command['run']>[1]): { options: Record<string, unknown>; credentials: Record<string, unknown> } {
  const options: Record<string, unknown> = {};
  const credentials: Record<string, unknown> = {};
  const readFile = (name: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      throw new UsageError(`--${name}: cannot read ${path}`);
    }
  };
  const auth = flag(args, 'auth');
  if (auth) options.auth = auth;
  const caFile = flag(args, 'ca-file');
  if (caFile) options.caPem = readFile('ca-file', caFile);
  if (flag(args, 'insecure-skip-verify') === 'true') options.insecureSkipVerify = true;
  const username = flag(args, 'username');
  if (username) credentials.username = username;
  const passwordFile = flag(args, 'password-file');
  const password = passwordFile ? readFile('password-file', passwordFile).replace(/\r?\n$/, '') : flag(args, 'password');
  if (password !== undefined) credentials.password = password;
  return { options, credentials };
}

export const targetsCommands: Record<string, Command> = {
  'targets add': {
    usage:
      'targets add <url> --dialect <dcgm | nvidia-smi | prometheus | plenum | amd | tpu | snmp | redfish | modbus> [--interval <duration>] [--timeout <duration>] [--host <hostname>] [--zone <security zone>] [--preference <0-1000>]\n' +
      '  snmp: targets add snmp://<agent>[:161] --dialect snmp --profile <profile> --device <UPS/PDU/cooling unit name> [--community <community> | --v3-user <user> --auth-protocol sha --auth-key <key> --priv-protocol aes --priv-key <key>] [--context <name>] [--retries <n>]\n' +
      '  redfish: targets add https://<bmc>/redfish/v1 --dialect redfish --device <PDU/cooling unit name> [--username <user> --password-file <path>] [--auth session|basic|none] [--ca-file <pem>] [--insecure-skip-verify]\n' +
      '  modbus: targets add modbus://<device or gateway>[:502] --dialect modbus --map <register map> --device <cooling unit/meter name> [--unit-id <0-255>] [--word-order big|little] [--byte-order big|little] [--request-timeout <ms>]',
    summary: 'add an exporter to scrape, or a UPS / PDU / cooling unit / meter to poll over SNMP, Redfish or Modbus TCP (durations like 10s, 1m)',
    run: async (client, args) => {
      const url = requiredPositional(args, 0, 'the exporter URL');
      const dialect = flag(args, 'dialect');
      if (!dialect || !(DIALECTS as readonly string[]).includes(dialect)) throw new UsageError(`--dialect must be one of ${DIALECTS.join(', ')}`);
      const interval = flag(args, 'interval');
      const timeout = flag(args, 'timeout');
      const host = flag(args, 'host');
      // The security zone the target reports on (required for a zone-scoped token): its samples outside it are refused.
      const zone = flag(args, 'zone');
      let zoneId: number | undefined;
      if (zone) {
        const zones = await client.zones.list.query();
        zoneId = zones.find((z) => z.name.toLowerCase() === zone.toLowerCase() || String(z.id) === zone)?.id;
        if (zoneId === undefined) throw new UsageError(`--zone: no security zone "${zone}" you may use (known: ${zones.map((z) => z.name).join(', ') || 'none'})`);
      }
      const preferenceText = flag(args, 'preference');
      const preference = preferenceText === undefined ? undefined : Number(preferenceText);
      if (preference !== undefined && !(Number.isInteger(preference) && preference >= 0 && preference <= 1000)) {
        throw new UsageError('--preference must be an integer 0-1000 (higher wins over other sources of the same reading; remote-write is 50)');
      }
      const device = flag(args, 'device');
      const collector = dialect === 'snmp' ? snmpFlags(args) : dialect === 'redfish' ? redfishFlags(args) : dialect === 'modbus' ? modbusFlags(args) : undefined;
      const target = await client.telemetry.targets.add.mutate({
        url,
        dialect: dialect as (typeof DIALECTS)[number],
        ...(collector ?? {}),
        ...(device ? { device } : {}),
        ...(interval ? { interval } : {}),
        ...(timeout ? { timeout } : {}),
        ...(host ? { host } : {}),
        ...(zoneId !== undefined ? { zoneId } : {}),
        ...(preference !== undefined ? { preference } : {}),
      });
      const reads = target!.device ? `, reads ${target!.device}` : '';
      return { json: target, text: `added target ${target!.id}: ${target!.url} (${target!.dialect}${reads}, every ${target!.intervalMs} ms)` };
    },
  },
  'targets list': {
    usage: 'targets list [--json]',
    summary: 'list scrape targets with their health',
    run: async (client) => {
      const targets = await client.telemetry.targets.list.query();
      const text = targets
        .map((t) => {
          const health = !t.enabled ? 'disabled' : t.up ? 'up' : t.lastError ? `down: ${t.lastError}` : 'not scraped yet';
          const profile = typeof t.options.profile === 'string' ? t.options.profile : typeof t.options.map === 'string' ? `${t.options.map} unit ${t.options.unitId ?? 1}` : undefined;
          const collector = profile ? ` [${profile}${t.device ? ` → ${t.device}` : ''}]` : t.device ? ` [→ ${t.device}]` : '';
          return `${String(t.id).padStart(4)}  ${t.dialect.padEnd(10)} ${t.url}${collector}  ${health}${t.lastSampleCount !== null ? `, ${t.lastSampleCount} samples` : ''}${t.managedBy ? ` [${t.managedBy}]` : ''}`;
        })
        .join('\n');
      return { json: targets, text: text || 'no targets' };
    },
  },
  'targets remove': {
    usage: 'targets remove <id>',
    summary: 'remove a scrape target (its stored series and samples are kept)',
    run: async (client, args) => {
      const id = Number(requiredPositional(args, 0, 'the target id'));
      if (!Number.isInteger(id) || id <= 0) throw new UsageError('the target id is a positive integer');
      const removed = await client.telemetry.targets.remove.mutate({ id });
      return { json: removed, text: `removed target ${removed.id}: ${removed.url}` };
    },
  },
};
