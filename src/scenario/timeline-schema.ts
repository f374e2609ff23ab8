/**
 * The `timeline:` of a scenario file: an ordered list of events (wait, reboot, wan-address, link,
 * map, keepalive) and checks, played in one network on the model's injected clock.
 */
import { z } from 'zod';
import { isIPv4 } from '../nat/address.js';
import type { checkSchema as CheckSchema } from './schema.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an id of letters, digits, ".", "_" or "-"');
const ipv4 = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'an IPv4 address such as 192.168.1.10')
  .refine(isIPv4, 'an IPv4 address such as 192.168.1.10');
const port = z.number().int().min(1).max(65535);

/** Most entries a timeline may have. */
export const MAX_TIMELINE_ENTRIES = 1000;

/** Most keepalive rounds one wait may run (a bound on the work a file can ask for). */
export const MAX_KEEPALIVES_PER_WAIT = 100_000;

/** Longest duration one `wait` (or a keepalive interval) may name: 30 days. */
export const MAX_DURATION_MS = 30 * 24 * 3600 * 1000;

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
const DURATION = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|min|h)$/;

/** Milliseconds of a duration such as `90s`, `2min`, `1.5h`, `250ms`; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * UNITS[m[2]!]!);
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** A duration with a unit: "90s", "2min", "1h", "500ms" (more than 0, at most 30 days). */
export const durationSchema = z
  .string()
  .refine(
    (s) => parseDuration(s) !== undefined,
    'a duration with a unit such as "90s", "2min", "1h" or "500ms" (more than 0, at most 30 days)',
  );

export const waitEventSchema = z.strictObject({ wait: durationSchema.describe('let model time pass (keepalives run meanwhile)') });
export const rebootEventSchema = z.strictObject({
  reboot: id.describe('router that restarts: NAT sessions and dynamic (UPnP/NAT-PMP) mappings are lost, static forwards stay'),
});
export const wanAddressEventSchema = z.strictObject({
  'wan-address': z.strictObject({
    router: id,
    address: ipv4.describe('the new primary WAN address'),
    mappings: z
      .enum(['keep', 'drop'])
      .optional()
      .describe("dynamic port mappings: kept on the new address or dropped (default: the router's policy, keep)"),
  }),
});
export const linkEventSchema = z.strictObject({
  link: z.strictObject({ router: id, state: z.enum(['down', 'up']).describe("the router's WAN link") }),
});
/** Most FILTER entries one timeline map may carry (the router's own limit answers beyond its own). */
export const MAX_MAP_FILTERS = 16;

/** A FILTER as written: `a.b.c.d[/len][:port]` (no length = /32, no port = any); undefined when malformed. */
export function parsePcpFilter(text: string): { address: string; prefixLength: number; port: number } | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?(?::(\d{1,5}))?$/.exec(text);
  if (!m || !isIPv4(m[1]!)) return undefined;
  const prefixLength = m[2] === undefined ? 32 : Number(m[2]);
  const port = m[3] === undefined ? 0 : Number(m[3]);
  if (prefixLength > 32 || port > 65535) return undefined;
  return { address: m[1]!, prefixLength, port };
}

export const mapEventSchema = z.strictObject({
  map: z.strictObject({
    host: id.describe('the LAN host asking its router'),
    protocol: z.enum(['udp', 'tcp']),
    port: port.describe('the internal port (and the external port asked for)'),
    externalPort: port.optional().describe('default: the same as port'),
    via: z
      .enum(['upnp', 'natpmp', 'pcp'])
      .describe("the mapping protocol: UPnP through the router's in-process IGD, NAT-PMP or PCP through its port-control server"),
    lease: durationSchema.optional().describe('lease duration (default: permanent for UPnP, 7200 s for NAT-PMP and PCP)'),
    filter: z
      .array(
        z.string().refine((s) => parsePcpFilter(s) !== undefined, 'a remote peer such as 203.0.113.0/24:443, 198.51.100.9 or 0.0.0.0/0'),
      )
      .max(MAX_MAP_FILTERS)
      .optional()
      .describe('PCP FILTER options (via pcp only): the remote peers (prefix, optional :port) the mapping admits'),
  }),
});
export const keepaliveEventSchema = z.strictObject({
  keepalive: z.strictObject({
    host: id.describe('the host that sends'),
    to: id.describe('its peer in a call played earlier in the timeline'),
    every: durationSchema.optional().describe("interval (default: the host's app profile's keepalive interval)"),
  }),
});

/** The keys that name an entry's kind, in documentation order. */
export const TIMELINE_KINDS = ['wait', 'reboot', 'wan-address', 'link', 'map', 'keepalive', 'check'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/**
 * The schemas of a timeline check and entry, made from the scenario's check schema (passed in, so
 * that this module does not import schema.ts, which imports it).
 */
export function timelineSchemas(checkSchema: typeof CheckSchema) {
  const check = checkSchema.extend({
    resume: z
      .boolean()
      .optional()
      .describe('no new set-up: `from` sends the media of the call played earlier between from and to, to the addresses it learnt then'),
    protocol: z
      .enum(['udp', 'tcp'])
      .optional()
      .describe('with port: a reach probe: `from` connects to the address `to` published for this port'),
    port: port.optional().describe("with protocol: the reach probe's port on `to`"),
    address: ipv4.optional().describe('reach probe: connect to this address instead of the one `to` published'),
  });
  const entry = z
    .strictObject({
      wait: waitEventSchema.shape.wait.optional(),
      reboot: rebootEventSchema.shape.reboot.optional(),
      'wan-address': wanAddressEventSchema.shape['wan-address'].optional(),
      link: linkEventSchema.shape.link.optional(),
      map: mapEventSchema.shape.map.optional(),
      keepalive: keepaliveEventSchema.shape.keepalive.optional(),
      check: z
        .union([z.string().describe('the name of a check in checks:'), check])
        .optional()
        .describe('a check that sees the state the timeline produced so far'),
    })
    .superRefine((e, ctx) => {
      const kinds = TIMELINE_KINDS.filter((k) => e[k] !== undefined);
      // An unknown key is already reported (with a "did you mean"); a second message about the
      // same entry would only repeat it.
      if (kinds.length === 0 && ctx.issues.some((i) => i.code === 'unrecognized_keys')) return;
      if (kinds.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `exactly one of ${TIMELINE_KINDS.join(', ')} per timeline entry${kinds.length ? ` (this one has ${kinds.join(' and ')})` : ''}`,
        });
      }
    });
  return { check, entry };
}
