/**
 * NAT behaviour as RFC 4787 / RFC 5382 / RFC 6888 policies, with the classic names as presets.
 * @see https://www.rfc-editor.org/rfc/rfc4787
 */
import type { PortBlockPolicy } from './port-blocks.js';

/** How an internal endpoint's packets are given external endpoints (RFC 4787 §4.1). */
export type MappingBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** Which inbound packets a mapping admits (RFC 4787 §5). */
export type FilteringBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** How external ports are picked (RFC 4787 §4.2.1). */
export type PortAssignment = 'preserve' | 'sequential' | 'random';

/** How external addresses are picked when there are several (RFC 4787 §4.1, REQ-2). */
export type AddressPooling = 'paired' | 'arbitrary';

/** Mapping timers in seconds. */
export interface NatTimers {
  /** UDP mapping idle timeout; RFC 4787 REQ-5 recommends ≥ 300 s. */
  udp: number;
  /** TCP during handshake or close (RFC 5382 REQ-5: ≥ 240 s). */
  tcpTransitory: number;
  /** TCP established idle timeout (RFC 5382 REQ-5: ≥ 7440 s). */
  tcpEstablished: number;
  /** ICMP query mappings (RFC 5508: ≥ 60 s). */
  icmp: number;
}

/** The complete behaviour of one NAT. Every field is independent of the others. */
export interface NatPolicy {
  /** `napt` translates ports; `one-to-one` maps whole addresses (see `oneToOne`); `none` routes only. */
  mode: 'napt' | 'one-to-one' | 'none';
  mapping: MappingBehavior;
  filtering: FilteringBehavior;
  portAssignment: PortAssignment;
  /** Keep ports 0–1023 and 1024–65535 apart (RFC 4787 REQ-3 a). */
  portRangePreservation: boolean;
  /** Keep even/odd parity of the internal port (RFC 4787 REQ-3 b, optional). */
  portParity: boolean;
  pooling: AddressPooling;
  hairpinning: boolean;
  timers: NatTimers;
  /** Inbound packets also refresh a mapping (RFC 4787 REQ-6 makes this optional). */
  refreshOnInbound: boolean;
  /** Most dynamic mappings one internal address may hold (0 = unlimited). RFC 6888 REQ-4. */
  portQuota: number;
  /** Seconds before a freed external port is given to another internal address (RFC 6888 REQ-8). */
  portReuseDelay: number;
  /** For `one-to-one`: internal address ↔ external address pairs (dotted quads). */
  oneToOne: ReadonlyArray<{ internal: string; external: string }>;
  /**
   * Destinations translation is turned off for (RFC 6888 REQ-6): `"198.51.100.0/24"`,
   * `"198.51.100.53:53"`, `"192.0.2.0/24:8000-8099"`. Packets to them keep their internal
   * source, and their replies are routed back to it.
   */
  excludedDestinations: readonly string[];
  /**
   * Bulk port allocation (RFC 6888 §5, RFC 7422): each internal address gets blocks of `size`
   * consecutive external ports, at most `perSubscriber` of them, and its mappings use only those
   * ports. `null`: ports are given one mapping at a time.
   */
  portBlocks: PortBlockPolicy | null;
}

export const DEFAULT_TIMERS: NatTimers = { udp: 300, tcpTransitory: 240, tcpEstablished: 7440, icmp: 60 };

const base: NatPolicy = {
  mode: 'napt',
  mapping: 'endpoint-independent',
  filtering: 'endpoint-independent',
  portAssignment: 'preserve',
  portRangePreservation: true,
  portParity: false,
  pooling: 'paired',
  hairpinning: true,
  timers: DEFAULT_TIMERS,
  refreshOnInbound: false,
  portQuota: 0,
  portReuseDelay: 0,
  oneToOne: [],
  excludedDestinations: [],
  portBlocks: null,
};

/** Names of the built-in presets. */
export type NatPresetName = 'full-cone' | 'restricted-cone' | 'port-restricted-cone' | 'symmetric' | 'cgnat' | 'one-to-one' | 'open';

/** A preset: a name, a one-line description and the policy it stands for. */
export interface NatPreset {
  readonly name: NatPresetName;
  readonly description: string;
  readonly policy: NatPolicy;
}

/** The classic names, as data over the RFC 4787 policies. */
export const NAT_PRESETS: Readonly<Record<NatPresetName, NatPreset>> = {
  'full-cone': {
    name: 'full-cone',
    description: 'endpoint-independent mapping and filtering: any host may reach a mapped port',
    policy: { ...base },
  },
  'restricted-cone': {
    name: 'restricted-cone',
    description: 'endpoint-independent mapping, address-dependent filtering',
    policy: { ...base, filtering: 'address-dependent' },
  },
  'port-restricted-cone': {
    name: 'port-restricted-cone',
    description: 'endpoint-independent mapping, address-and-port-dependent filtering (most home routers)',
    policy: { ...base, filtering: 'address-and-port-dependent' },
  },
  symmetric: {
    name: 'symmetric',
    description: 'a new external port per destination, address-and-port-dependent filtering, random ports',
    policy: {
      ...base,
      mapping: 'address-and-port-dependent',
      filtering: 'address-and-port-dependent',
      portAssignment: 'random',
      hairpinning: false,
    },
  },
  cgnat: {
    name: 'cgnat',
    description:
      'carrier-grade NAT per RFC 6888: EIM, EIF, paired pooling, port quota, 120 s reuse delay (add excludedDestinations, portBlocks)',
    policy: {
      ...base,
      portAssignment: 'random',
      pooling: 'paired',
      portQuota: 2000,
      portReuseDelay: 120,
    },
  },
  'one-to-one': {
    name: 'one-to-one',
    description: '1:1 NAT: each listed internal address has its own external address, ports unchanged',
    policy: { ...base, mode: 'one-to-one' },
  },
  open: {
    name: 'open',
    description: 'no translation: a plain router (pair it with a firewall for a firewall-only gateway)',
    policy: { ...base, mode: 'none' },
  },
};

/** Overrides on top of a preset; timers may be overridden one by one. */
export type NatPolicyOverrides = Partial<Omit<NatPolicy, 'timers'>> & { timers?: Partial<NatTimers> };

/** Builds a policy from a preset name and overrides. */
export function natPolicy(preset: NatPresetName = 'port-restricted-cone', overrides: NatPolicyOverrides = {}): NatPolicy {
  const p = NAT_PRESETS[preset].policy;
  return { ...p, ...overrides, timers: { ...p.timers, ...overrides.timers } };
}
