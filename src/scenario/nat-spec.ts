/** The NAT policy a scenario's `nat:` field stands for. */
import { type NatPolicy, natPolicy } from '../nat/policy.js';
import type { NatSpec } from './schema.js';

/** The NAT policy a scenario's `nat:` field stands for (null = no NAT). */
export function natFromSpec(spec: NatSpec): NatPolicy | null {
  if (spec === 'none') return null;
  if (typeof spec === 'string') return natPolicy(spec);
  const { preset, timers, ...rest } = spec;
  const overrides = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return natPolicy(preset ?? 'port-restricted-cone', {
    ...overrides,
    ...(timers ? { timers: Object.fromEntries(Object.entries(timers).filter(([, v]) => v !== undefined)) } : {}),
  });
}
