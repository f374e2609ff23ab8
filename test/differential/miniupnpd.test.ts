/**
 * Differential test: the same SOAP sequence against the real miniupnpd (Debian miniupnpd-nftables
 * 2.3.1) and natsim's gateway (default profile `miniupnpd`, IGD:2), both in one router network
 * namespace and both asked from the same lan namespace (client 10.77.0.2), so secure mode and the
 * permission rules see the same requester. lab.sh builds and always deletes the namespaces (unique
 * names, nothing in the machine's own namespace); soap-client.ts runs inside the lan namespace.
 *
 * A third gateway, natsim with the miniupnpd-2.3.1 profile, gets the same steps: it must answer as
 * miniupnpd on the `version` and `specification` rows of KNOWN_DIFFERENCES and as natsim elsewhere.
 *
 * Every step must give the same outcome (success or UPnP error code) and the same key fields,
 * except the rows of KNOWN_DIFFERENCES; a known difference that no longer occurs fails too, so the
 * table stays true. The full comparison is written to the temp dir (natsim-differential-RESULTS.md),
 * or to test/differential/RESULTS.md with NATSIM_WRITE_RESULTS=1.
 *
 * Needs root, iproute2, nftables, miniupnpd-nftables and coturn (`npm test` installs them as root);
 * without them it fails, naming what is missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabProcess, startLabProcess } from './lab-process.js';
import type { WireResult, WireStep } from './soap-client.js';
import type { SsdpResult, SsdpSearch } from './ssdp-client.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HERE = 'test/differential';
// The committed table is refreshed with NATSIM_WRITE_RESULTS=1; ordinary runs write a copy to the temp dir.
const RESULTS =
  process.env.NATSIM_WRITE_RESULTS === '1'
    ? fileURLToPath(new URL('./RESULTS.md', import.meta.url))
    : join(tmpdir(), 'natsim-differential-RESULTS.md');

const IPC = 'urn:schemas-upnp-org:service:WANIPConnection:2';
const CFG = 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1';
const L3F = 'urn:schemas-upnp-org:service:Layer3Forwarding:1';
const ME = '10.77.0.2';
const OTHER = '10.77.0.99';
/** A second LAN client (lab.sh gives the lan namespace both addresses). */
const ME2 = '10.77.0.3';

/** `natsim-2.3.1`: a second natsim gateway with the miniupnpd-2.3.1 profile, asked the same steps. */
type Target = 'miniupnpd' | 'natsim' | 'natsim-2.3.1';
const TARGETS: readonly Target[] = ['miniupnpd', 'natsim', 'natsim-2.3.1'];
/** Each gateway's own HTTP port (lab.sh). */
const OWN_HTTP_PORT: Record<Target, number> = { miniupnpd: 49000, natsim: 49010, 'natsim-2.3.1': 49020 };
/** The kinds of difference the miniupnpd-2.3.1 profile exists to reproduce. */
const PROFILE_231_KINDS: ReadonlySet<DiffKind> = new Set<DiffKind>(['version', 'specification']);

/** One step of the sequence. */
interface Step {
  readonly name: string;
  readonly action: string;
  readonly service?: string;
  readonly path?: string;
  readonly args?: ReadonlyArray<readonly [string, string]> | ((t: Target) => ReadonlyArray<readonly [string, string]>);
  /** Send from this LAN address (default ME). */
  readonly from?: string;
  /** Response fields that must be equal. */
  readonly compare?: readonly string[];
  /** Numeric response fields that must agree within a few seconds (leases). */
  readonly approx?: readonly string[];
  /** Fields shown in the table but not compared (counters, uptime, link speed …). */
  readonly show?: readonly string[];
  /** Rewrites a field before comparison (e.g. strips a device UUID). */
  readonly normalize?: Readonly<Record<string, (v: string) => string>>;
  /**
   * Sent to the lab's STUN-less gateways instead: a second miniupnpd without its STUN check
   * (nostun-miniupnpd.sh) and natsim gateways with `allowReservedWan: false`, all on the reserved
   * WAN address 100.64.0.1, so port forwarding is disabled in each.
   */
  readonly nostun?: true;
}

/** A row computed from several steps' answers (e.g. the mapping table read by index, as a set). */
interface Derived {
  readonly name: string;
  readonly derive: (byName: ReadonlyMap<string, WireResult>) => string;
}

const add = (
  ext: string | number,
  proto: string,
  int: string | number,
  client: string,
  lease: string | number,
  desc = 'natsim-diff',
  rhost = '',
): Array<[string, string]> => [
  ['NewRemoteHost', rhost],
  ['NewExternalPort', String(ext)],
  ['NewProtocol', proto],
  ['NewInternalPort', String(int)],
  ['NewInternalClient', client],
  ['NewEnabled', '1'],
  ['NewPortMappingDescription', desc],
  ['NewLeaseDuration', String(lease)],
];
const specific = (ext: number | string, proto: string, rhost = ''): Array<[string, string]> => [
  ['NewRemoteHost', rhost],
  ['NewExternalPort', String(ext)],
  ['NewProtocol', proto],
];
const range = (start: number, end: number, proto: string, extra: Array<[string, string]> = []): Array<[string, string]> => [
  ['NewStartPort', String(start)],
  ['NewEndPort', String(end)],
  ['NewProtocol', proto],
  ['NewManage', '1'],
  ...extra,
];
const ENTRY = ['NewInternalClient', 'NewInternalPort', 'NewEnabled', 'NewPortMappingDescription'];
const GENERIC_SHOW = [
  'NewRemoteHost',
  'NewExternalPort',
  'NewProtocol',
  'NewInternalClient',
  'NewInternalPort',
  'NewPortMappingDescription',
  'NewLeaseDuration',
];
/**
 * GetGenericPortMappingEntry 0, 1, … (past the end: 713). Index rows compare the outcome only:
 * the order of the table is the firewall backend's, so the entries are compared as a set by the
 * derived rows below.
 */
const generic = (group: string, n: number): Step[] =>
  Array.from({ length: n }, (_, i) => ({
    name: `${group} GetGenericPortMappingEntry ${i}`,
    action: 'GetGenericPortMappingEntry',
    args: [['NewPortMappingIndex', String(i)]],
    show: GENERIC_SHOW,
  }));
/** miniupnpd 2.3.1 sends 64 bytes of a longer description and then whatever follows on its stack. */
const longDescription = (v: string): string =>
  v.replace(
    /^(d{10,})([\s\S]*)$/,
    (_m, d: string, rest: string) =>
      `d×${d.length}${rest === '' ? '' : rest === '0123456789' ? rest : ` + ${[...rest].length} stray characters`}`,
  );
const genericEntries = (group: string, byName: ReadonlyMap<string, WireResult>): Array<Record<string, string>> =>
  [...byName.entries()]
    .filter(([k, r]) => k.startsWith(`${group} GetGenericPortMappingEntry`) && r.errorCode === undefined)
    .map(([, r]) => r.fields);
const genericDerived = (group: string): Derived[] => [
  {
    name: `${group} entries as a set (order, NewRemoteHost and description bytes past 63 ignored)`,
    derive: (m) =>
      genericEntries(group, m)
        .map(
          (f) =>
            `${f.NewProtocol} ${f.NewExternalPort}→${f.NewInternalClient}:${f.NewInternalPort} "${longDescription((f.NewPortMappingDescription ?? '').slice(0, 63))}"`,
        )
        .sort()
        .join('; '),
  },
  {
    name: `${group} order (external ports by index)`,
    derive: (m) =>
      genericEntries(group, m)
        .map((f) => f.NewExternalPort)
        .join(','),
  },
  {
    name: `${group} NewRemoteHost of TCP 40011 (mapped with remote host 100.64.0.2)`,
    derive: (m) => `"${genericEntries(group, m).find((f) => f.NewExternalPort === '40011')?.NewRemoteHost ?? '(absent)'}"`,
  },
];
/** The external ports of a GetListOfPortMappings listing. */
const listedPorts = (v: string): string[] => [...v.matchAll(/<p:NewExternalPort>(\d+)</g)].map((m) => m[1]!);
const QSV = 'urn:schemas-upnp-org:control-1-0';

/** The sequence, sent in this order to each gateway (each keeps its own state). */
const STEPS: ReadonlyArray<Step | Derived> = [
  { name: 'GetExternalIPAddress', action: 'GetExternalIPAddress', compare: ['NewExternalIPAddress'] },
  { name: 'GetStatusInfo', action: 'GetStatusInfo', compare: ['NewConnectionStatus', 'NewLastConnectionError'], show: ['NewUptime'] },
  { name: 'GetConnectionTypeInfo', action: 'GetConnectionTypeInfo', compare: ['NewConnectionType', 'NewPossibleConnectionTypes'] },
  { name: 'GetNATRSIPStatus', action: 'GetNATRSIPStatus', compare: ['NewRSIPAvailable', 'NewNATEnabled'] },
  // Adding, refreshing, overwriting.
  {
    name: 'AddPortMapping valid (TCP 40000, lease 3600)',
    action: 'AddPortMapping',
    args: add(40000, 'TCP', 40000, ME, 3600, 'natsim-diff-a'),
  },
  { name: 'AddPortMapping same again (refresh)', action: 'AddPortMapping', args: add(40000, 'TCP', 40000, ME, 3600, 'natsim-diff-a') },
  {
    name: 'AddPortMapping same port, new internal port (overwrite)',
    action: 'AddPortMapping',
    args: add(40000, 'TCP', 40001, ME, 3600, 'natsim-diff-b'),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40000 after overwrite',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40000, 'TCP'),
    compare: ENTRY,
    approx: ['NewLeaseDuration'],
  },
  // Secure mode and argument checks.
  { name: 'AddPortMapping for another client (secure mode)', action: 'AddPortMapping', args: add(40002, 'TCP', 40002, OTHER, 3600) },
  { name: 'AddPortMapping for another client on a taken port', action: 'AddPortMapping', args: add(40000, 'TCP', 40000, OTHER, 3600) },
  { name: 'AddPortMapping NewInternalClient "localhost"', action: 'AddPortMapping', args: add(40002, 'TCP', 40002, 'localhost', 3600) },
  { name: 'AddPortMapping external port 0', action: 'AddPortMapping', args: add(0, 'TCP', 40003, ME, 3600) },
  { name: 'AddPortMapping external port *', action: 'AddPortMapping', args: add('*', 'TCP', 40003, ME, 3600) },
  {
    name: 'AddPortMapping bad protocol "XYZ" (TCP 40006)',
    action: 'AddPortMapping',
    args: add(40006, 'XYZ', 40006, ME, 3600, 'natsim-diff-xyz'),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40006 (XYZ stored as TCP)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40006, 'TCP'),
    compare: ENTRY,
  },
  { name: 'AddPortMapping lowercase "udp" (UDP 40007)', action: 'AddPortMapping', args: add(40007, 'udp', 40007, ME, 3600) },
  { name: 'AddPortMapping missing args', action: 'AddPortMapping', args: [['NewProtocol', 'TCP']] },
  // Leases (IGDv2 clamps 0 and > 604800 to 604800).
  { name: 'AddPortMapping lease 0 (UDP 40004)', action: 'AddPortMapping', args: add(40004, 'UDP', 40004, ME, 0) },
  {
    name: 'GetSpecificPortMappingEntry UDP 40004 (lease 0 → 604800)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40004, 'UDP'),
    compare: ENTRY,
    approx: ['NewLeaseDuration'],
  },
  { name: 'AddPortMapping lease 1000000 (UDP 40005)', action: 'AddPortMapping', args: add(40005, 'UDP', 40005, ME, 1000000) },
  {
    name: 'GetSpecificPortMappingEntry UDP 40005 (lease → 604800)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40005, 'UDP'),
    compare: ENTRY,
    approx: ['NewLeaseDuration'],
  },
  // Remote host, the gateway's own port, permission rules.
  {
    name: 'AddPortMapping remote host 100.64.0.2 (TCP 40011)',
    action: 'AddPortMapping',
    args: add(40011, 'TCP', 40011, ME, 3600, 'natsim-diff-rh', '100.64.0.2'),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40011 with remote host',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40011, 'TCP', '100.64.0.2'),
    compare: ENTRY,
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40011 wildcard remote host',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40011, 'TCP'),
    compare: ENTRY,
  },
  {
    name: "AddPortMapping the gateway's own HTTP port",
    action: 'AddPortMapping',
    args: (t) => add(OWN_HTTP_PORT[t], 'TCP', 40012, ME, 3600),
  },
  { name: 'AddPortMapping external port 80 (denied by rules)', action: 'AddPortMapping', args: add(80, 'TCP', 40013, ME, 3600) },
  { name: 'AddPortMapping internal port 80 (denied by rules)', action: 'AddPortMapping', args: add(40013, 'TCP', 80, ME, 3600) },
  // Reading single entries.
  {
    name: 'GetSpecificPortMappingEntry TCP 40000 present',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40000, 'TCP'),
    compare: ENTRY,
    approx: ['NewLeaseDuration'],
  },
  { name: 'GetSpecificPortMappingEntry TCP 41000 absent', action: 'GetSpecificPortMappingEntry', args: specific(41000, 'TCP') },
  { name: 'GetSpecificPortMappingEntry external port 0', action: 'GetSpecificPortMappingEntry', args: specific(0, 'TCP') },
  { name: 'GetSpecificPortMappingEntry missing args', action: 'GetSpecificPortMappingEntry', args: [['NewRemoteHost', '']] },
  // NewEnabled and descriptions.
  {
    name: 'AddPortMapping NewEnabled 0 (TCP 40008)',
    action: 'AddPortMapping',
    args: add(40008, 'TCP', 40008, ME, 3600, 'natsim-diff-disabled').map(([k, v]) => [k, k === 'NewEnabled' ? '0' : v] as [string, string]),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40008 (NewEnabled 0)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40008, 'TCP'),
    compare: ENTRY,
  },
  {
    name: 'AddPortMapping 80-character description (TCP 40009)',
    action: 'AddPortMapping',
    args: add(40009, 'TCP', 40009, ME, 3600, `${'d'.repeat(70)}0123456789`),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40009 (long description)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40009, 'TCP'),
    compare: ENTRY,
    normalize: { NewPortMappingDescription: longDescription },
  },
  {
    name: 'AddPortMapping description "R&D \'x\' <y>" (TCP 40010)',
    action: 'AddPortMapping',
    args: add(40010, 'TCP', 40010, ME, 3600, "R&D 'x' <y>"),
  },
  {
    name: 'GetSpecificPortMappingEntry TCP 40010 (XML characters)',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40010, 'TCP'),
    compare: ENTRY,
  },
  // A second LAN client (10.77.0.3) against the first one's mapping.
  { name: 'client B: AddPortMapping TCP 40000 held by A', from: ME2, action: 'AddPortMapping', args: add(40000, 'TCP', 40000, ME2, 3600) },
  {
    name: "client B: GetSpecificPortMappingEntry A's TCP 40000",
    from: ME2,
    action: 'GetSpecificPortMappingEntry',
    args: specific(40000, 'TCP'),
    compare: ENTRY,
  },
  { name: "client B: DeletePortMapping A's TCP 40000", from: ME2, action: 'DeletePortMapping', args: specific(40000, 'TCP') },
  {
    name: 'client B: AddAnyPortMapping TCP 40000 held by A',
    from: ME2,
    action: 'AddAnyPortMapping',
    args: add(40000, 'TCP', 40000, ME2, 3600, 'natsim-diff-b2'),
    compare: ['NewReservedPort'],
  },
  // The whole table.
  ...generic('#1', 13),
  ...genericDerived('#1'),
  { name: 'GetGenericPortMappingEntry index "abc"', action: 'GetGenericPortMappingEntry', args: [['NewPortMappingIndex', 'abc']] },
  { name: 'GetGenericPortMappingEntry index -1', action: 'GetGenericPortMappingEntry', args: [['NewPortMappingIndex', '-1']] },
  { name: 'GetGenericPortMappingEntry missing index', action: 'GetGenericPortMappingEntry', args: [] },
  {
    name: 'GetListOfPortMappings TCP 0-65535 (ports, sorted)',
    action: 'GetListOfPortMappings',
    args: range(0, 65535, 'TCP', [['NewNumberOfPorts', '0']]),
    compare: ['NewPortListing'],
    normalize: { NewPortListing: (v) => listedPorts(v).sort().join(',') },
  },
  {
    name: 'GetListOfPortMappings UDP 40000-40010, NewNumberOfPorts 1',
    action: 'GetListOfPortMappings',
    args: range(40000, 40010, 'UDP', [['NewNumberOfPorts', '1']]),
    compare: ['NewPortListing'],
    normalize: { NewPortListing: (v) => listedPorts(v).join(',') },
  },
  {
    name: 'GetListOfPortMappings empty range',
    action: 'GetListOfPortMappings',
    args: range(50000, 50010, 'TCP', [['NewNumberOfPorts', '0']]),
    compare: ['NewPortListing'],
    normalize: { NewPortListing: (v) => listedPorts(v).join(',') },
  },
  {
    name: 'GetListOfPortMappings start > end',
    action: 'GetListOfPortMappings',
    args: range(50010, 50000, 'TCP', [['NewNumberOfPorts', '0']]),
  },
  // AddAnyPortMapping.
  {
    name: 'AddAnyPortMapping free port (TCP 40020)',
    action: 'AddAnyPortMapping',
    args: add(40020, 'TCP', 40020, ME, 3600),
    compare: ['NewReservedPort'],
  },
  {
    name: 'AddAnyPortMapping own mapping again (TCP 40020)',
    action: 'AddAnyPortMapping',
    args: add(40020, 'TCP', 40020, ME, 3600),
    compare: ['NewReservedPort'],
  },
  { name: 'AddAnyPortMapping for another client', action: 'AddAnyPortMapping', args: add(40021, 'TCP', 40021, OTHER, 3600) },
  {
    name: 'AddAnyPortMapping external port 80 (denied → next allowed)',
    action: 'AddAnyPortMapping',
    args: add(80, 'TCP', 40022, ME, 3600),
    compare: ['NewReservedPort'],
  },
  { name: 'AddAnyPortMapping missing args', action: 'AddAnyPortMapping', args: [['NewProtocol', 'TCP']] },
  // Deleting.
  { name: 'DeletePortMapping absent', action: 'DeletePortMapping', args: specific(41000, 'TCP') },
  { name: 'DeletePortMapping missing args', action: 'DeletePortMapping', args: [['NewProtocol', 'TCP']] },
  { name: 'DeletePortMapping present (TCP 40000)', action: 'DeletePortMapping', args: specific(40000, 'TCP') },
  { name: 'GetSpecificPortMappingEntry TCP 40000 after delete', action: 'GetSpecificPortMappingEntry', args: specific(40000, 'TCP') },
  { name: 'DeletePortMappingRange empty range', action: 'DeletePortMappingRange', args: range(50000, 50010, 'TCP') },
  { name: 'DeletePortMappingRange start > end', action: 'DeletePortMappingRange', args: range(50010, 50000, 'TCP') },
  { name: 'DeletePortMappingRange UDP 40000-40010', action: 'DeletePortMappingRange', args: range(40000, 40010, 'UDP') },
  { name: "DeletePortMappingRange TCP 40001 (client B's mapping)", action: 'DeletePortMappingRange', args: range(40001, 40001, 'TCP') },
  ...generic('#2', 10),
  ...genericDerived('#2'),
  // Other actions.
  { name: 'SetConnectionType', action: 'SetConnectionType', args: [['NewConnectionType', 'IP_Routed']] },
  { name: 'RequestConnection', action: 'RequestConnection' },
  { name: 'ForceTermination', action: 'ForceTermination' },
  { name: 'unknown action', action: 'FrobnicatePortMapping' },
  { name: 'GetPortMappingNumberOfEntries', action: 'GetPortMappingNumberOfEntries' },
  {
    name: 'QueryStateVariable ConnectionStatus',
    action: 'QueryStateVariable',
    service: QSV,
    args: [['varName', 'ConnectionStatus']],
    compare: ['return'],
  },
  {
    name: 'QueryStateVariable PortMappingNumberOfEntries',
    action: 'QueryStateVariable',
    service: QSV,
    args: [['varName', 'PortMappingNumberOfEntries']],
    compare: ['return'],
  },
  { name: 'QueryStateVariable unknown variable', action: 'QueryStateVariable', service: QSV, args: [['varName', 'ExternalIPAddress']] },
  {
    name: 'GetCommonLinkProperties',
    action: 'GetCommonLinkProperties',
    service: CFG,
    path: '/ctl/CmnIfCfg',
    compare: ['NewWANAccessType', 'NewPhysicalLinkStatus'],
    show: ['NewLayer1UpstreamMaxBitRate', 'NewLayer1DownstreamMaxBitRate'],
  },
  { name: 'GetTotalBytesSent', action: 'GetTotalBytesSent', service: CFG, path: '/ctl/CmnIfCfg', show: ['NewTotalBytesSent'] },
  { name: 'GetTotalBytesReceived', action: 'GetTotalBytesReceived', service: CFG, path: '/ctl/CmnIfCfg', show: ['NewTotalBytesReceived'] },
  { name: 'GetTotalPacketsSent', action: 'GetTotalPacketsSent', service: CFG, path: '/ctl/CmnIfCfg', show: ['NewTotalPacketsSent'] },
  {
    name: 'GetTotalPacketsReceived',
    action: 'GetTotalPacketsReceived',
    service: CFG,
    path: '/ctl/CmnIfCfg',
    show: ['NewTotalPacketsReceived'],
  },
  {
    name: 'GetDefaultConnectionService',
    action: 'GetDefaultConnectionService',
    service: L3F,
    path: '/ctl/L3F',
    compare: ['NewDefaultConnectionService'],
    normalize: { NewDefaultConnectionService: (v) => v.replace(/^uuid:[0-9a-f-]+/i, 'uuid:…') },
  },
  { name: 'GetTotalBytesSent on /ctl/IPConn (dispatch by name)', action: 'GetTotalBytesSent', service: CFG },
  // Last: edge cases where the gateways end up with different tables (nothing is compared after them).
  { name: 'AddPortMapping internal port 0', action: 'AddPortMapping', args: add(40030, 'TCP', 0, ME, 3600) },
  {
    name: 'AddPortMapping external port 70000 (TCP 4464 after 16-bit wrap)',
    action: 'AddPortMapping',
    args: add(70000, 'TCP', 40031, ME, 3600),
  },
  { name: 'GetSpecificPortMappingEntry TCP 4464', action: 'GetSpecificPortMappingEntry', args: specific(4464, 'TCP'), compare: ENTRY },
  { name: 'AddPortMapping lease "abc" (TCP 40032)', action: 'AddPortMapping', args: add(40032, 'TCP', 40032, ME, 'abc') },
  {
    name: 'GetSpecificPortMappingEntry TCP 40032',
    action: 'GetSpecificPortMappingEntry',
    args: specific(40032, 'TCP'),
    compare: ENTRY,
    approx: ['NewLeaseDuration'],
  },
  { name: 'AddPortMapping empty NewInternalClient (TCP 40033)', action: 'AddPortMapping', args: add(40033, 'TCP', 40033, '', 3600) },
  { name: 'GetSpecificPortMappingEntry TCP 40033', action: 'GetSpecificPortMappingEntry', args: specific(40033, 'TCP'), compare: ENTRY },
  // NewManage=0: only the requester's mappings (IGDv2); 2.3.1 ignores the flag.
  {
    name: 'client B: AddPortMapping TCP 40040',
    from: ME2,
    action: 'AddPortMapping',
    args: add(40040, 'TCP', 40040, ME2, 3600, 'natsim-diff-b3'),
  },
  {
    name: "DeletePortMappingRange TCP 40040 NewManage 0 (client B's mapping)",
    action: 'DeletePortMappingRange',
    args: [
      ['NewStartPort', '40040'],
      ['NewEndPort', '40040'],
      ['NewProtocol', 'TCP'],
      ['NewManage', '0'],
    ],
  },
  {
    name: "client B: GetSpecificPortMappingEntry TCP 40040 after A's NewManage 0 delete",
    from: ME2,
    action: 'GetSpecificPortMappingEntry',
    args: specific(40040, 'TCP'),
    compare: ENTRY,
  },
  // 501: the STUN-less gateways, port forwarding disabled (reserved WAN, no STUN).
  {
    name: 'AddPortMapping with port forwarding disabled (reserved WAN, no STUN; TCP 40090)',
    nostun: true,
    action: 'AddPortMapping',
    args: add(40090, 'TCP', 40090, ME, 3600),
  },
];

type DiffKind = 'version' | 'backend' | 'miniupnpd bug' | 'deliberate' | 'specification';

/**
 * Differences kept on purpose, one row per step: what miniupnpd answers, what natsim answers (the
 * `answer` cells of the table: outcome and compared fields), the kind and why.
 *   version       natsim follows a newer miniupnpd than Debian bookworm's 2.3.1
 *   backend       the answer comes from 2.3.1's nftables backend (list order, remote host, delete), not
 *                 from miniupnpd's UPnP layer, which natsim models
 *   miniupnpd bug 2.3.1 misbehaves; natsim does what the code means to do
 *   deliberate    natsim validates strictly where miniupnpd reads numbers with atoi(): an argument
 *                 that is not a valid ui2/ui4 gets 402 Invalid Args instead of being wrapped or zeroed
 *   specification natsim's default profile follows the IGD:2 specification where 2.3.1 does not; the
 *                 `miniupnpd-2.3.1` profile reproduces 2.3.1 (test/gateway/profiles.test.ts)
 */
const KNOWN_DIFFERENCES: ReadonlyArray<{
  step: string;
  miniupnpd: string | RegExp;
  natsim: string;
  kind: DiffKind;
  justification: string;
}> = [
  {
    step: 'AddPortMapping with port forwarding disabled (reserved WAN, no STUN; TCP 40090)',
    miniupnpd: '501 ActionFailed',
    natsim: '501 Action Failed',
    kind: 'version',
    justification:
      'Same code in the same situation. miniupnpd 2.3.1–2.3.4 spell the 501 description "ActionFailed"; since 2.3.5 (upstream commit d995a37, "correct 501, 715 and 716 error descriptions", Jan 2024) it is the specification\'s "Action Failed", which natsim\'s miniupnpd profile (SERVER MiniUPnPd/2.3.7) sends, as for 716; the miniupnpd-2.3.1 profile sends 2.3.1\'s.',
  },
  {
    step: 'AddPortMapping for another client (secure mode)',
    miniupnpd: '718 ConflictInMappingEntry',
    natsim: '606 Action not authorized',
    kind: 'version',
    justification:
      'Current upstream miniupnpd answers a secure-mode violation with 606 on IGDv2 builds (proposed in miniupnp/miniupnp PR #677, Jan 2024); 2.3.1 answers 718. natsim follows current miniupnpd (igd-facts.md: 606 on IGDv2, 718 on IGDv1).',
  },
  {
    step: 'AddPortMapping for another client on a taken port',
    miniupnpd: '718 ConflictInMappingEntry',
    natsim: '606 Action not authorized',
    kind: 'version',
    justification: 'Same check as the row above (secure mode is checked before the port); PR #677.',
  },
  {
    step: 'AddPortMapping NewInternalClient "localhost"',
    miniupnpd: '718 ConflictInMappingEntry',
    natsim: '606 Action not authorized',
    kind: 'version',
    justification:
      'Both resolve localhost to 127.0.0.1, which is not the requester, so secure mode refuses it: 718 in 2.3.1, 606 in current miniupnpd (PR #677), as the secure-mode rows above.',
  },
  {
    step: 'AddPortMapping external port 0',
    miniupnpd: '716 Wildcard not permited in ExtPort',
    natsim: '716 WildCardNotPermittedInExtPort',
    kind: 'version',
    justification:
      "Same code. Current upstream (PR #677) replaced 2.3.1's misspelt descriptions of 716 (and 501, 715) with the specification's names, which natsim uses.",
  },
  {
    step: 'AddPortMapping external port *',
    miniupnpd: '716 Wildcard not permited in ExtPort',
    natsim: '716 WildCardNotPermittedInExtPort',
    kind: 'version',
    justification: 'As above: description only.',
  },
  {
    step: 'GetSpecificPortMappingEntry TCP 40009 (long description)',
    miniupnpd:
      /^OK \(NewInternalClient=10\.77\.0\.2, NewInternalPort=40009, NewEnabled=1, NewPortMappingDescription=d×64( \+ \d+ stray characters)?\)$/,
    natsim: 'OK (NewInternalClient=10.77.0.2, NewInternalPort=40009, NewEnabled=1, NewPortMappingDescription=d×63)',
    kind: 'miniupnpd bug',
    justification:
      'miniupnpd reads the description into a 64-byte buffer with strncpy, which leaves it unterminated for longer descriptions: 2.3.1 sends 64 bytes and then bytes of its stack until a NUL. natsim sends the 63 characters a terminated buffer holds.',
  },
  {
    step: '#1 order (external ports by index)',
    miniupnpd: '40001,40010,40009,40008,40011,40005,40004,40007,40006,40000',
    natsim: '40000,40006,40007,40004,40005,40011,40008,40009,40010,40001',
    kind: 'backend',
    justification:
      "The index order is the firewall backend's: the nftables backend of 2.3.1 lists its rules newest first, natsim keeps insertion order. Clients read the whole table; the entries themselves are equal (row above).",
  },
  {
    step: '#1 NewRemoteHost of TCP 40011 (mapped with remote host 100.64.0.2)',
    miniupnpd: '""',
    natsim: '"100.64.0.2"',
    kind: 'backend',
    justification:
      'The nftables backend of 2.3.1 does install the remote-host match (nft list: `@nh,96,32 0x64400002`) but never reads it back, so GetGenericPortMappingEntry reports "". natsim reports what was asked.',
  },
  {
    step: 'GetListOfPortMappings UDP 40000-40010, NewNumberOfPorts 1',
    miniupnpd: 'OK (NewPortListing=40005)',
    natsim: 'OK (NewPortListing=40007)',
    kind: 'backend',
    justification:
      "Both return one entry of the three; which one is the first in the backend's order (newest in nftables, oldest in natsim).",
  },
  {
    step: 'DeletePortMapping absent',
    miniupnpd: 'OK',
    natsim: '714 NoSuchEntryInArray',
    kind: 'backend',
    justification:
      "The nftables backend's delete_redirect_and_filter_rules() returns 0 whether or not a rule was found, so deleting an absent mapping succeeds. natsim answers 714, as the specification and miniupnpd's UPnP layer (714 when the backend reports a failure) intend.",
  },
  {
    step: '#2 order (external ports by index)',
    miniupnpd: '1024,40020,40010,40009,40008,40011,40006',
    natsim: '40006,40011,40008,40009,40010,40020,1024',
    kind: 'backend',
    justification: 'As #1: newest first in nftables, insertion order in natsim.',
  },
  {
    step: '#2 NewRemoteHost of TCP 40011 (mapped with remote host 100.64.0.2)',
    miniupnpd: '""',
    natsim: '"100.64.0.2"',
    kind: 'backend',
    justification: 'As #1.',
  },
  {
    step: 'AddPortMapping external port 70000 (TCP 4464 after 16-bit wrap)',
    miniupnpd: 'OK',
    natsim: '402 Invalid Args',
    kind: 'deliberate',
    justification:
      'miniupnpd reads ports with (unsigned short)atoi(): 70000 silently becomes 4464 and that port is mapped. natsim refuses a port above 65535 with 402 Invalid Args (the argument is not a ui2), so a client bug shows up instead of mapping a port nobody asked for.',
  },
  {
    step: 'GetSpecificPortMappingEntry TCP 4464',
    miniupnpd: 'OK (NewInternalClient=10.77.0.2, NewInternalPort=40031, NewEnabled=1, NewPortMappingDescription=natsim-diff)',
    natsim: '714 NoSuchEntryInArray',
    kind: 'deliberate',
    justification: 'Follows from the row above.',
  },
  {
    step: 'AddPortMapping lease "abc" (TCP 40032)',
    miniupnpd: 'OK',
    natsim: '402 Invalid Args',
    kind: 'deliberate',
    justification:
      'miniupnpd reads the lease with atoi(): "abc" is 0, which IGDv2 turns into a one-week lease. natsim answers 402 Invalid Args to a lease that is not a ui4.',
  },
  {
    step: 'GetSpecificPortMappingEntry TCP 40032',
    miniupnpd: 'OK (NewInternalClient=10.77.0.2, NewInternalPort=40032, NewEnabled=1, NewPortMappingDescription=natsim-diff)',
    natsim: '714 NoSuchEntryInArray',
    kind: 'deliberate',
    justification: "Follows from the row above (miniupnpd's lease: 604800).",
  },
  {
    step: 'AddPortMapping empty NewInternalClient (TCP 40033)',
    miniupnpd: '501 ActionFailed',
    natsim: 'OK',
    kind: 'miniupnpd bug',
    justification:
      'miniupnpd (non-strict) means to map the requester when NewInternalClient is empty (miniupnp#236), but 2.3.1 passes "address:port" (its log: `inet_aton(10.77.0.2:51968) FAILED`) and fails with 501. natsim maps the requester.',
  },
  {
    step: 'GetSpecificPortMappingEntry TCP 40033',
    miniupnpd: '714 NoSuchEntryInArray',
    natsim: 'OK (NewInternalClient=10.77.0.2, NewInternalPort=40033, NewEnabled=1, NewPortMappingDescription=natsim-diff)',
    kind: 'miniupnpd bug',
    justification: 'Follows from the row above.',
  },
  {
    step: "DeletePortMappingRange TCP 40040 NewManage 0 (client B's mapping)",
    miniupnpd: 'OK',
    natsim: '730 PortMappingNotFound',
    kind: 'specification',
    justification:
      "WANIPConnection:2 (DeletePortMappingRange): with NewManage 0 only the control point's own mappings are deleted. 2.3.1 ignores NewManage and deletes client B's mapping for client A; natsim deletes only A's, and A has none there (730). The miniupnpd-2.3.1 profile deletes every mapping in the range, as 2.3.1.",
  },
  {
    step: "client B: GetSpecificPortMappingEntry TCP 40040 after A's NewManage 0 delete",
    miniupnpd: '714 NoSuchEntryInArray',
    natsim: 'OK (NewInternalClient=10.77.0.3, NewInternalPort=40040, NewEnabled=1, NewPortMappingDescription=natsim-diff-b3)',
    kind: 'specification',
    justification: "Follows from the row above: B's mapping survives in natsim.",
  },
];

/** Outcome: UPnP error code and description, or OK / HTTP status. */
function outcome(r: WireResult): string {
  if (r.error) return `transport error: ${r.error}`;
  if (r.errorCode !== undefined) return `${r.errorCode} ${r.errorDescription ?? ''}`.trim();
  return r.status === 200 ? 'OK' : `HTTP ${r.status}`;
}

function norm(step: Step, k: string, v: string): string {
  return step.normalize?.[k]?.(v) ?? v;
}

function fieldList(step: Step, r: WireResult, keys: readonly string[]): string {
  // Descriptions are shown with long runs compressed (and miniupnpd's stray stack bytes counted, not printed).
  const show = (k: string, v: string): string => (k === 'NewPortMappingDescription' && !step.normalize?.[k] ? longDescription(v) : v);
  const parts = keys.filter((k) => r.fields[k] !== undefined).map((k) => `${k}=${show(k, norm(step, k, r.fields[k]!))}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** The compared answer: outcome and compared fields. */
function answer(step: Step, r: WireResult): string {
  return outcome(r) + fieldList(step, r, step.compare ?? []);
}

/** The table cell: the answer plus approximate and informational fields. */
function cell(step: Step, r: WireResult): string {
  return outcome(r) + fieldList(step, r, [...(step.compare ?? []), ...(step.approx ?? []), ...(step.show ?? [])]);
}

/** Compares one step; returns the reasons it differs. */
function diff(step: Step, a: WireResult, b: WireResult): string[] {
  const why: string[] = [];
  if (outcome(a) !== outcome(b)) why.push(`${outcome(a)} ≠ ${outcome(b)}`);
  else if (a.errorCode === undefined && a.status === 200) {
    for (const k of step.compare ?? []) {
      const x = a.fields[k] === undefined ? undefined : norm(step, k, a.fields[k]!);
      const y = b.fields[k] === undefined ? undefined : norm(step, k, b.fields[k]!);
      if (x !== y) why.push(`${k}: ${x} ≠ ${y}`);
    }
    for (const k of step.approx ?? []) {
      if (!(Math.abs(Number(a.fields[k]) - Number(b.fields[k])) <= 5)) why.push(`${k}: ${a.fields[k]} ≠ ${b.fields[k]}`);
    }
  }
  return why;
}

const matches = (want: string | RegExp, got: string): boolean => (typeof want === 'string' ? want === got : want.test(got));
const esc = (s: string): string => s.replace(/\|/g, '\\|');

const PACKAGE_OF: Readonly<Record<string, string>> = {
  ip: 'iproute2',
  nft: 'nftables',
  miniupnpd: 'miniupnpd-nftables',
  turnserver: 'coturn',
};

function missingRequirement(): string | undefined {
  if (process.getuid?.() !== 0) return 'the differential test needs root (network namespaces)';
  for (const bin of Object.keys(PACKAGE_OF)) {
    const found = spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`], { stdio: 'ignore' }).status === 0;
    if (!found) return `${bin} is missing: apt-get install -y --no-install-recommends ${PACKAGE_OF[bin]}`;
  }
  return undefined;
}
const missing = missingRequirement();

interface Lab {
  readonly lan: string;
  readonly router: string;
  readonly dir: string;
  readonly miniupnpd: string;
  readonly natsim: string;
  readonly natsim231: string;
  readonly natsimReady: { readonly ssdp: { readonly address: string; readonly port: number }; readonly nostun: string };
}

/** The STUN-less natsim gateway with the miniupnpd-2.3.1 profile (natsim-gateway.ts: its HTTP port + 20). */
const NATSIM231_NOSTUN = 'http://10.77.0.1:49040';

/** Runs soap-client.ts in the lan namespace: every target gets the steps, in order. */
function runSoapClient(lab: Lab, targets: Record<Target, string>, wire: readonly Step[]): Record<Target, WireResult[]> {
  const steps = {} as Record<Target, WireStep[]>;
  for (const t of TARGETS) {
    steps[t] = wire.map((s) => ({
      name: s.name,
      action: s.action,
      service: s.service ?? IPC,
      path: s.path ?? '/ctl/IPConn',
      args: typeof s.args === 'function' ? s.args(t) : (s.args ?? []),
      ...(s.from ? { from: s.from } : {}),
    }));
  }
  const client = spawnSync('ip', ['netns', 'exec', lab.lan, 'node', '--import', 'tsx', `${HERE}/soap-client.ts`], {
    cwd: REPO,
    input: JSON.stringify({ targets, steps }),
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(client.status, client.stderr).toBe(0);
  return JSON.parse(client.stdout) as Record<Target, WireResult[]>;
}

/** Starts the second, STUN-less miniupnpd in the router namespace; resolves with a stop function. */
async function startNostunMiniupnpd(lab: Lab): Promise<() => Promise<void>> {
  const p = spawn('bash', [`${HERE}/nostun-miniupnpd.sh`, lab.router, lab.dir], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`nostun miniupnpd not ready after 15 s\n${err}`)), 15_000);
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^READY/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nostun-miniupnpd.sh exited (${code})\n${err}`));
    });
  });
  return async () => {
    if (p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.stdin.end();
    p.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  };
}

const PPP1 = 'urn:schemas-upnp-org:service:WANPPPConnection:1';
/** The SSDP searches, each sent `repeat` times to each gateway. */
const SSDP_SEARCHES: readonly SsdpSearch[] = [
  { name: 'M-SEARCH InternetGatewayDevice:1, MX 1', st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1', mx: 1, repeat: 5 },
  { name: 'M-SEARCH InternetGatewayDevice:1, MX 5', st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1', mx: 5, repeat: 5 },
  { name: 'M-SEARCH WANPPPConnection:1, MX 2', st: PPP1, mx: 2, repeat: 1 },
  { name: 'M-SEARCH WANIPConnection:1, MX 2', st: 'urn:schemas-upnp-org:service:WANIPConnection:1', mx: 2, repeat: 1 },
  { name: 'M-SEARCH ssdp:all, MX 3', st: 'ssdp:all', mx: 3, repeat: 1 },
];
/**
 * SSDP differences kept on purpose: STs that only one side answers (its `replies` row then reads
 * `known`, and a listed difference that disappears fails, as in KNOWN_DIFFERENCES).
 */
const SSDP_KNOWN: ReadonlyArray<{ search: string; onlyMiniupnpd: readonly string[]; justification: string }> = [
  {
    search: 'M-SEARCH ssdp:all, MX 3',
    onlyMiniupnpd: ['urn:schemas-upnp-org:service:DeviceProtection:1', 'urn:schemas-upnp-org:service:WANIPv6FirewallControl:1'],
    justification:
      "Debian's build enables DeviceProtection (ENABLE_DP_SERVICE) and the IPv6 firewall service (ENABLE_6FC_SERVICE) and advertises both; natsim implements neither service, so it does not advertise them.",
  },
];
/** SSDP table rows, filled by the SSDP test and written with RESULTS.md by the SOAP test. */
const ssdpRows: string[] = [];

/** `fixed` when every delay is in 45–250 ms (miniupnpd's 50 ms), else `spread over MX`. */
function timing(delays: readonly number[]): { kind: string; cell: string } {
  const d = [...delays].sort((a, b) => a - b);
  const kind = d.length > 0 && d[0]! >= 45 && d[d.length - 1]! <= 250 ? 'fixed' : 'spread over MX';
  const median = d[Math.floor(d.length / 2)] ?? NaN;
  return { kind, cell: `${kind} (min ${d[0]} / median ${median} / max ${d[d.length - 1]} ms, ${d.length} replies)` };
}

/** The SSDP comparison: the real miniupnpd and natsim's default profile. */
type SsdpTarget = 'miniupnpd' | 'natsim';
const SSDP_TARGETS: readonly SsdpTarget[] = ['miniupnpd', 'natsim'];

/** Sends SSDP_SEARCHES to both gateways from the lan namespace and compares what came back. */
function compareSsdp(lab: Lab): { rows: string[]; problems: string[] } {
  const targets = { miniupnpd: { address: '10.77.0.1', port: 1900 }, natsim: lab.natsimReady.ssdp };
  const client = spawnSync('ip', ['netns', 'exec', lab.lan, 'node', '--import', 'tsx', `${HERE}/ssdp-client.ts`], {
    cwd: REPO,
    input: JSON.stringify({ targets, searches: SSDP_SEARCHES }),
    encoding: 'utf8',
    timeout: 55_000,
  });
  expect(client.status, client.stderr).toBe(0);
  const { results, devices } = JSON.parse(client.stdout) as {
    results: Record<SsdpTarget, SsdpResult[]>;
    devices: Record<SsdpTarget, Record<string, string>>;
  };
  const location: Record<SsdpTarget, string> = { miniupnpd: `${lab.miniupnpd}/rootDesc.xml`, natsim: `${lab.natsim}/rootDesc.xml` };
  const rows: string[] = [];
  const problems: string[] = [];
  const row = (name: string, a: string, b: string, same: boolean): void => {
    rows.push(`| ${esc(name)} | ${esc(a)} | ${esc(b)} | ${same ? 'yes' : '**NO**'} |`);
    if (!same) problems.push(`${name}: ${a} ≠ ${b}`);
  };
  const udnName = (t: SsdpTarget, v: string): string =>
    v.replace(/uuid:[0-9a-f-]+/gi, (u) => `uuid:<${devices[t][u] ?? 'unknown device'}>`);
  for (const s of SSDP_SEARCHES) {
    const of = (t: SsdpTarget): SsdpResult[] => results[t].filter((r) => r.name === s.name);
    const answers = (t: SsdpTarget): string => {
      const sets = of(t).map((r) =>
        r.replies
          .map((x) => `${udnName(t, x.st)} → ${udnName(t, x.usn)}`)
          .sort()
          .join('; '),
      );
      return sets.every((x) => x === sets[0]) ? sets[0] || '(no reply)' : `varies: ${sets.join(' | ')}`;
    };
    const known = SSDP_KNOWN.find((k) => k.search === s.name);
    if (known) {
      // Compare without the listed STs, and require that exactly those are missing.
      const sts = (t: SsdpTarget): string[] => [...new Set(of(t).flatMap((r) => r.replies.map((x) => udnName(t, x.st))))].sort();
      const extra = sts('miniupnpd').filter((x) => !sts('natsim').includes(x));
      const rest = (t: SsdpTarget): string =>
        of(t)
          .flatMap((r) => r.replies)
          .filter((x) => !known.onlyMiniupnpd.includes(x.st))
          .map((x) => `${udnName(t, x.st)} → ${udnName(t, x.usn)}`)
          .sort()
          .join('; ');
      const same =
        rest('miniupnpd') === rest('natsim') &&
        extra.join() === [...known.onlyMiniupnpd].sort().join() &&
        sts('natsim').every((x) => sts('miniupnpd').includes(x));
      const short = (t: SsdpTarget): string =>
        `${of(t).reduce((n, r) => n + r.replies.length, 0)} replies: ${sts(t)
          .map((x) => x.replace('urn:schemas-upnp-org:', ''))
          .join(', ')}`;
      rows.push(
        `| ${esc(`${s.name}: replies (ST; USNs compared too)`)} | ${esc(short('miniupnpd'))} | ${esc(short('natsim'))} | ${same ? 'known (not implemented)' : '**NO**'} |`,
      );
      if (!same)
        problems.push(
          `${s.name}: expected the same replies except ${known.onlyMiniupnpd.join(', ')} (only miniupnpd); got ${short('miniupnpd')} / ${short('natsim')}`,
        );
    } else {
      row(`${s.name}: replies (ST → USN)`, answers('miniupnpd'), answers('natsim'), answers('miniupnpd') === answers('natsim'));
    }
    for (const t of SSDP_TARGETS) {
      const wrong = of(t)
        .flatMap((r) => r.replies)
        .filter((x) => x.location !== location[t]);
      if (wrong.length) problems.push(`${s.name}: ${t} replied with LOCATION ${wrong[0]!.location}, not ${location[t]}`);
    }
    // ssdp:all: every reply's delay; other searches: the first reply of each repeat.
    const delays = (t: SsdpTarget): number[] =>
      of(t).flatMap((r) => (s.st === 'ssdp:all' ? r.replies.map((x) => x.afterMs) : r.replies.slice(0, 1).map((x) => x.afterMs)));
    if (s.repeat > 1 || s.st === 'ssdp:all') {
      const [a, b] = [timing(delays('miniupnpd')), timing(delays('natsim'))];
      row(`${s.name}: reply delay`, a.cell, b.cell, a.kind === b.kind);
    }
  }
  return { rows, problems };
}

describe('differential: natsim vs the real miniupnpd 2.3.1 (network namespaces)', () => {
  let running: LabProcess<Lab> | undefined;
  let lab: Lab | undefined;

  beforeAll(async () => {
    if (missing !== undefined) throw new Error(missing);
    running = await startLabProcess<Lab>('natsim-gateway.ts');
    lab = running.lab;
  }, 45_000);

  afterAll(() => running?.stop(), 20_000);

  it('answers SSDP searches like miniupnpd: the same STs and USNs, WANPPPConnection:1 included, after its fixed ~50 ms whatever the MX', () => {
    const r = compareSsdp(lab!);
    ssdpRows.push(...r.rows);
    expect(r.problems, `SSDP differences:\n${r.problems.join('\n')}`).toEqual([]);
  }, 60_000);

  it('answers every step like miniupnpd, except the known differences', async () => {
    const isStep = (s: Step | Derived): s is Step => 'action' in s;
    const wire = STEPS.filter(isStep);
    // The steps for the STUN-less gateways (a second real miniupnpd started for them), then the rest.
    const stopNostun = await startNostunMiniupnpd(lab!);
    let nostunResults: Record<Target, WireResult[]>;
    try {
      nostunResults = runSoapClient(
        lab!,
        { miniupnpd: 'http://10.77.0.1:49100', natsim: lab!.natsimReady.nostun, 'natsim-2.3.1': NATSIM231_NOSTUN },
        wire.filter((s) => s.nostun),
      );
    } finally {
      await stopNostun();
    }
    const results = runSoapClient(
      lab!,
      { miniupnpd: lab!.miniupnpd, natsim: lab!.natsim, 'natsim-2.3.1': lab!.natsim231 },
      wire.filter((s) => !s.nostun),
    );
    const byName = {} as Record<Target, Map<string, WireResult>>;
    for (const t of TARGETS) byName[t] = new Map([...results[t], ...nostunResults[t]].map((r) => [r.name, r]));
    // The miniupnpd-2.3.1 profile: miniupnpd's answer on the version and specification rows,
    // natsim's everywhere else (where both agree, that is miniupnpd's too).
    const profileRows: string[] = [];
    const profileProblems: string[] = [];

    const rows: string[] = [];
    const problems: string[] = [];
    const seenKnown = new Set<string>();
    const names = new Set<string>();
    let n = 0;
    for (const step of STEPS) {
      expect(names.has(step.name), `duplicate step name ${step.name}`).toBe(false);
      names.add(step.name);
      let ansA: string, ansB: string, ansC: string, cellA: string, cellB: string, why: string[];
      if (isStep(step)) {
        const a = byName.miniupnpd.get(step.name)!;
        const b = byName.natsim.get(step.name)!;
        const c = byName['natsim-2.3.1'].get(step.name)!;
        [ansA, ansB, ansC, cellA, cellB, why] = [
          answer(step, a),
          answer(step, b),
          answer(step, c),
          cell(step, a),
          cell(step, b),
          diff(step, a, b),
        ];
      } else {
        ansA = cellA = step.derive(byName.miniupnpd);
        ansB = cellB = step.derive(byName.natsim);
        ansC = step.derive(byName['natsim-2.3.1']);
        why = ansA === ansB ? [] : [`${ansA} ≠ ${ansB}`];
      }
      const known = KNOWN_DIFFERENCES.find((k) => k.step === step.name);
      const reproduced = known !== undefined && PROFILE_231_KINDS.has(known.kind);
      const want = reproduced ? ansA : ansB;
      if (ansC !== want)
        profileProblems.push(
          `${step.name}: the miniupnpd-2.3.1 profile answers ${ansC}, expected ${reproduced ? 'miniupnpd' : 'natsim'}'s ${want}`,
        );
      if (reproduced) profileRows.push(`| ${esc(step.name)} | ${esc(ansA)} | ${esc(ansB)} | ${esc(ansC)} | ${known.kind} |`);
      let same = why.length === 0 ? 'yes' : '**NO**';
      if (known) {
        seenKnown.add(known.step);
        if (why.length === 0) problems.push(`${step.name}: listed in KNOWN_DIFFERENCES but both answer ${ansA} — remove the row`);
        else if (!matches(known.miniupnpd, ansA) || known.natsim !== ansB) {
          problems.push(`${step.name}: KNOWN_DIFFERENCES says "${known.miniupnpd}" / "${known.natsim}", got "${ansA}" / "${ansB}"`);
        } else same = `known (${known.kind})`;
      } else if (why.length) problems.push(`${step.name}: ${why.join('; ')}`);
      rows.push(`| ${++n} | ${esc(step.name)} | ${esc(cellA)} | ${esc(cellB)} | ${same} |`);
    }
    for (const k of KNOWN_DIFFERENCES) if (!seenKnown.has(k.step)) problems.push(`KNOWN_DIFFERENCES names no step "${k.step}"`);

    const md = [
      '# natsim vs miniupnpd 2.3.1: differential SOAP results',
      '',
      'Generated by `test/differential/miniupnpd.test.ts` (needs root; builds its own network namespaces). The same sequence of',
      'WANIPConnection:2, WANCommonInterfaceConfig:1 and Layer3Forwarding:1 actions goes to the real miniupnpd (Debian',
      '`miniupnpd-nftables` 2.3.1: secure mode, `allow 1024-65535 10.77.0.0/24 1024-65535`, `deny 0-65535 0.0.0.0/0 0-65535`,',
      "WAN 100.64.0.1 accepted after its STUN check) and to natsim's gateway (`startGateway`, profile `miniupnpd`, IGD:2, the",
      'same rules and WAN address), from client A 10.77.0.2 (client B 10.77.0.3 where the step says so). Cells: UPnP error',
      'code and description, or OK with the key response fields. Leases must agree within 5 s; uptime, counters and link',
      'speed are shown, not compared. GetGenericPortMappingEntry rows compare the outcome only; the entries are compared as',
      'a set in the rows after them.',
      '',
      '| # | step | miniupnpd 2.3.1 | natsim | same? |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      'The last step goes to STUN-less gateways in the same router namespace: a second miniupnpd 2.3.1 without its STUN',
      'check (`nostun-miniupnpd.sh`: HTTP 49100, otherwise the same configuration), which disables port forwarding on the',
      'reserved WAN address, and natsim gateways with `allowReservedWan: false` (HTTP 49030, and 49040 for the',
      '`miniupnpd-2.3.1` profile).',
      '',
      '## SSDP',
      '',
      "Unicast M-SEARCHes from the lan namespace (10.77.0.2) to miniupnpd (10.77.0.1:1900) and to natsim's gateway (profile",
      '`miniupnpd`, its own SSDP timing), one at a time. Replies are compared as sets of ST and USN with the UUID replaced',
      "by the name of the device it belongs to in each gateway's own description; the timing rows give the delay of each",
      "search's first reply (min / median / max over the repeats) and its kind: `fixed` when every reply came 45–250 ms",
      "after the search (miniupnpd's 50 ms `sendto_schedule` delay), `spread over MX` otherwise.",
      '',
      '| step | miniupnpd 2.3.1 | natsim | same? |',
      '|---|---|---|---|',
      ...(ssdpRows.length ? ssdpRows : ['| (the SSDP test did not run) | | | |']),
      '',
      ...SSDP_KNOWN.map((k) => `Known: ${k.search}: ${k.onlyMiniupnpd.join(', ')} only from miniupnpd. ${k.justification}`),
      '',
      '## Known differences',
      '',
      '| step | miniupnpd 2.3.1 | natsim | kind | justification |',
      '|---|---|---|---|---|',
      ...KNOWN_DIFFERENCES.map(
        (k) =>
          `| ${esc(k.step)} | ${esc(typeof k.miniupnpd === 'string' ? k.miniupnpd : `/${k.miniupnpd.source}/`)} | ${esc(k.natsim)} | ${k.kind} | ${esc(k.justification)} |`,
      ),
      '',
      '## The `miniupnpd-2.3.1` profile',
      '',
      'A third gateway in the same lab, natsim with profile `miniupnpd-2.3.1`, is asked the same steps. It must answer as',
      "miniupnpd 2.3.1 on every `version` and `specification` row below, and as natsim's default profile on every other step",
      "(so also as miniupnpd wherever the two agree); the `backend`, `miniupnpd bug` and `deliberate` rows stay natsim's.",
      '',
      '| step | miniupnpd 2.3.1 | natsim (miniupnpd) | natsim (miniupnpd-2.3.1) | kind |',
      '|---|---|---|---|---|',
      ...profileRows,
      '',
    ].join('\n');
    // The NAT-PMP and PCP section belongs to natpmp-pcp.test.ts: kept as it is.
    const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    const pcpAt = old.indexOf('\n## NAT-PMP and PCP\n');
    writeFileSync(RESULTS, pcpAt < 0 ? md : `${md.trimEnd()}\n${old.slice(pcpAt)}`);

    expect(problems, `differences (see ${RESULTS}):\n${problems.join('\n')}`).toEqual([]);
    expect(profileProblems, `miniupnpd-2.3.1 profile (see ${RESULTS}):\n${profileProblems.join('\n')}`).toEqual([]);
  }, 40_000);
});
