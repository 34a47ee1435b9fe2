import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Whether `pid` is a live process. A zombie counts as gone: the sandbox's PID 1
 * does not always reap the orphans it inherits, and a stopped postmaster whose
 * parent (pg_ctl) has exited would otherwise look alive forever.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." — the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is all we have
  }
}

/** The running postmaster's pid from `postmaster.pid`, or undefined when no live server owns the directory. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Stops a postmaster with a fast shutdown (SIGINT: sessions end, the data is
 * checkpointed) and waits until it is gone; escalates to an immediate shutdown
 * after `timeoutMs`. A signal works from root and from the server's own user,
 * without pg_ctl's rule that it must run as the data directory's owner.
 */
export async function stopPostmaster(pid: number, timeoutMs = 30_000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {}
  };
  signal('SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) signal('SIGQUIT');
    await sleep(50);
  }
}

export interface OsUser {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. Under root the server runs as the
 * `postgres` OS user (created when missing, as Debian's packages would);
 * otherwise as whoever we are (undefined).
 */
export function serverOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    spawnSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** Whether `user` can reach `target` (`-x`: run it, or traverse into it; `-w`: write to it). */
export function canAccess(user: OsUser | undefined, target: string, test: '-x' | '-w' = '-x'): boolean {
  if (!user) return true;
  return spawnSync('test', [test, target], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * Starts a detached watchdog that stops the postmaster once `ownerPid` is gone:
 * a crashed or `kill -9`ed owner never leaves a server behind. It exits by
 * itself when the server stops first.
 */
export function watchOwner(ownerPid: number, postmaster: number, removeDir?: string): void {
  const script = path.join(import.meta.dirname, 'watchdog.ts');
  const args = ['--import', 'tsx', script, String(ownerPid), String(postmaster)];
  if (removeDir) args.push(removeDir);
  // From the checkout, where `tsx` resolves (as it does for every script here).
  const cwd = path.resolve(import.meta.dirname, '../..');
  spawn(process.execPath, args, { cwd, detached: true, stdio: 'ignore' }).unref();
}
