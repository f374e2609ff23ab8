/**
 * Router profiles: how a simulated IGD behaves, as data plus a few small hooks. `miniupnpd` (the
 * default) reproduces miniupnpd 2.3.x built with `--igd2` (as OpenWrt and Debian ship it); the
 * others reproduce vendor quirks seen in public issue trackers. SSDP-only quirks are carried here
 * too so the gateway can hand them to the SSDP responder. What the router lets a mapping client
 * do (WAN state, lifetimes, range deletes) is the model's: each profile carries it as
 * {@link RouterPolicy} data that the router's mapping service applies.
 */
import { UPNP_ERROR } from '../constants.js';
import { DEFAULT_PCP_POLICY, MINIUPNPD_PCP_ERROR_LIFETIMES, pcpPolicyOf } from '../nat/pcp-policy.js';
import { DEFAULT_ROUTER_POLICY, type RouterPolicy } from '../nat/router-policy.js';
import type { RefusalOverrides } from './refusals.js';
import { DEFAULT_SERVER_STRING } from './soap-constants.js';

/** How `NewProtocol` is checked. */
export type ProtocolCheck =
  /**
   * miniupnpd itself (the default): "UDP" in any case is UDP, anything else is TCP, never an error.
   * Clients rely on it: @achingbrain/nat-port-mapper deletes mappings with `NewProtocol` = "".
   */
  | 'miniupnpd'
  /** TCP or UDP in any case; anything else is 402. */
  | 'case-insensitive'
  /** Exactly "TCP" or "UDP"; anything else (including lowercase) is 402. */
  | 'exact';

/** SSDP behaviours (implemented by src/ssdp; same fields as its `SsdpQuirks`). */
export interface ProfileSsdpQuirks {
  /** Answer searches from a port other than 1900. */
  readonly replyFromOtherPort: boolean;
  /** Which searches are answered. */
  readonly searchMode: 'both' | 'multicast-only' | 'unicast-only';
  /** Answer `ssdp:all` with the root device's USNs only. */
  readonly ssdpAllRootOnly: boolean;
  /**
   * When search replies leave: `fixed` after 50 ms whatever the MX (miniupnpd's non-strict
   * builds, minissdp.c), `mx-spread` at random within MX (UDA 1.1 §1.3.3; miniupnpd --strict).
   */
  readonly replyTiming: 'fixed' | 'mx-spread';
  /** Advertise and answer WANPPPConnection:1 searches (miniupnpd's non-strict ADVERTISE_WANPPPCONN). */
  readonly advertiseWanPpp: boolean;
}

/** A router profile. */
export interface RouterProfile {
  /** Table key, e.g. `miniupnpd`. */
  readonly name: string;
  /** One line for docs and `--help`. */
  readonly summary: string;
  /** IGD version advertised and served (overridable per app). */
  readonly igdVersion: 1 | 2;
  /**
   * miniupnpd's `--strict` build (UPNP_STRICT): 32-bit wrapped counters, NewInternalClient and
   * NewRemoteHost required, 720/721 from SetDefaultConnectionService. Off in distribution builds.
   */
  readonly strict: boolean;
  /** Specific NewRemoteHost values are honoured (netfilter/pf builds). Off: 726 in strict builds, ignored otherwise. */
  readonly supportRemoteHost: boolean;
  /** How NewProtocol is validated. */
  readonly protocolCheck: ProtocolCheck;
  /**
   * The router's mapping policy (model data, applied by the router's mapping service):
   * `wan: 'disconnected'` reads as down (status Disconnected, no address, adds fail with 501),
   * `leases` says which lifetimes are accepted.
   */
  readonly router: RouterPolicy;
  /**
   * Only the actions of the addressed service and IGD version are accepted (else 401). miniupnpd
   * dispatches on the action name alone, so e.g. AddAnyPortMapping works on an IGDv1 build.
   */
  readonly serviceActionCheck: boolean;
  /** miniupnpd (IGDv2) serves IGDv1 descriptions to Microsoft user agents. */
  readonly forceIgd1ForMicrosoft: boolean;
  /** `SERVER` header of HTTP replies (and SSDP). */
  readonly serverString: string;
  /** The profile's own UPnP codes for some refusals, by action (default: src/soap/refusals.ts). */
  readonly refusalCodes?: RefusalOverrides;
  /** The profile's own `errorDescription` for some codes (default: miniupnpd's current spelling). */
  readonly faultDescriptions?: Readonly<Record<number, string>>;
  /** SSDP quirks (applied by the SSDP layer). */
  readonly ssdp: ProfileSsdpQuirks;
}

/** miniupnpd's own SSDP (non-strict build): replies after a fixed 50 ms, WANPPPConnection:1 answered. */
const NO_SSDP_QUIRKS: ProfileSsdpQuirks = {
  replyFromOtherPort: false,
  searchMode: 'both',
  ssdpAllRootOnly: false,
  replyTiming: 'fixed',
  advertiseWanPpp: true,
};

const MINIUPNPD: RouterProfile = {
  name: 'miniupnpd',
  summary: 'miniupnpd 2.3 (IGDv2, secure mode), the reference behaviour',
  igdVersion: 2,
  strict: false,
  supportRemoteHost: true,
  protocolCheck: 'miniupnpd',
  router: DEFAULT_ROUTER_POLICY,
  serviceActionCheck: false,
  forceIgd1ForMicrosoft: true,
  serverString: DEFAULT_SERVER_STRING,
  ssdp: NO_SSDP_QUIRKS,
};

const withPolicy = (name: string, summary: string, router: Partial<RouterPolicy>): RouterProfile => ({
  ...MINIUPNPD,
  name,
  summary,
  router: { ...DEFAULT_ROUTER_POLICY, ...router },
});

/** Profiles for the mapping protocols on UDP 5351 (NAT-PMP, PCP); UPnP as miniupnpd. */
const MAPPING_PROTOCOL_PROFILES: Readonly<Record<string, RouterProfile>> = Object.fromEntries(
  [
    withPolicy(
      'natpmp-only',
      'NAT-PMP only: a PCP request gets NAT-PMP\'s "unsupported version" (version 0, result 1), so PCP clients fall back (RFC 6887 §9)',
      { pcp: { ...DEFAULT_PCP_POLICY, versions: [] } },
    ),
    withPolicy(
      'pcp-draft-v1',
      "a PCP version-1 draft server: version 2 gets UNSUPP_VERSION naming 1; MAP and PEER in the draft's layout, without a nonce",
      { pcp: { ...DEFAULT_PCP_POLICY, versions: [1] } },
    ),
    withPolicy(
      'pcp-not-authorized',
      'PCP present (ANNOUNCE answers) but every MAP and PEER gets NOT_AUTHORIZED, as a router with mapping switched off',
      { pcp: { ...DEFAULT_PCP_POLICY, mapping: 'not-authorized' } },
    ),
    withPolicy(
      'vpn-60s',
      "a VPN gateway's port forwarding: NAT-PMP and PCP grant 60 s whatever is asked, so clients renew about every 45 s",
      { pcp: { ...DEFAULT_PCP_POLICY, minLifetime: 60, maxLifetime: 60 }, natpmpLifetime: { min: 60, max: 60 } },
    ),
    withPolicy(
      'pcp-miniupnpd-error-lifetimes',
      "PCP error answers with miniupnpd 2.3's lifetimes: 0 for long-lifetime errors, 30 s for short ones (others: RFC 6887's 1800 s / 30 s)",
      { pcp: { ...DEFAULT_PCP_POLICY, errorLifetimes: MINIUPNPD_PCP_ERROR_LIFETIMES } },
    ),
    withPolicy(
      'epoch-kept',
      'the NAT-PMP/PCP epoch is not reset when the WAN address changes (RFC 6886 §3.6 says reset), so clients do not notice',
      { epochOnAddressChange: 'keep' },
    ),
    withPolicy(
      'pcp-third-party',
      "a carrier's PCP server that maps for a host its client names with THIRD_PARTY (RFC 6887 §13.1), as for the LAN hosts of a subscriber router without NAT",
      { pcp: { ...DEFAULT_PCP_POLICY, thirdParty: 'allowed' } },
    ),
    withPolicy('upnp-only', 'UPnP IGD only: nothing on UDP 5351 (no NAT-PMP, no PCP: datagrams get no answer)', { portControl: 'absent' }),
  ].map((p) => [p.name, p]),
);

/** Every built-in profile, by name. */
export const ROUTER_PROFILES: Readonly<Record<string, RouterProfile>> = {
  miniupnpd: MINIUPNPD,
  'miniupnpd-igd1': {
    ...MINIUPNPD,
    name: 'miniupnpd-igd1',
    summary: 'miniupnpd built without --igd2 (IGDv1: 718/714 instead of 606, lease 0 = permanent)',
    igdVersion: 1,
    forceIgd1ForMicrosoft: false,
  },
  'permanent-only': {
    ...MINIUPNPD,
    name: 'permanent-only',
    summary: 'IGDv1 router that accepts only permanent mappings: any non-zero lease gets 725',
    igdVersion: 1,
    forceIgd1ForMicrosoft: false,
    router: { ...DEFAULT_ROUTER_POLICY, leases: 'permanent-only' },
  },
  'lease-rejected': {
    ...MINIUPNPD,
    name: 'lease-rejected',
    summary: 'IGDv1 router that answers 402 Invalid Args to any non-zero lease',
    igdVersion: 1,
    forceIgd1ForMicrosoft: false,
    router: { ...DEFAULT_ROUTER_POLICY, leases: 'nonzero-refused' },
  },
  'lowercase-protocol-rejected': {
    ...MINIUPNPD,
    name: 'lowercase-protocol-rejected',
    summary: 'NewProtocol must be exactly "TCP" or "UDP" ("tcp" gets 402; miniupnpd accepts any case)',
    protocolCheck: 'exact',
  },
  'disconnected-wan': {
    ...MINIUPNPD,
    name: 'disconnected-wan',
    summary: 'WAN reads as disconnected: status Disconnected, empty external address, AddPortMapping 501',
    router: { ...DEFAULT_ROUTER_POLICY, wan: 'disconnected' },
  },
  'strict-miniupnpd': {
    ...MINIUPNPD,
    name: 'strict-miniupnpd',
    summary: 'miniupnpd built with --strict: 32-bit counters, NewInternalClient/NewRemoteHost required',
    strict: true,
    ssdp: { ...NO_SSDP_QUIRKS, replyTiming: 'mx-spread', advertiseWanPpp: false },
  },
  'ssdp-mx-spread': {
    ...MINIUPNPD,
    name: 'ssdp-mx-spread',
    summary: 'strict UDA search timing: each reply to a multicast M-SEARCH at random within MX (miniupnpd otherwise)',
    ssdp: { ...NO_SSDP_QUIRKS, replyTiming: 'mx-spread' },
  },
  'miniupnpd-2.3.1': {
    ...MINIUPNPD,
    name: 'miniupnpd-2.3.1',
    summary:
      "miniupnpd 2.3.1 as Debian ships it: DeletePortMappingRange ignores NewManage, 718 for secure mode on IGDv2, 2.3.1's error spellings",
    router: { ...DEFAULT_ROUTER_POLICY, rangeDelete: 'ignore-manage' },
    // 2.3.1 answers a secure-mode violation of AddPortMapping with 718 even on IGDv2 (606 since upstream PR #677).
    refusalCodes: { AddPortMapping: { 'not-owner': UPNP_ERROR.ConflictInMappingEntry } },
    faultDescriptions: {
      [UPNP_ERROR.WildCardNotPermittedInExtPort]: 'Wildcard not permited in ExtPort',
      [UPNP_ERROR.ActionFailed]: 'ActionFailed',
    },
  },
  'ssdp-other-port': {
    ...MINIUPNPD,
    name: 'ssdp-other-port',
    summary: 'answers M-SEARCH from a port other than 1900',
    ssdp: { ...NO_SSDP_QUIRKS, replyFromOtherPort: true },
  },
  'ssdp-multicast-only': {
    ...MINIUPNPD,
    name: 'ssdp-multicast-only',
    summary: 'answers only multicast M-SEARCH (unicast searches are ignored)',
    ssdp: { ...NO_SSDP_QUIRKS, searchMode: 'multicast-only' },
  },
  'ssdp-unicast-only': {
    ...MINIUPNPD,
    name: 'ssdp-unicast-only',
    summary: 'answers only unicast M-SEARCH (multicast searches are ignored)',
    ssdp: { ...NO_SSDP_QUIRKS, searchMode: 'unicast-only' },
  },
  'ssdp-all-root-only': {
    ...MINIUPNPD,
    name: 'ssdp-all-root-only',
    summary: 'answers ssdp:all with the root device only',
    ssdp: { ...NO_SSDP_QUIRKS, ssdpAllRootOnly: true },
  },
  ...MAPPING_PROTOCOL_PROFILES,
};

/** The default profile. */
export const DEFAULT_PROFILE: RouterProfile = MINIUPNPD;

/** Looks a profile up by name; throws with the known names when absent. */
export function routerProfile(name: string): RouterProfile {
  const p = ROUTER_PROFILES[name];
  if (!p) throw new Error(`unknown router profile "${name}" (known: ${Object.keys(ROUTER_PROFILES).join(', ')})`);
  return p;
}

/** A markdown table of the profiles, for the README. */
export function profilesMarkdownTable(profiles: Readonly<Record<string, RouterProfile>> = ROUTER_PROFILES): string {
  const rows = Object.values(profiles).map((p) => {
    const ssdp =
      [
        p.ssdp.replyFromOtherPort ? 'reply from other port' : '',
        p.ssdp.searchMode !== 'both' ? p.ssdp.searchMode : '',
        p.ssdp.ssdpAllRootOnly ? 'ssdp:all → root only' : '',
        p.ssdp.replyTiming === 'mx-spread' ? 'replies spread over MX' : '',
        p.ssdp.advertiseWanPpp ? '' : 'no WANPPPConnection',
      ]
        .filter(Boolean)
        .join(', ') || '—';
    return `| \`${p.name}\` | IGD:${p.igdVersion} | ${p.summary} | ${ssdp} | ${portControlSummary(p.router)} |`;
  });
  return ['| profile | IGD | behaviour | SSDP quirks | NAT-PMP / PCP (where offered) |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** What a router policy does on the port-control port, in a few words (the README column). */
export function portControlSummary(r: RouterPolicy): string {
  if (r.portControl === 'absent') return 'nothing on 5351';
  const pcp = pcpPolicyOf(r);
  const parts = [pcp.versions.length === 0 ? 'NAT-PMP only (PCP → UNSUPP_VERSION)' : `PCP v${pcp.versions.join('/')}`];
  if (pcp.mapping === 'not-authorized') parts.push('MAP/PEER → NOT_AUTHORIZED');
  if (pcp.thirdParty !== DEFAULT_PCP_POLICY.thirdParty) parts.push(`THIRD_PARTY ${pcp.thirdParty}`);
  const d = DEFAULT_PCP_POLICY;
  if (pcp.minLifetime !== d.minLifetime || pcp.maxLifetime !== d.maxLifetime)
    parts.push(`PCP lifetimes ${pcp.minLifetime === pcp.maxLifetime ? `${pcp.maxLifetime} s` : `${pcp.minLifetime}–${pcp.maxLifetime} s`}`);
  if (r.natpmpLifetime)
    parts.push(
      `NAT-PMP lifetimes ${r.natpmpLifetime.min === r.natpmpLifetime.max ? `${r.natpmpLifetime.max} s` : `${r.natpmpLifetime.min}–${r.natpmpLifetime.max} s`}`,
    );
  const e = pcp.errorLifetimes;
  parts.push(`PCP errors ${e.long}/${e.short} s`);
  if (r.epochOnAddressChange === 'keep') parts.push('epoch kept on address change');
  return parts.join(', ');
}
