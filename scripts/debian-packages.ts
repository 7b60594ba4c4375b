/**
 * Debian packages that tests and benchmarks run as real peers (snmpd, slurmctld, prometheus, …): installed once by
 * `npm test` before the integration tests (as Chromium is before the e2e suite), or by a bench that needs one.
 *
 * Installing must not start anything: Debian's maintainer scripts start daemons on their standard ports (snmpd on
 * UDP 161, munged, slurmctld). A temporary `policy-rc.d` that answers 101 ("action forbidden") stops that; tests start
 * their own copies on high loopback ports in temp folders and stop them by PID.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';

/** Package → a file it installs (how we tell it is there without asking dpkg). */
export const TEST_PACKAGES: Readonly<Record<string, string>> = {
  snmpd: '/usr/sbin/snmpd',
  snmp: '/usr/bin/snmpwalk',
  'prometheus-snmp-exporter': '/usr/bin/prometheus-snmp-exporter',
  prometheus: '/usr/bin/prometheus',
  'victoria-metrics': '/usr/bin/victoria-metrics',
  munge: '/usr/sbin/munged',
  slurmctld: '/usr/sbin/slurmctld',
  slurmd: '/usr/sbin/slurmd',
  slurmrestd: '/usr/sbin/slurmrestd',
  'slurm-client': '/usr/bin/sbatch',
  // auth/jwt for slurmctld (AuthAltTypes), so slurmrestd can take JWT tokens
  'slurm-wlm-jwt-plugin': '/usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so',
};

const POLICY_RC = '/usr/sbin/policy-rc.d';

/** The named packages that are not installed yet. */
export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((p) => {
    const marker = TEST_PACKAGES[p];
    if (!marker) throw new Error(`unknown test package ${p}: add it to TEST_PACKAGES in scripts/debian-packages.ts`);
    return !existsSync(marker);
  });
}

/**
 * Installs the missing ones with apt-get (root only) without starting their services. Returns the packages still
 * missing afterwards, with the reason, so the caller can say exactly what to install by hand.
 */
export function ensureDebianPackages(packages: readonly string[], say: (line: string) => void = console.error): string[] {
  const missing = missingPackages(packages);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    say(`missing Debian packages (not root, cannot install): apt-get install ${missing.join(' ')}`);
    return missing;
  }
  say(`installing Debian packages (missing): ${missing.join(' ')}`);
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\n# written by plenum scripts/debian-packages.ts during an install\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
    if (r.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
    }
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
  const still = missingPackages(missing);
  if (still.length) say(`could not install Debian packages: apt-get install ${still.join(' ')}`);
  return still;
}

/** For tests: the path of a package's binary, or an error that says which package to install. */
export function requirePackageBinary(pkg: string, binary = TEST_PACKAGES[pkg]): string {
  if (!binary || !existsSync(binary)) {
    throw new Error(`${binary ?? pkg} is missing: install the Debian package ${pkg} (npm test installs it when run as root)`);
  }
  return binary;
}
