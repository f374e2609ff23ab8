/**
 * Exit codes of the natsim command and the errors that carry them. Every failure the user can
 * cause ends in one sentence on stderr and one of these codes; only a natsim bug (exit 70) prints
 * a stack trace.
 */
import { CommanderError } from 'commander';
import { ScenarioError } from '../scenario/errors.js';

/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  /** Everything done; every expectation held. */
  ok: 0,
  /** An expectation failed, or a scenario file is invalid. */
  failed: 1,
  /** Usage error: unknown command or option, bad option value, unknown check name. */
  usage: 2,
  /** Environment error: port held or in use, no usable network interface, network unreachable. */
  environment: 3,
  /** Internal error: a bug in natsim (EX_SOFTWARE). */
  internal: 70,
} as const;

/** An error the CLI reports as one sentence with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (exit 2). */
export const usageError = (message: string): CliError => new CliError(message, EXIT.usage, 'NATSIM_USAGE');

/** An environment error (exit 3). */
export const environmentError = (message: string): CliError => new CliError(message, EXIT.environment, 'NATSIM_ENVIRONMENT');

/** Node system-error codes that mean "this machine's network will not let me", not a bug. */
const ENVIRONMENT_CODES: Record<string, string> = {
  EADDRINUSE: 'the address and port are already in use',
  EADDRNOTAVAIL: 'the address is not on any interface of this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENETUNREACH: 'the network is unreachable',
  EHOSTUNREACH: 'the host is unreachable',
  ENODEV: 'no such network device',
};

/**
 * Writes the error the way the CLI reports it and returns the exit code. Commander has already
 * printed its own usage errors; help and version exit 0.
 */
export function reportCliError(e: unknown, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (e instanceof CliError) {
    write(`error: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof ScenarioError) {
    write(e.message);
    return EXIT.failed;
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && ENVIRONMENT_CODES[code]) {
    const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
    const where = err.address !== undefined ? ` (${err.address}${err.port !== undefined ? `:${err.port}` : ''})` : '';
    write(`error: ${ENVIRONMENT_CODES[code]}${where}: ${err.message}`);
    return EXIT.environment;
  }
  write(`natsim: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return EXIT.internal;
}
