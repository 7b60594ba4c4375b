import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createNetboxValidator,
  type DeviceType,
  formatImportIssue,
  importNetboxLibrary,
  mapInterfaceType,
  moduleBayPurpose,
  netboxFileKind,
  parseNetboxDeviceType,
  parseNetboxModuleType,
} from './netbox-devicetype';
import { canonicalJson, sha256Hex } from './sha256';

// The fixtures live next to the repository: <repo>/../shared (the same place in CI).
const LIBRARY = fileURLToPath(new URL('../../../shared/fixtures/devicetype-library/', import.meta.url));
const read = (path: string) => readFileSync(join(LIBRARY, path), 'utf8');
const validator = createNetboxValidator(
  readdirSync(join(LIBRARY, 'schema')).map((name) => JSON.parse(read(join('schema', name))) as unknown),
);

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
const allFiles = walk(LIBRARY)
  .map((path) => relative(LIBRARY, path))
  .filter((path) => netboxFileKind(path) !== null)
  .sort();

function device(path: string): DeviceType {
  const result = parseNetboxDeviceType(path, read(path), validator);
  if (!result.ok) throw new Error(result.errors.map(formatImportIssue).join('\n'));
  return result.deviceType;
}

/** The fixture files that do not pass, and the one message each must produce. */
const KNOWN_BAD: Record<string, string[]> = {
  'device-types/Eaton/Tripp-Lite-PDUMVR30HVNETLX.yaml': [
    "device-types/Eaton/Tripp-Lite-PDUMVR30HVNETLX.yaml: power-outlets[7].name: must be a string, got the number 8: YAML reads the unquoted 08 as the number 8; quote it ('08') (line 43)",
    "device-types/Eaton/Tripp-Lite-PDUMVR30HVNETLX.yaml: power-outlets[8].name: must be a string, got the number 9: YAML reads the unquoted 09 as the number 9; quote it ('09') (line 46)",
  ],
  'device-types/Vertiv/geist-rpdu-gi10022l.yaml': [
    "device-types/Vertiv/geist-rpdu-gi10022l.yaml: power-outlets[7].name: must be a string, got the number 8: YAML reads the unquoted 08 as the number 8; quote it ('08') (line 42)",
    "device-types/Vertiv/geist-rpdu-gi10022l.yaml: power-outlets[8].name: must be a string, got the number 9: YAML reads the unquoted 09 as the number 9; quote it ('09') (line 45)",
  ],
  'device-types/Lenovo/ThinkSystem-SR685a-v3.yaml': [
    'device-types/Lenovo/ThinkSystem-SR685a-v3.yaml: module-slots: is not a field of the library schema (did you mean "module-bays"?) (line 44)',
  ],
  'forks/leafcloudhq/device-types/Dell/PowerEdge-XE9680.yaml': [
    'forks/leafcloudhq/device-types/Dell/PowerEdge-XE9680.yaml: module-bays[8].name: duplicate name "SXM5" (8 entries: module-bays[7], [8], [9], [10], [11], [12], [13], [14]); NetBox needs component names unique per type (line 37)',
  ],
};

describe('every fixture file maps or is rejected with a specific reason', () => {
  it('finds the device types, the fork and the module types', () => {
    expect(allFiles.filter((f) => netboxFileKind(f) === 'device-type').length).toBe(40);
    expect(allFiles.filter((f) => netboxFileKind(f) === 'module-type').length).toBe(8);
  });

  for (const file of allFiles) {
    it(file, () => {
      const text = read(file);
      const result = netboxFileKind(file) === 'device-type' ? parseNetboxDeviceType(file, text, validator) : parseNetboxModuleType(file, text, validator);
      if (KNOWN_BAD[file]) {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.errors.map(formatImportIssue)).toEqual(KNOWN_BAD[file]);
      } else {
        if (!result.ok) throw new Error(result.errors.map(formatImportIssue).join('\n'));
        const item = 'deviceType' in result ? result.deviceType : result.moduleType;
        expect(item.manufacturer.length).toBeGreaterThan(0);
        expect(item.contentHash).toMatch(/^[0-9a-f]{64}$/);
      }
    });
  }
});

describe('mapped values match the YAML', () => {
  it('NVIDIA QM9700: 1U InfiniBand switch; the file lists 62 OSFP ports (P22.1 and P23.0 are missing)', () => {
    const t = device('device-types/Nvidia/QM9700.yaml');
    expect(t).toMatchObject({ manufacturer: 'Nvidia', model: 'QM9700', slug: 'nvidia-qm9700', heightU: 1, isFullDepth: true, airflow: 'rear-to-front', weightKg: 14.8, kind: 'switch', mounting: 'rack' });
    expect(t.interfaces).toHaveLength(62);
    expect(t.interfaces.every((i) => i.kind === 'infiniband' && i.speedGbps === 400 && i.type === '400gbase-x-osfp')).toBe(true);
    const names = t.interfaces.map((i) => i.name);
    expect(names).not.toContain('P22.1');
    expect(names).not.toContain('P23.0');
    expect(t.psus).toEqual([
      { name: 'psu0', type: 'iec-60320-c14', maximumDrawW: null, allocatedDrawW: null },
      { name: 'psu1', type: 'iec-60320-c14', maximumDrawW: null, allocatedDrawW: null },
    ]);
    expect(t.nameplatePowerW).toBeNull();
    const result = parseNetboxDeviceType('QM9700.yaml', read('device-types/Nvidia/QM9700.yaml'), validator);
    expect(result.ok && result.warnings.map((w) => w.field)).toEqual(['interfaces']);
  });

  it('NVIDIA SN5600: 2U, 64 × 800 GbE plus a management port', () => {
    const t = device('device-types/Nvidia/SN5600.yaml');
    expect(t.heightU).toBe(2);
    expect(t.interfaces.filter((i) => i.kind === 'ethernet' && i.speedGbps === 800)).toHaveLength(64);
    expect(t.interfaces.filter((i) => i.kind === 'management')).toHaveLength(1);
    expect(t.psuBayCount).toBe(2);
  });

  it('Mellanox QM8700: nameplate is the sum of the two PSUs maximum_draw', () => {
    const t = device('device-types/Mellanox/qm8700.yml');
    expect(t.nameplatePowerW).toBe(2200);
    expect(t.typicalPowerW).toBeNull();
    expect(t.interfaces.filter((i) => i.kind === 'infiniband' && i.speedGbps === 200)).toHaveLength(40);
  });

  it('APC AP8881: zero-U rack PDU, 14.07 lb → kg', () => {
    const t = device('device-types/APC/AP8881.yaml');
    expect(t.kind).toBe('rack-pdu');
    expect(t.mounting).toBe('zero-u');
    expect(t.heightU).toBe(0);
    expect(t.weightKg).toBe(6.382);
    expect(t.powerOutletCount).toBe(42);
  });

  it('APC Smart-UPS: ups with a 3,600 W input', () => {
    const t = device('device-types/APC/SMT3000RMI2U.yaml');
    expect(t.kind).toBe('ups');
    expect(t.nameplatePowerW).toBe(3600);
    expect(t.moduleBays).toEqual([{ name: 'SmartSlot', position: 'SmartSlot', label: null, purpose: 'other' }]);
  });

  it('Dell XE9680 (fork): rejected as NetBox would, mapped with duplicate names allowed: 6U, 8 SXM5 bays, 6 PSU bays', () => {
    const file = 'forks/leafcloudhq/device-types/Dell/PowerEdge-XE9680.yaml';
    const result = parseNetboxDeviceType(file, read(file), validator, { allowDuplicateComponentNames: true });
    if (!result.ok) throw new Error('expected a mapping');
    const t = result.deviceType;
    expect(t).toMatchObject({ model: 'PowerEdge XE9680', heightU: 6, weightKg: 114.05, kind: 'server', psuBayCount: 6 });
    expect(t.accelerators).toEqual([{ count: 8, descriptor: 'SXM5', catalogueId: null, source: 'module-bays' }]);
    expect(t.moduleBays.filter((b) => b.purpose === 'gpu').map((b) => b.name)).toContain('SXM5 (SXM-1)');
    expect(result.warnings[0].field).toBe('module-bays[8].name');
  });

  it('DDN controller is a child device; Pure Storage chassis is storage with device bays', () => {
    expect(device('device-types/DataDirect Networks/SFA200NVX2-Controller.yaml')).toMatchObject({ mounting: 'child', subdeviceRole: 'child', kind: 'storage' });
    expect(device('device-types/Pure Storage/FA-X90R3-Chassis.yaml')).toMatchObject({ kind: 'storage', subdeviceRole: 'parent', deviceBayNames: expect.any(Array) });
  });

  it('module types: PSU draw, NIC, management card, and a misplaced weight flagged', () => {
    const psu = parseNetboxModuleType('PWR-1900-AC-F.yaml', read('module-types/Arista/PWR-1900-AC-F.yaml'), validator);
    expect(psu.ok && psu.moduleType).toMatchObject({ kind: 'psu', maximumDrawW: 1900 });
    const nic = parseNetboxModuleType('x.yaml', read('module-types/Supermicro/AOC-MCX4121A-ACAT.yaml'), validator);
    expect(nic.ok && nic.moduleType.interfaces.map((i) => [i.kind, i.speedGbps])).toEqual([
      ['ethernet', 25],
      ['ethernet', 25],
    ]);
    expect(nic.ok && nic.moduleType.kind).toBe('nic');
    const card = parseNetboxModuleType('x.yaml', read('module-types/APC/AP9641.yaml'), validator);
    expect(card.ok && card.moduleType.kind).toBe('management-card');
    const dell = parseNetboxModuleType('450-BCGR.yaml', read('module-types/Dell/450-BCGR.yaml'), validator);
    expect(dell.ok && dell.warnings.map(formatImportIssue)).toEqual([
      '450-BCGR.yaml: power-ports[0]: ignored unknown fields weight, weight_unit; weight belongs at the top level of the module type and "grams" is not a weight unit (kg, g, lb, oz) (line 10)',
    ]);
    expect(dell.ok && dell.moduleType.weightKg).toBeNull();
  });
});

const minimal = (extra = '') => `manufacturer: Acme\nmodel: Box 1\nslug: acme-box-1\nu_height: 1\nis_full_depth: true\npower-ports:\n  - name: PSU1\n    type: iec-60320-c14\n    maximum_draw: 500\n${extra}`;

describe('error reporting', () => {
  const errorsOf = (text: string) => {
    const result = parseNetboxDeviceType('t.yaml', text, validator);
    return result.ok ? [] : result.errors.map(formatImportIssue);
  };

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(errorsOf('manufacturer: Acme\nmodel: [unclosed\n')[0]).toMatch(/^t\.yaml: \(yaml\): .+ \(line \d+\)$/);
    expect(errorsOf(`${minimal()}model: again\n`)).toEqual(['t.yaml: (yaml): Map keys must be unique (line 10)']);
    expect(errorsOf('- a\n- b\n')).toEqual(['t.yaml: (root): must be a YAML mapping of fields, got a list']);
  });

  it('names missing fields, bad enums with a suggestion, bad patterns and heights', () => {
    expect(errorsOf('manufacturer: Acme\nmodel: X\nslug: acme-x\nu_height: 1\n')).toEqual(['t.yaml: is_full_depth: is required (line 1)']);
    expect(errorsOf(minimal('airflow: front-to-back\n'))).toEqual([
      't.yaml: airflow: the string "front-to-back" is not an allowed value (did you mean "front-to-rear"?) (line 10)',
    ]);
    expect(errorsOf(minimal().replace('acme-box-1', 'Acme Box'))).toEqual(['t.yaml: slug: the string "Acme Box" does not match ^[-a-z0-9_]+$ (line 3)']);
    expect(errorsOf(minimal().replace('u_height: 1', 'u_height: 1.3'))).toEqual(['t.yaml: u_height: 1.3 is not a multiple of 0.5 (line 4)']);
    expect(errorsOf(minimal().replace('maximum_draw: 500', 'maximum_draw: 500.5'))[0]).toBe(
      't.yaml: power-ports[0].maximum_draw: must be an integer, got the number 500.5 (line 9)',
    );
  });

  it('applies the checks NetBox makes beyond the schema', () => {
    expect(errorsOf(minimal('weight: 12.5\n'))).toEqual(['t.yaml: weight: is given without weight_unit; NetBox needs both or neither (line 10)']);
    expect(errorsOf(minimal('power-outlets:\n  - name: "1"\n    type: iec-60320-c13\n    power_port: PSU9\n'))).toEqual([
      't.yaml: power-outlets[0].power_port: names power port "PSU9", which this type does not have (line 13)',
    ]);
    expect(errorsOf(minimal().replace('u_height: 1', 'u_height: 1\nsubdevice_role: child'))).toEqual([
      't.yaml: u_height: is 1 but a child device (subdevice_role: child) must be 0 (line 4)',
    ]);
    expect(errorsOf('manufacturer: Acme\nmodel: X\nslug: acme-x\nu_height: 1\nis_full_depth: true\n')).toEqual([
      't.yaml: power-ports: a powered device needs power-ports (or PoE-powered interfaces, module bays for its PSUs, or is_powered: false)',
    ]);
    expect(errorsOf(minimal('comments: ""\n'))).toEqual(['t.yaml: comments: is an empty string (line 10)']);
  });

  it('accepts half-U heights and converts every weight unit', () => {
    const half = parseNetboxDeviceType('t.yaml', minimal('weight: 16\nweight_unit: oz\n').replace('u_height: 1', 'u_height: 0.5'), validator);
    expect(half.ok && half.deviceType.heightU).toBe(0.5);
    expect(half.ok && half.deviceType.weightKg).toBe(0.454);
    const grams = parseNetboxDeviceType('t.yaml', minimal('weight: 450\nweight_unit: g\n'), validator);
    expect(grams.ok && grams.deviceType.weightKg).toBe(0.45);
  });

  it('reads accelerators from a description', () => {
    const r = parseNetboxDeviceType('t.yaml', minimal('description: 8U server, 8x NVIDIA H200 GPUs\n'), validator);
    expect(r.ok && r.deviceType.accelerators).toEqual([{ count: 8, descriptor: 'NVIDIA H200', catalogueId: 'h200-sxm', source: 'description' }]);
  });
});

describe('identity and re-import', () => {
  it('hashes content, not formatting', () => {
    const a = parseNetboxDeviceType('a.yaml', minimal(), validator);
    const reordered = `# a comment\nslug: acme-box-1\nmodel: "Box 1"\nmanufacturer: Acme\nis_full_depth: true\nu_height: 1\npower-ports:\n  - {name: PSU1, type: iec-60320-c14, maximum_draw: 500}\n`;
    const b = parseNetboxDeviceType('b.yaml', reordered, validator);
    const c = parseNetboxDeviceType('c.yaml', minimal().replace('500', '550'), validator);
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected all to parse');
    expect(a.deviceType.contentHash).toBe(b.deviceType.contentHash);
    expect(a.deviceType.contentHash).not.toBe(c.deviceType.contentHash);
    expect(a.deviceType.identityKey).toBe('acme/box 1');
  });

  it('skips unchanged types, flags changed ones and refuses a second definition of the same model', () => {
    const first = importNetboxLibrary([{ path: 'device-types/Acme/box-1.yaml', text: minimal() }], validator);
    const stored = new Map(first.deviceTypes.map((d) => [d.deviceType.identityKey, d.deviceType.contentHash]));
    expect(first.deviceTypes[0].status).toBe('new');
    const second = importNetboxLibrary(
      [
        { path: 'device-types/Acme/box-1.yaml', text: minimal() },
        { path: 'device-types/Acme/box-1-copy.yaml', text: minimal() },
        { path: 'README.md', text: '' },
      ],
      validator,
      stored,
    );
    expect(second.unchanged).toEqual([{ file: 'device-types/Acme/box-1.yaml', identityKey: 'acme/box 1' }]);
    expect(second.rejected.map((r) => r.errors.map(formatImportIssue)[0])).toEqual([
      'device-types/Acme/box-1-copy.yaml: model: "Acme Box 1" is already defined by device-types/Acme/box-1.yaml',
      'README.md: (file): not a .yaml/.yml file under device-types/ or module-types/',
    ]);
    const changed = importNetboxLibrary([{ path: 'device-types/Acme/box-1.yaml', text: minimal().replace('500', '600') }], validator, stored);
    expect(changed.deviceTypes[0].status).toBe('changed');
  });

  it('imports the whole fixture library in one call', () => {
    const result = importNetboxLibrary(allFiles.map((path) => ({ path, text: read(path) })), validator);
    expect(result.rejected.map((r) => r.file).sort()).toEqual(Object.keys(KNOWN_BAD).sort());
    expect(result.deviceTypes).toHaveLength(36);
    expect(result.moduleTypes).toHaveLength(8);
  });
});

describe('helpers', () => {
  it('maps NetBox interface types to kind and speed', () => {
    expect(mapInterfaceType('400gbase-x-osfp')).toEqual({ kind: 'ethernet', speedGbps: 400 });
    expect(mapInterfaceType('1000base-t')).toEqual({ kind: 'ethernet', speedGbps: 1 });
    expect(mapInterfaceType('100base-tx')).toEqual({ kind: 'ethernet', speedGbps: 0.1 });
    expect(mapInterfaceType('2.5gbase-t')).toEqual({ kind: 'ethernet', speedGbps: 2.5 });
    expect(mapInterfaceType('infiniband-ndr')).toEqual({ kind: 'infiniband', speedGbps: 400 });
    expect(mapInterfaceType('infiniband-xdr')).toEqual({ kind: 'infiniband', speedGbps: 800 });
    expect(mapInterfaceType('32gfc-sfp28')).toEqual({ kind: 'fibre-channel', speedGbps: 32 });
    expect(mapInterfaceType('lag')).toEqual({ kind: 'other', speedGbps: null });
  });

  it('classifies module bays', () => {
    expect(moduleBayPurpose('PSU 1')).toBe('psu');
    expect(moduleBayPurpose('PS2')).toBe('psu');
    expect(moduleBayPurpose('SXM5')).toBe('gpu');
    expect(moduleBayPurpose('NUMA 0 - PCIe slot 1 - FH')).toBe('pcie');
    expect(moduleBayPurpose('OCP 3.0')).toBe('ocp');
    expect(moduleBayPurpose('SmartSlot')).toBe('other');
  });

  it('computes SHA-256 and canonical JSON', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('a'.repeat(1000))).toBe('41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3');
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});
