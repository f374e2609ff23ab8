/**
 * The error natsim's library API throws when it is called wrongly: a stable `code` to branch on,
 * and a message that names the function and the option (never a command-line flag).
 */

/** Stable codes of {@link NatsimError}. */
export type NatsimErrorCode =
  /** An option has the wrong type or an out-of-range value; `option` names it. */
  | 'ERR_NATSIM_INVALID_OPTION'
  /** An argument is not what the function takes (e.g. a file path where a scenario was expected). */
  | 'ERR_NATSIM_INVALID_ARGUMENT'
  /** No shipped scenario has that name. */
  | 'ERR_NATSIM_UNKNOWN_SCENARIO'
  /** The scenario has no router of that id. */
  | 'ERR_NATSIM_UNKNOWN_ROUTER'
  /** `listen` names no interface, or an address no running interface has. */
  | 'ERR_NATSIM_NO_INTERFACE'
  /** The machine cannot host the lab (a program, /dev/net/tun or namespace permission is missing); the reason names it. */
  | 'ERR_NATSIM_LAB_UNAVAILABLE';

/** Where a {@link NatsimError} arose: the function, the option, and what is wrong in a sentence. */
export interface NatsimErrorDetails {
  /** The API function, e.g. `startGateway`. */
  readonly fn?: string;
  /** The option at fault, e.g. `listen`. */
  readonly option?: string;
  /** What is wrong, without the function and option. */
  readonly reason: string;
  readonly cause?: unknown;
}

/**
 * A misuse of natsim's API with a stable {@link NatsimErrorCode}. The message reads
 * `startGateway(): option "nat": …`; `option` and `reason` give the parts (a command line can
 * print its own flag name with `reason`).
 */
export class NatsimError extends Error {
  override readonly name = 'NatsimError';
  readonly fn: string | undefined;
  readonly option: string | undefined;
  readonly reason: string;
  constructor(
    readonly code: NatsimErrorCode,
    details: NatsimErrorDetails,
  ) {
    const where = [details.fn ? `${details.fn}()` : '', details.option ? `option "${details.option}"` : ''].filter(Boolean).join(': ');
    super(where ? `${where}: ${details.reason}` : details.reason, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.fn = details.fn;
    this.option = details.option;
    this.reason = details.reason;
  }
}

/** How a value is described in an error: a short quote of a string or number, else its kind. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return String(value);
}
