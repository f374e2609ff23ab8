/**
 * The process's file-descriptor budget, as far as the HTTP server needs it. When descriptors run
 * out, libuv accepts and closes each waiting connection itself (its "EMFILE trick") and Node is
 * never told, so the server cannot react to EMFILE after the fact: it has to stay below the
 * limit. On Linux the limit and the descriptors in use are read from /proc; elsewhere nothing is
 * known and the configured cap alone applies.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors kept free for everything that is not an HTTP connection (GENA, files, DNS …). */
export const FD_RESERVE = 64;

/** The soft RLIMIT_NOFILE, or undefined when it cannot be read (not Linux, unlimited). */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors open in this process now, or undefined when unknown. */
export function openFileCount(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}
