/**
 * Real peer services for integration tests (snmpd, slurmctld, victoria-metrics, …): each is started from its Debian
 * package's binary in a throwaway folder on a high loopback port, waited for, and stopped by its own PID (never by
 * name), with its output kept for the failure message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { freePort } from '@/server/db/embedded';
export { requirePackageBinary } from '../scripts/debian-packages';

export type Daemon = {
  name: string;
  pid: number;
  /** The last lines it printed (stdout and stderr together). */
  output: () => string;
  stop: () => Promise<void>;
};

/** A temp folder removed by `cleanup`. */
export function tempFolder(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `plenum-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts `command` in the foreground (the daemon's own "don't fork" flag is the caller's job) and resolves once
 * `ready()` answers true, or rejects with its output after `timeoutMs`.
 */
export async function startDaemon(
  name: string,
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; ready: () => Promise<boolean>; timeoutMs?: number; uid?: number; gid?: number },
): Promise<Daemon> {
  const lines: string[] = [];
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
    ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
  });
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  const output = () => lines.join('\n');
  const stop = async () => {
    if (exited !== undefined || child.pid === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited with ${exited} before it was ready:\n${output()}`);
    if (await opts.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready after ${opts.timeoutMs ?? 20_000} ms:\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, pid: child.pid as number, output, stop };
}
