/**
 * One writer per lease file. Beside the journal `FILE`, natsim keeps `FILE.lock`, created with
 * O_EXCL and holding the owner's process id. A second natsim (or `natsim leases import`) that
 * finds the lock of a live process refuses to start; a lock left by a process that no longer
 * exists (natsim was killed with SIGKILL) is stale and taken over, so a restart after a crash
 * needs no cleanup.
 *
 * Limits: the liveness check is by process id on this machine (a lock file on a network
 * filesystem shared by two machines is not detected), and a pid reused by another process
 * keeps the lock until that process ends.
 */
import { closeSync, constants, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** The lock file of a journal. */
export function leaseLockPath(journalPath: string): string {
  return `${journalPath}.lock`;
}

/** Thrown when another live process holds the lease file. */
export class LeaseFileLockedError extends Error {
  readonly code = 'LEASE_FILE_LOCKED';
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(
      `lease file ${path} is in use by process ${pid} (lock ${leaseLockPath(path)}); ` +
        'stop that natsim or give this one another --lease-file',
    );
    this.name = 'LeaseFileLockedError';
  }
}

/** A held lock; `release()` is safe twice. */
export interface LeaseLock {
  readonly path: string;
  release(): void;
}

/** Whether a process with this id exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid written in a lock file, or undefined when it is unreadable or damaged. */
function readOwner(lockPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^(\d{1,10})\n?$/.exec(text);
  const pid = m ? Number(m[1]) : Number.NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Journals this process holds (a second journal on one file in one process is refused too). */
const heldHere = new Set<string>();

function tryCreate(lockPath: string, pid: number): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, `${pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the lock of `journalPath` for this process, or throws {@link LeaseFileLockedError}
 * when a live process holds it. A stale or damaged lock is replaced.
 */
export function acquireLeaseLock(journalPath: string, pid: number = process.pid): LeaseLock {
  const lockPath = resolve(leaseLockPath(journalPath));
  // Two tries: the second after removing a stale lock (a racing starter may win it: then it holds).
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(lockPath, pid)) return heldLock(journalPath, lockPath, pid);
    const owner = readOwner(lockPath);
    const held = owner === pid ? heldHere.has(lockPath) : owner !== undefined && alive(owner);
    if (held && owner !== undefined) throw new LeaseFileLockedError(journalPath, owner);
    try {
      unlinkSync(lockPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const owner = readOwner(lockPath);
  throw new LeaseFileLockedError(journalPath, owner ?? 0);
}

function heldLock(path: string, lockPath: string, pid: number): LeaseLock {
  let held = true;
  heldHere.add(lockPath);
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(lockPath);
      // Only our own lock is removed (never one a later owner took over).
      if (readOwner(lockPath) === pid) {
        try {
          unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      }
    },
  };
}
