/**
 * Fault injection for tests: `gw.use({ action: 'AddPortMapping', fault: 718 })` makes the next
 * matching SOAP request fail with that UPnP error. Unused injections are reported by
 * `assertNoPendingFaults()` (and `stop({ strict: true })`), so an expectation never goes unmet silently.
 */
import { UPNP_ERROR_DESCRIPTIONS } from '../soap/errors.js';

/** One injected fault. */
export interface FaultInjection {
  /** Action name to match (e.g. `AddPortMapping`); absent = any action. */
  readonly action?: string;
  /** UPnP error code to answer with (e.g. 718), or an HTTP failure. */
  readonly fault: number | { readonly code: number; readonly description?: string } | { readonly http: number };
  /** How many requests it applies to (default 1; Infinity for all). */
  readonly times?: number;
  /** Delay before answering, ms (default 0). */
  readonly delayMs?: number;
}

interface Pending {
  readonly spec: FaultInjection;
  remaining: number;
}

/** The queue of injected faults. */
export class FaultQueue {
  #pending: Pending[] = [];

  add(...specs: FaultInjection[]): void {
    for (const spec of specs) {
      const times = spec.times ?? 1;
      if (!(times > 0)) throw new RangeError('times must be positive');
      if (typeof spec.fault === 'number' && !(spec.fault >= 100 && spec.fault <= 999))
        throw new RangeError(`not a UPnP error code: ${spec.fault}`);
      this.#pending.push({ spec, remaining: times });
    }
  }

  /** Takes the first injection matching `action`, if any. */
  /** True when no injection is waiting (the request path skips its checks then). */
  get empty(): boolean {
    return this.#pending.length === 0;
  }

  take(action: string): FaultInjection | undefined {
    const i = this.#pending.findIndex((p) => p.spec.action === undefined || p.spec.action === action);
    if (i < 0) return undefined;
    const p = this.#pending[i]!;
    p.remaining--;
    if (p.remaining <= 0) this.#pending.splice(i, 1);
    return p.spec;
  }

  /** Injections not used up (finite ones only). */
  pending(): FaultInjection[] {
    return this.#pending.filter((p) => Number.isFinite(p.remaining)).map((p) => p.spec);
  }

  clear(): void {
    this.#pending = [];
  }
}

/** `{ code, description }` of an injected UPnP fault. */
export function faultCode(f: FaultInjection['fault']): { code: number; description: string } | { http: number } {
  if (typeof f === 'number') return { code: f, description: UPNP_ERROR_DESCRIPTIONS[f] ?? 'Action Failed' };
  if ('http' in f) return { http: f.http };
  return { code: f.code, description: f.description ?? UPNP_ERROR_DESCRIPTIONS[f.code] ?? 'Action Failed' };
}
