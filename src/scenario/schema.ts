/**
 * The scenario file format (a public contract). The zod schema here is the single source: the
 * loader validates with it and `schema/scenario.schema.json` is generated from it.
 */
import { z } from 'zod';
import { isIPv4, parsePrefix } from '../nat/address.js';
import { parseExclusion } from '../nat/excluded-destinations.js';
import { parsePermissionRule } from '../nat/permissions.js';
import { NAT_PRESETS, type NatPresetName } from '../nat/policy.js';
import { portRange } from './port-range.js';
import { MAX_TIMELINE_ENTRIES, timelineSchemas } from './timeline-schema.js';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an id of letters, digits, ".", "_" or "-"');
const ipv4 = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'an IPv4 address such as 192.168.1.10')
  .refine(isIPv4, 'an IPv4 address such as 192.168.1.10');
const prefix = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/, 'an IPv4 prefix such as 192.168.1.0/24')
  .refine((s) => {
    try {
      parsePrefix(s);
      return true;
    } catch {
      return false;
    }
  }, 'an IPv4 prefix such as 192.168.1.0/24');
const port = z.number().int().min(1).max(65535);
/** A port or an inclusive range: 1503, "6891-6900". */
const portSpec = z.union([
  port,
  z
    .string()
    .regex(/^\d{1,5}(-\d{1,5})?$/, 'a port or a range such as "6891-6900"')
    .refine((s) => {
      const { from, to } = portRange(s);
      return from >= 1 && to <= 65535 && from <= to;
    }, 'a port 1–65535 or a rising range such as "6891-6900"'),
]);
const behavior = z.enum(['endpoint-independent', 'address-dependent', 'address-and-port-dependent']);
const presetNames = Object.keys(NAT_PRESETS) as [NatPresetName, ...NatPresetName[]];

/** NAT: a preset name, 'none', or a preset plus overridden policies. */
export const natSchema = z.union([
  z.enum([...presetNames, 'none']),
  z.strictObject({
    preset: z.enum(presetNames).optional().describe('start from this preset (default port-restricted-cone)'),
    mapping: behavior.optional(),
    filtering: behavior.optional(),
    portAssignment: z.enum(['preserve', 'sequential', 'random']).optional(),
    portRangePreservation: z.boolean().optional(),
    portParity: z.boolean().optional(),
    pooling: z.enum(['paired', 'arbitrary']).optional(),
    hairpinning: z.boolean().optional(),
    refreshOnInbound: z.boolean().optional(),
    portQuota: z.number().int().min(0).optional(),
    portReuseDelay: z.number().min(0).optional(),
    timers: z
      .strictObject({
        udp: z.number().positive().optional(),
        tcpTransitory: z.number().positive().optional(),
        tcpEstablished: z.number().positive().optional(),
        icmp: z.number().positive().optional(),
      })
      .optional(),
    oneToOne: z.array(z.strictObject({ internal: ipv4, external: ipv4 })).optional(),
    excludedDestinations: z
      .array(
        z.string().refine((s) => {
          try {
            parseExclusion(s);
            return true;
          } catch {
            return false;
          }
        }, 'a prefix such as 198.51.100.0/24, optionally with :port or :low-high'),
      )
      .optional()
      .describe('destinations not translated (RFC 6888 REQ-6), e.g. ["198.51.100.53:53"]'),
    portBlocks: z
      .strictObject({
        size: z.number().int().min(1).max(64512).describe('consecutive external ports per block'),
        perSubscriber: z.number().int().min(1).describe('most blocks one internal address may hold'),
      })
      .nullable()
      .optional()
      .describe('bulk port allocation per subscriber (RFC 6888 §5); null: per mapping'),
  }),
]);

export const firewallRuleSchema = z.strictObject({
  action: z.enum(['allow', 'deny']),
  direction: z.enum(['in', 'out', 'both']),
  protocol: z.enum(['udp', 'tcp', 'any']).optional(),
  from: prefix.optional().describe('source prefix'),
  to: prefix.optional().describe('destination prefix'),
  ports: portSpec.optional().describe('destination port or range'),
  sourcePorts: portSpec.optional(),
  name: z.string().optional(),
});

export const firewallSchema = z.strictObject({
  inbound: z.enum(['allow', 'deny']).describe('default policy for inbound packets'),
  outbound: z.enum(['allow', 'deny']).default('allow'),
  stateful: z.boolean().default(true).describe('admit replies to allowed outbound flows'),
  rules: z.array(firewallRuleSchema).default([]),
});

export const forwardSchema = z.strictObject({
  protocol: z.enum(['udp', 'tcp']),
  external: portSpec.describe('external port or range'),
  internal: ipv4.describe('LAN address to forward to'),
  internalPort: port.optional().describe('default: the same port(s) as external'),
  remoteHost: ipv4.optional(),
  description: z.string().optional(),
});

export const servicesSchema = z.strictObject({
  upnp: z.boolean().default(false),
  natpmp: z
    .boolean()
    .default(false)
    .describe('NAT-PMP (RFC 6886): served on UDP 5351 by natsim serve, used by apps and probes that discover with natpmp'),
  pcp: z.boolean().default(false).describe('PCP (RFC 6887) on the NAT-PMP port, where natpmp is served too'),
  proxy: z
    .boolean()
    .default(false)
    .describe(
      "a Winsock-style proxy (ISA Server firewall client): clients behind it connect and listen through the router's external address",
    ),
});

/** One miniupnpd.conf permission rule, e.g. "allow 1024-65535 192.168.1.0/24 1024-65535". */
const permissionRule = z.string().superRefine((text, ctx) => {
  try {
    parsePermissionRule(text);
  } catch (e) {
    const prefix = `permission rule "${text}": `;
    const m = (e as Error).message;
    ctx.addIssue({
      code: 'custom',
      message: `a rule "allow|deny ext-ports ip[/mask] int-ports" (${m.startsWith(prefix) ? m.slice(prefix.length) : m})`,
    });
  }
});

/** Which local mappings a router makes at its parent too, over PCP. */
const upstreamMode = z.enum(['iwf', 'proxy']);

export const upstreamSchema = z.strictObject({
  pcp: z
    .union([upstreamMode, z.array(upstreamMode).min(1)])
    .describe(
      "relay mappings to the parent router's PCP server: iwf (UPnP mappings, RFC 6970's IGD-PCP interworking function), proxy (PCP mappings, RFC 7648), or both as a list",
    ),
});

export const routerSchema = z.strictObject({
  parent: id.optional().describe("parent router id, or 'internet' (default)"),
  wan: z.union([ipv4, z.array(ipv4).min(1)]).describe('WAN address(es) on the parent network'),
  lan: prefix,
  lanAddress: ipv4.optional(),
  nat: natSchema.default('port-restricted-cone'),
  firewall: firewallSchema.optional(),
  forwards: z.array(forwardSchema).default([]),
  algs: z.array(z.enum(['sip', 'h323'])).default([]),
  services: servicesSchema.default({ upnp: false, natpmp: false, pcp: false, proxy: false }),
  profile: z.string().default('miniupnpd').describe('router profile used by `natsim serve`'),
  permissions: z
    .array(permissionRule)
    .optional()
    .describe(
      'port-mapping permission rules in miniupnpd.conf syntax ("allow|deny ext-ports ip/mask int-ports"), first match decides, none matching allows; default: miniupnpd\'s shipped rules, "allow 1024-65535 <lan> 1024-65535" then "deny 0-65535 0.0.0.0/0 0-65535"',
    ),
  wanUp: z.boolean().default(true),
  upstream: upstreamSchema
    .optional()
    .describe('make the mappings this router grants at its parent router too, over PCP (the parent must offer PCP)'),
  description: z.string().optional(),
});

/** A host's or server's further addresses on its network. */
const aliases = z
  .array(ipv4)
  .max(16)
  .optional()
  .describe(
    "more addresses the host holds on the same network (e.g. a STUN server's alternate address), each added to its interface in the lab",
  );

export const hostSchema = z.strictObject({
  router: id.optional().describe('router whose LAN the host is on; absent = the Internet'),
  address: ipv4,
  aliases,
  app: z.string().optional().describe('application profile the host runs (see `natsim presets`)'),
  admin: z
    .boolean()
    .default(true)
    .describe(
      'the user has administrative rights (without them, UPnP cannot open a firewall on a router without NAT, as with Windows XP ICF)',
    ),
  description: z.string().optional(),
});

export const serverSchema = z.strictObject({
  address: ipv4,
  aliases,
  router: id.optional(),
  role: z.enum(['signalling', 'reflector', 'relay']),
  description: z.string().optional(),
});

export const checkSchema = z.strictObject({
  name: z.string().optional(),
  from: id.describe('the initiating host (caller)'),
  to: id.describe('the other host (callee); for the classify probe, the reflector server'),
  feature: z.string().optional().describe("an app feature (e.g. 'av') or a probe (e.g. 'hole-punch')"),
  initiator: z.enum(['from', 'to']).default('from'),
  expect: z.enum(['works', 'fails', 'relayed']),
  classification: z
    .strictObject({ mapping: behavior, filtering: behavior })
    .optional()
    .describe("for the 'classify' probe: the expected RFC 5780 result"),
  after: z.array(z.string()).default([]).describe('checks played first, in the same network, whose state this one sees'),
  description: z.string().optional(),
});

const timeline = timelineSchemas(checkSchema);
/** A check written in a timeline (a check, a reach probe, or a resumed call). */
export const timelineCheckSchema = timeline.check;
/** One timeline entry: exactly one of wait, reboot, wan-address, link, map, keepalive, check. */
export const timelineEntrySchema = timeline.entry;

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  source: z.string().optional().describe('where the configuration comes from (e.g. a seed document)'),
  notes: z.string().optional(),
  seed: z.number().int().default(1),
  routers: z.record(id, routerSchema).default({}),
  hosts: z.record(id, hostSchema),
  servers: z.record(id, serverSchema).default({}),
  checks: z.array(checkSchema).default([]),
  timeline: z
    .array(timelineEntrySchema)
    .max(MAX_TIMELINE_ENTRIES)
    .optional()
    .describe('events and checks played in order in one network, on model time: each check sees the state the timeline produced so far'),
});

/** A scenario as written (defaults applied). */
export type ScenarioConfig = z.output<typeof scenarioSchema>;
export type RouterSpec = z.output<typeof routerSchema>;
export type HostSpec = z.output<typeof hostSchema>;
export type ServerSpec = z.output<typeof serverSchema>;
export type CheckSpec = z.output<typeof checkSchema>;
export type TimelineEntry = z.output<typeof timelineEntrySchema>;
export type TimelineCheckSpec = z.output<typeof timelineCheckSchema>;
export type NatSpec = z.output<typeof natSchema>;
export type FirewallSpec = z.output<typeof firewallSchema>;

/** The JSON Schema of scenario files, for editors. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const s = z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { $id: 'https://natsim.dev/schema/scenario.schema.json', title: 'natsim scenario', ...s };
}

export { portRange } from './port-range.js';
