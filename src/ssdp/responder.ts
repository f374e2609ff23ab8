/**
 * The pure SSDP responder of the simulated gateway: which M-SEARCH gets which answers, and the
 * NOTIFY set. No sockets, no clock, no randomness of its own: time and random numbers are passed
 * in, so every answer is reproducible. The socket adapter is `server.ts`.
 *
 * Behaviour follows UDA 1.1 §1.3 and the real miniupnpd 2.3.1 (Debian, IGD:2 build) as observed
 * in the lab: a type search is answered by a device of the same or a higher version, and both ST
 * and USN carry the version that was asked for (`uuid:…::urn:…:InternetGatewayDevice:1` from an
 * IGD:2 device). Unlike a non-strict miniupnpd build, this responder applies UDA's MUSTs: MAN must
 * be `"ssdp:discover"`, a multicast search without a valid MX is ignored, and a search for a
 * higher version than offered is not answered.
 */

import {
  DEVICE_TYPE,
  MINIUPNPD_SSDP_REPLY_DELAY_MS,
  NTS_ALIVE,
  type NTS_BYEBYE,
  SERVICE_TYPE,
  SSDP_ALL,
  SSDP_DISCOVER,
  SSDP_MAX_MX,
  UPNP_ROOTDEVICE,
} from '../constants.js';
import type { Prefix } from '../nat/address.js';
import { inPrefix, parseIPv4 } from '../nat/address.js';
import { buildNotifyAlive, buildNotifyByebye, buildSearchResponse, parseSsdpMessage } from './message.js';

/** The gateway as SSDP advertises it. UDNs are `uuid:…` strings as in the device description. */
export interface SsdpDeviceDescription {
  /** UDN of the root InternetGatewayDevice. */
  readonly rootUdn: string;
  /** UDN of the embedded WANDevice. */
  readonly wanDeviceUdn: string;
  /** UDN of the embedded WANConnectionDevice. */
  readonly wanConnectionDeviceUdn: string;
  /** IGD version: sets the versions of IGD, WANDevice, WANConnectionDevice and WANIPConnection. */
  readonly igdVersion: 1 | 2;
  /** Description URL (`LOCATION`). */
  readonly location: string;
  /** `SERVER` header, e.g. `Linux/5.10 UPnP/1.1 natsim/0.1`. */
  readonly server: string;
  /** `BOOTID.UPNP.ORG`. */
  readonly bootId: number;
  /** `CONFIGID.UPNP.ORG`. */
  readonly configId: number;
  /** `CACHE-CONTROL: max-age` in seconds (UDA: at least 1800; NOTIFY interval should be < max-age/2). */
  readonly maxAge: number;
}

/** Router misbehaviours seen in the field, switchable per router profile. */
export interface SsdpQuirks {
  /** Answer searches from a socket on a port other than 1900 (applied by the socket layer). */
  readonly replyFromOtherPort?: boolean;
  /** Which searches are answered: both (default), only multicast ones, or only unicast ones. */
  readonly searchMode?: 'both' | 'multicast-only' | 'unicast-only';
  /** Answer `ssdp:all` with the root device's USNs only (those under `rootUdn`). */
  readonly ssdpAllRootOnly?: boolean;
  /**
   * Advertise and answer `urn:schemas-upnp-org:service:WANPPPConnection:1` on the
   * WANConnectionDevice, as miniupnpd's non-strict builds do (ADVERTISE_WANPPPCONN, "for buggy
   * control points"), although the description offers WANIPConnection only.
   */
  readonly advertiseWanPpp?: boolean;
}

/** Options of {@link SsdpResponder}. */
export interface SsdpResponderOptions {
  /** Searches from senders outside this prefix are ignored (miniupnpd: "not from a LAN"). */
  readonly lanPrefix?: Prefix;
  /**
   * When replies leave. `random`: each reply to a multicast search waits a random time within MX
   * (UDA 1.1 §1.3.3; unicast searches are answered at once). `fixed`: every reply waits
   * `fixedDelayMs`, whatever the MX and however the search came (miniupnpd's non-strict builds:
   * 50 ms). `none`: at once (tests).
   */
  readonly mxDelay: 'random' | 'none' | 'fixed';
  /** The delay of `fixed` (default `MINIUPNPD_SSDP_REPLY_DELAY_MS`, 50 ms). */
  readonly fixedDelayMs?: number;
  /** Router quirks. */
  readonly quirks?: SsdpQuirks;
}

/** A UDP endpoint in text form, as node:dgram reports it. */
export interface SsdpPeer {
  readonly address: string;
  readonly port: number;
}

/** How a search reached the responder. */
export type SearchVia = 'multicast' | 'unicast';

/** One reply to send: after `delayMs`, `message` to `to`. */
export interface SsdpReply {
  readonly delayMs: number;
  readonly message: string;
  readonly to: SsdpPeer;
  /** ST and USN of the message (for logs and tests). */
  readonly st: string;
  readonly usn: string;
}

/** Why a datagram got no answer. */
export type IgnoreReason =
  /** Not parseable as SSDP (garbage, too large, bad start line, bad header). */
  | 'malformed'
  /** A NOTIFY or a response: nothing to answer. */
  | 'not-search'
  /** MAN is not `"ssdp:discover"`. */
  | 'bad-man'
  /** Multicast search without MX. */
  | 'missing-mx'
  /** Multicast search whose MX is not an integer ≥ 1. */
  | 'invalid-mx'
  /** No ST header (or an empty one). */
  | 'missing-st'
  /** The sender is outside `lanPrefix` (or not an IPv4 address while one is set). */
  | 'outside-lan'
  /** The `searchMode` quirk refuses this kind of search (multicast or unicast). */
  | 'search-mode'
  /** The search target names nothing this gateway offers. */
  | 'no-match';

/** Outcome of {@link SsdpResponder.handleSearch}. */
export interface SearchOutcome {
  /** The search target, when one was read. */
  readonly st?: string;
  /** Effective MX in seconds (clamped), for a multicast search that had a valid one. */
  readonly mx?: number;
  /** Replies to send; empty when ignored. */
  readonly replies: readonly SsdpReply[];
  /** Set when there are no replies. */
  readonly ignored?: IgnoreReason;
  /** Human-readable detail for logs (parse error and the like). */
  readonly detail?: string;
}

/** One advertised USN with the NT it is announced under. */
export interface SsdpAdvertisement {
  /** NT of the NOTIFY, and ST of the matching search response. */
  readonly nt: string;
  readonly usn: string;
  /** The UDN of the device the USN belongs to. */
  readonly udn: string;
}

/** One NOTIFY message. */
export interface SsdpNotification extends SsdpAdvertisement {
  readonly nts: typeof NTS_ALIVE | typeof NTS_BYEBYE;
  readonly message: string;
}

/** A device or service type offered at some version. */
interface OfferedType {
  /** `urn:schemas-upnp-org:device:WANDevice` (no version). */
  readonly base: string;
  readonly version: number;
  readonly udn: string;
}

const VERSIONED_TYPE = /^(urn:[^:\s]+:(?:device|service):[^:\s]+):([1-9][0-9]{0,8})$/;
const MX_VALUE = /^[0-9]{1,9}$/;

function splitType(type: string): { base: string; version: number } {
  const m = VERSIONED_TYPE.exec(type);
  if (!m) throw new TypeError(`not a versioned UPnP type: ${type}`);
  return { base: m[1]!, version: Number(m[2]) };
}

function normalizeUdn(name: string, udn: string): string {
  const u = udn.startsWith('uuid:') ? udn : `uuid:${udn}`;
  if (!/^uuid:[^\s:]+$/.test(u)) throw new TypeError(`${name} is not a UDN: "${udn}"`);
  return u;
}

/**
 * The SSDP behaviour of the gateway. Construction validates the description (and throws on a bad
 * one); {@link handleSearch} and {@link notifications} never throw.
 */
export class SsdpResponder {
  /** The validated description (UDNs normalized to `uuid:…`); its `bootId` changes on {@link reboot}. */
  get description(): SsdpDeviceDescription {
    return this.#description;
  }
  #description: SsdpDeviceDescription;
  readonly options: SsdpResponderOptions;
  readonly quirks: SsdpQuirks;
  readonly #advertisements: readonly SsdpAdvertisement[];
  readonly #types: readonly OfferedType[];
  readonly #udns: readonly string[];

  constructor(description: SsdpDeviceDescription, options: SsdpResponderOptions) {
    const rootUdn = normalizeUdn('rootUdn', description.rootUdn);
    const wanUdn = normalizeUdn('wanDeviceUdn', description.wanDeviceUdn);
    const wcdUdn = normalizeUdn('wanConnectionDeviceUdn', description.wanConnectionDeviceUdn);
    if (new Set([rootUdn, wanUdn, wcdUdn].map((u) => u.toLowerCase())).size !== 3) {
      throw new TypeError('the three UDNs must differ');
    }
    const v = description.igdVersion;
    if (v !== 1 && v !== 2) throw new TypeError(`igdVersion must be 1 or 2, got ${String(v)}`);
    for (const [k, s] of [
      ['location', description.location],
      ['server', description.server],
    ] as const) {
      if (typeof s !== 'string' || s === '' || /[\r\n]/.test(s)) throw new TypeError(`${k} must be a non-empty single line`);
    }
    for (const k of ['bootId', 'configId', 'maxAge'] as const) {
      const n = description[k];
      if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${k} must be an unsigned 32-bit integer`);
    }
    if (options.mxDelay !== 'random' && options.mxDelay !== 'none' && options.mxDelay !== 'fixed') {
      throw new TypeError('mxDelay must be random, fixed or none');
    }
    const fixed = options.fixedDelayMs;
    if (fixed !== undefined && !(Number.isInteger(fixed) && fixed >= 0 && fixed <= SSDP_MAX_MX * 1000)) {
      throw new RangeError(`fixedDelayMs must be an integer in 0..${SSDP_MAX_MX * 1000}`);
    }

    this.#description = { ...description, rootUdn, wanDeviceUdn: wanUdn, wanConnectionDeviceUdn: wcdUdn };
    this.options = options;
    this.quirks = options.quirks ?? {};

    const devices = [
      { udn: rootUdn, type: DEVICE_TYPE.InternetGatewayDevice(v), services: [SERVICE_TYPE.Layer3Forwarding] },
      { udn: wanUdn, type: DEVICE_TYPE.WANDevice(v), services: [SERVICE_TYPE.WANCommonInterfaceConfig] },
      {
        udn: wcdUdn,
        type: DEVICE_TYPE.WANConnectionDevice(v),
        services: [SERVICE_TYPE.WANIPConnection(v), ...(this.quirks.advertiseWanPpp ? [SERVICE_TYPE.WANPPPConnection] : [])],
      },
    ];
    // UDA 1.1 §1.2.2 order: root device (3), embedded devices (2 each), then services (1 each).
    const ads: SsdpAdvertisement[] = [{ nt: UPNP_ROOTDEVICE, usn: `${rootUdn}::${UPNP_ROOTDEVICE}`, udn: rootUdn }];
    for (const d of devices) {
      ads.push({ nt: d.udn, usn: d.udn, udn: d.udn });
      ads.push({ nt: d.type, usn: `${d.udn}::${d.type}`, udn: d.udn });
    }
    for (const d of devices) {
      for (const s of d.services) ads.push({ nt: s, usn: `${d.udn}::${s}`, udn: d.udn });
    }
    this.#advertisements = ads;
    this.#types = devices.flatMap((d) => [d.type, ...d.services].map((t) => ({ ...splitType(t), udn: d.udn })));
    this.#udns = devices.map((d) => d.udn);
  }

  /**
   * The device started again (UDA 1.1 §1.2.2): BOOTID.UPNP.ORG moves on by one (wrapping at
   * 2^31), so control points that cached the old one know to refetch the description.
   */
  reboot(): number {
    const bootId = (this.#description.bootId + 1) % 0x80000000;
    this.#description = { ...this.#description, bootId };
    return bootId;
  }

  /** Every advertised (NT, USN) pair: 3 for the root device, 2 per embedded device, 1 per service. */
  advertisements(): readonly SsdpAdvertisement[] {
    return this.#advertisements;
  }

  /** All NOTIFY messages for `nts`, one per USN (alive: with CACHE-CONTROL, LOCATION, SERVER). */
  notifications(nts: typeof NTS_ALIVE | typeof NTS_BYEBYE): SsdpNotification[] {
    const d = this.description;
    return this.#advertisements.map((a) => ({
      ...a,
      nts,
      message:
        nts === NTS_ALIVE
          ? buildNotifyAlive({
              nt: a.nt,
              usn: a.usn,
              maxAge: d.maxAge,
              location: d.location,
              server: d.server,
              bootId: d.bootId,
              configId: d.configId,
            })
          : buildNotifyByebye({ nt: a.nt, usn: a.usn, bootId: d.bootId, configId: d.configId }),
    }));
  }

  /**
   * Decides the answers to one datagram received on the SSDP port.
   *
   * @param datagram the raw datagram
   * @param from the sender (replies go there, unicast)
   * @param rand random source in [0, 1) for the MX delay
   * @param now time for the `DATE` header (Date or epoch milliseconds)
   * @param via whether the datagram was sent to the multicast group or to the device's own address
   *   (a unicast search may omit MX and is answered at once)
   */
  handleSearch(
    datagram: Buffer | Uint8Array | string,
    from: SsdpPeer,
    rand: () => number,
    now: Date | number,
    via: SearchVia = 'multicast',
  ): SearchOutcome {
    try {
      return this.#handle(datagram, from, rand, now, via);
    } catch (e) {
      return { replies: [], ignored: 'malformed', detail: `internal error: ${(e as Error).message}` };
    }
  }

  #handle(datagram: Buffer | Uint8Array | string, from: SsdpPeer, rand: () => number, now: Date | number, via: SearchVia): SearchOutcome {
    const lan = this.options.lanPrefix;
    if (lan && !isInside(from.address, lan)) return { replies: [], ignored: 'outside-lan' };

    const parsed = parseSsdpMessage(datagram);
    if (!parsed.ok) return { replies: [], ignored: 'malformed', detail: parsed.error };
    const msg = parsed.message;
    if (msg.kind !== 'request' || msg.method !== 'M-SEARCH') return { replies: [], ignored: 'not-search' };

    const st = msg.headers.get('st');
    if (st === undefined || st === '') return { replies: [], ignored: 'missing-st' };
    if (msg.headers.get('man') !== SSDP_DISCOVER) return { st, replies: [], ignored: 'bad-man' };

    const mode = this.quirks.searchMode ?? 'both';
    if ((mode === 'multicast-only' && via === 'unicast') || (mode === 'unicast-only' && via === 'multicast')) {
      return { st, replies: [], ignored: 'search-mode' };
    }

    let mx: number | undefined;
    if (via === 'multicast') {
      const raw = msg.headers.get('mx');
      if (raw === undefined) return { st, replies: [], ignored: 'missing-mx' };
      if (!MX_VALUE.test(raw) || Number(raw) < 1) return { st, replies: [], ignored: 'invalid-mx', detail: `MX: ${raw}` };
      mx = Math.min(Number(raw), SSDP_MAX_MX);
    }

    const matches = this.#match(st);
    if (matches.length === 0) return { st, ...(mx !== undefined && { mx }), replies: [], ignored: 'no-match' };

    const d = this.description;
    const windowMs = mx !== undefined && this.options.mxDelay === 'random' ? mx * 1000 : 0;
    const fixedMs = this.options.mxDelay === 'fixed' ? (this.options.fixedDelayMs ?? MINIUPNPD_SSDP_REPLY_DELAY_MS) : 0;
    const replies = matches.map(({ st: rst, usn }) => ({
      delayMs: windowMs > 0 ? delayWithin(windowMs, rand) : fixedMs,
      to: { address: from.address, port: from.port },
      st: rst,
      usn,
      message: buildSearchResponse({
        maxAge: d.maxAge,
        date: now,
        location: d.location,
        server: d.server,
        st: rst,
        usn,
        bootId: d.bootId,
        configId: d.configId,
      }),
    }));
    return { st, ...(mx !== undefined && { mx }), replies };
  }

  /** (ST, USN) pairs answering search target `st`. */
  #match(st: string): Array<{ st: string; usn: string }> {
    if (st === SSDP_ALL) {
      const root = this.description.rootUdn;
      return this.#advertisements.filter((a) => !this.quirks.ssdpAllRootOnly || a.udn === root).map((a) => ({ st: a.nt, usn: a.usn }));
    }
    if (st === UPNP_ROOTDEVICE) return [{ st, usn: `${this.description.rootUdn}::${UPNP_ROOTDEVICE}` }];
    if (st.toLowerCase().startsWith('uuid:')) {
      const udn = this.#udns.find((u) => u.toLowerCase() === st.toLowerCase());
      // ST echoes the search; USN is the device's own UDN.
      return udn ? [{ st, usn: udn }] : [];
    }
    const m = VERSIONED_TYPE.exec(st);
    if (!m) return [];
    const base = m[1]!;
    const version = Number(m[2]);
    // A device of version ≥ N answers a search for version N, with the version asked for in ST
    // and USN (UDA 1.1 §1.3.2; what miniupnpd 2.3.1 sends).
    return this.#types.filter((t) => t.base === base && version <= t.version).map((t) => ({ st, usn: `${t.udn}::${st}` }));
  }
}

function isInside(address: string, prefix: Prefix): boolean {
  const text = address.startsWith('::ffff:') ? address.slice(7) : address;
  try {
    return inPrefix(parseIPv4(text), prefix);
  } catch {
    return false;
  }
}

/** A delay in [0, windowMs) from a random number in [0, 1); robust to a misbehaving source. */
function delayWithin(windowMs: number, rand: () => number): number {
  const r = rand();
  if (!(r >= 0 && r < 1)) return 0;
  return Math.min(windowMs - 1, Math.floor(r * windowMs));
}
