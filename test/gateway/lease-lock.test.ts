/**
 * One writer per lease file (src/gateway/lease-lock.ts): a live holder refuses a second one, a
 * lock whose process is gone (kill -9) or whose content is damaged is taken over, release is
 * safe twice and never removes a lock someone else took over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLeaseLock, LeaseFileLockedError, leaseLockPath } from '../../src/gateway/lease-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'natsim-lease-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let stale = 0;

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid ?? 0;
}

describe('lease file lock', () => {
  it('is held from acquire to release, with this process id in FILE.lock', () => {
    const file = join(dir, 'a.journal');
    const lock = acquireLeaseLock(file);
    expect(readFileSync(leaseLockPath(file), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(existsSync(leaseLockPath(file))).toBe(false);
    lock.release();
    expect(existsSync(leaseLockPath(file))).toBe(false);
  });

  it('refuses a second holder in the same process, naming the file, the pid and what to do', () => {
    const file = join(dir, 'b.journal');
    const lock = acquireLeaseLock(file);
    try {
      expect(() => acquireLeaseLock(file)).toThrow(new LeaseFileLockedError(file, process.pid));
      expect(() => acquireLeaseLock(file)).toThrow(
        `lease file ${file} is in use by process ${process.pid} (lock ${file}.lock); stop that natsim or give this one another --lease-file`,
      );
    } finally {
      lock.release();
    }
    acquireLeaseLock(file).release();
  });

  it('refuses while another live process holds it', async () => {
    const file = join(dir, 'c.journal');
    const holder = spawn('sleep', ['30']);
    try {
      writeFileSync(leaseLockPath(file), `${holder.pid}\n`);
      let caught: unknown;
      try {
        acquireLeaseLock(file);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(LeaseFileLockedError);
      expect((caught as LeaseFileLockedError).pid).toBe(holder.pid);
      expect((caught as LeaseFileLockedError).code).toBe('LEASE_FILE_LOCKED');
      expect(readFileSync(leaseLockPath(file), 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      const gone = once(holder, 'exit');
      holder.kill('SIGKILL');
      await gone;
    }
    // Its holder is gone (as after kill -9): the lock is stale and taken over.
    const lock = acquireLeaseLock(file);
    expect(readFileSync(leaseLockPath(file), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it.each([
    ['the pid of a process that has exited', () => `${deadPid()}\n`],
    ['an empty file (a crash between create and write)', () => ''],
    ['text that is not a pid', () => 'natsim\n'],
    ['pid 0', () => '0\n'],
  ])('takes over a lock holding %s', (_what, content) => {
    const file = join(dir, `stale-${(stale += 1)}.journal`);
    writeFileSync(leaseLockPath(file), content());
    const lock = acquireLeaseLock(file);
    expect(readFileSync(leaseLockPath(file), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(existsSync(leaseLockPath(file))).toBe(false);
  });

  it('release leaves alone a lock another process took over meanwhile', () => {
    const file = join(dir, 'd.journal');
    const lock = acquireLeaseLock(file);
    writeFileSync(leaseLockPath(file), '1\n');
    lock.release();
    expect(readFileSync(leaseLockPath(file), 'utf8')).toBe('1\n');
    rmSync(leaseLockPath(file));
  });
});
