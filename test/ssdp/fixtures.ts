/** Shared fixtures for the SSDP tests. */

import type { SsdpDeviceDescription, SsdpResponderOptions } from '../../src/ssdp/responder.js';
import { SsdpResponder } from '../../src/ssdp/responder.js';

export const ROOT = 'uuid:11111111-1111-4111-8111-111111111111';
export const WAN = 'uuid:22222222-2222-4222-8222-222222222222';
export const WCD = 'uuid:33333333-3333-4333-8333-333333333333';
export const LOCATION = 'http://192.168.1.1:49000/rootDesc.xml';
export const SERVER = 'Linux/5.10 UPnP/1.1 natsim/0.1';
/** 2024-01-02T03:04:05Z */
export const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
export const DATE = 'Tue, 02 Jan 2024 03:04:05 GMT';

export const IGD = (v: number): string => `urn:schemas-upnp-org:device:InternetGatewayDevice:${v}`;
export const WAND = (v: number): string => `urn:schemas-upnp-org:device:WANDevice:${v}`;
export const WCDT = (v: number): string => `urn:schemas-upnp-org:device:WANConnectionDevice:${v}`;
export const WANIP = (v: number): string => `urn:schemas-upnp-org:service:WANIPConnection:${v}`;
export const WCIC = 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1';
export const L3F = 'urn:schemas-upnp-org:service:Layer3Forwarding:1';

export function description(over: Partial<SsdpDeviceDescription> = {}): SsdpDeviceDescription {
  return {
    rootUdn: ROOT,
    wanDeviceUdn: WAN,
    wanConnectionDeviceUdn: WCD,
    igdVersion: 2,
    location: LOCATION,
    server: SERVER,
    bootId: 7,
    configId: 1,
    maxAge: 1800,
    ...over,
  };
}

export function responder(over: Partial<SsdpDeviceDescription> = {}, options: Partial<SsdpResponderOptions> = {}): SsdpResponder {
  return new SsdpResponder(description(over), { mxDelay: 'none', ...options });
}

/** An M-SEARCH with the given headers, in order, CRLF line endings. */
export function msearch(headers: Record<string, string | undefined>): string {
  let out = 'M-SEARCH * HTTP/1.1\r\n';
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out += `${k}: ${v}\r\n`;
  return `${out}\r\n`;
}

/** A well-formed multicast search for `st` (`mx: null` leaves MX out). */
export function search(st: string, mx: string | null = '2'): string {
  return msearch({ HOST: '239.255.255.250:1900', MAN: '"ssdp:discover"', MX: mx ?? undefined, ST: st });
}

/** The exact response natsim sends for (st, usn) with the fixture description. */
export function expectedResponse(st: string, usn: string, over: { bootId?: number; maxAge?: number } = {}): string {
  return (
    'HTTP/1.1 200 OK\r\n' +
    `CACHE-CONTROL: max-age=${over.maxAge ?? 1800}\r\n` +
    `DATE: ${DATE}\r\n` +
    'EXT:\r\n' +
    `LOCATION: ${LOCATION}\r\n` +
    `SERVER: ${SERVER}\r\n` +
    `ST: ${st}\r\n` +
    `USN: ${usn}\r\n` +
    `BOOTID.UPNP.ORG: ${over.bootId ?? 7}\r\n` +
    'CONFIGID.UPNP.ORG: 1\r\n' +
    '\r\n'
  );
}

/** Deterministic PRNG (mulberry32) for fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 10 (NT, USN) pairs of the fixture IGD at version v, in advertisement order. */
export function allUsns(v: 1 | 2): Array<[string, string]> {
  return [
    ['upnp:rootdevice', `${ROOT}::upnp:rootdevice`],
    [ROOT, ROOT],
    [IGD(v), `${ROOT}::${IGD(v)}`],
    [WAN, WAN],
    [WAND(v), `${WAN}::${WAND(v)}`],
    [WCD, WCD],
    [WCDT(v), `${WCD}::${WCDT(v)}`],
    [L3F, `${ROOT}::${L3F}`],
    [WCIC, `${WAN}::${WCIC}`],
    [WANIP(v), `${WCD}::${WANIP(v)}`],
  ];
}
