/**
 * Shared helpers of the gateway tests: SOAP over real HTTP (fetch, envelopes built by hand),
 * a loopback UDP client for SSDP, and a probe for a closed TCP port. Everything stays on
 * 127.0.0.1 with ephemeral ports.
 */
import net from 'node:net';
import type { GatewayHandle } from '../../src/gateway/index.js';

export const IPC1 = 'urn:schemas-upnp-org:service:WANIPConnection:1';
export const IPC2 = 'urn:schemas-upnp-org:service:WANIPConnection:2';
export const CFG = 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1';
export const IGD1 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
export const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2';

export const LOOPBACK = '127.0.0.1';

/** The SOAP envelope a UPnP client sends. */
export function envelope(action: string, serviceType: string, args: Record<string, string | number> = {}): string {
  const inner = Object.entries(args)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('');
  return (
    '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${serviceType}">${inner}</u:${action}></s:Body></s:Envelope>\r\n`
  );
}

export interface SoapResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Headers;
  /** UPnP errorCode of a fault, else undefined. */
  readonly code: number | undefined;
  /** An output argument's text. */
  arg(name: string): string | undefined;
}

/** Where a gateway's control URLs live. */
export function controlUrl(gw: Pick<GatewayHandle, 'descriptionUrl'> | string, path = '/ctl/IPConn'): string {
  return new URL(path, typeof gw === 'string' ? gw : gw.descriptionUrl).href;
}

/** Invokes an action over HTTP. Default service: WANIPConnection of the gateway's IGD version. */
export async function soap(
  gw: Pick<GatewayHandle, 'descriptionUrl' | 'igdVersion'>,
  action: string,
  args: Record<string, string | number> = {},
  opts: { serviceType?: string; path?: string; body?: string } = {},
): Promise<SoapResult> {
  const serviceType = opts.serviceType ?? (gw.igdVersion === 2 ? IPC2 : IPC1);
  const path = opts.path ?? (serviceType === CFG ? '/ctl/CmnIfCfg' : '/ctl/IPConn');
  const res = await fetch(controlUrl(gw, path), {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${serviceType}#${action}"` },
    body: opts.body ?? envelope(action, serviceType, args),
  });
  const body = await res.text();
  const m = /<errorCode>(\d+)<\/errorCode>/.exec(body);
  return {
    status: res.status,
    body,
    headers: res.headers,
    code: m ? Number(m[1]) : undefined,
    arg: (name) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(body)?.[1],
  };
}

/** AddPortMapping arguments (a loopback client stands for 192.168.1.2 on the default LAN). */
export function mappingArgs(over: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    NewRemoteHost: '',
    NewExternalPort: 5000,
    NewProtocol: 'UDP',
    NewInternalPort: 5000,
    NewInternalClient: '192.168.1.2',
    NewEnabled: 1,
    NewPortMappingDescription: 'test',
    NewLeaseDuration: 3600,
    ...over,
  };
}

/** The exact fault envelope miniupnpd sends (src/soap/errors.ts renders the same bytes). */
export function faultEnvelope(code: number, description: string): string {
  return (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    '<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
    `<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode>` +
    `<errorDescription>${description}</errorDescription></UPnPError>` +
    '</detail></s:Fault></s:Body></s:Envelope>'
  );
}

/** Resolves with the error code of a TCP connect to 127.0.0.1:port ('connected' if it worked). */
export function tcpProbe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: LOOPBACK, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Port of a URL. */
export const portOf = (url: string): number => Number(new URL(url).port);

export { type UdpClient, udpClient } from '../support/udp-client.js';

/** A unicast M-SEARCH (UDA 1.1: MX may be omitted). */
export function mSearch(st: string, ssdp: { address: string; port: number }, mx?: number): string {
  return (
    'M-SEARCH * HTTP/1.1\r\n' +
    `HOST: ${ssdp.address}:${ssdp.port}\r\n` +
    'MAN: "ssdp:discover"\r\n' +
    (mx !== undefined ? `MX: ${mx}\r\n` : '') +
    `ST: ${st}\r\n\r\n`
  );
}

/** Header of an SSDP/HTTP message (case-insensitive name). */
export function headerOf(msg: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'im').exec(msg);
  return m?.[1];
}

/** Text of the first element `name` in an XML document. */
export function xmlText(doc: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(doc)?.[1];
}

/**
 * Sends `parts` to 127.0.0.1:port (`gapMs` apart), half-closes unless `end: false`, and resolves
 * with everything received (latin1) once the server closes the connection (or after 5 s).
 */
export function exchange(port: number, parts: ReadonlyArray<string | Buffer>, o: { gapMs?: number; end?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: LOOPBACK, port });
    let got = '';
    const t = setTimeout(() => s.destroy(), 5_000);
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve(got);
    });
    s.on('connect', async () => {
      for (const p of parts) {
        s.write(p);
        if (o.gapMs) await new Promise((r) => setTimeout(r, o.gapMs));
      }
      if (o.end ?? true) s.end();
    });
  });
}

/** Sends raw bytes to 127.0.0.1:port and resolves with everything received until the server closes (or `timeoutMs`). */
export function rawRequest(port: number, data: string | Buffer, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ host: LOOPBACK, port });
    const done = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', done);
    s.on('connect', () => s.end(data));
  });
}

/** A SOAP POST as raw HTTP/1.1 (`Connection: close`). */
export function rawSoap(host: string, action: string, body: string, extraHeaders = ''): string {
  return (
    'POST /ctl/IPConn HTTP/1.1\r\n' +
    `Host: ${host}\r\n` +
    'Content-Type: text/xml; charset="utf-8"\r\n' +
    `SOAPAction: "${IPC2}#${action}"\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    extraHeaders +
    'Connection: close\r\n\r\n' +
    body
  );
}

/** HTTP status each kind of {@link malformedRequests} gets (the 5th to 8th: SOAP faults 402, 402, 402, 401). */
export const MALFORMED_STATUS = ['400', '400', '400', '400', '500', '500', '500', '500', '431', '400', '404'] as const;

/** 200 malformed requests of assorted kinds (protocol garbage, bad SOAP, bad headers, huge headers). */
export function malformedRequests(host: string): Array<string | Buffer> {
  const kinds: Array<(i: number) => string | Buffer> = [
    (i) => Buffer.from([0, 1, 2, 0xff, 0xfe, i & 0xff, 13, 10, 13, 10]),
    (i) => `GARBAGE ${i}\r\n\r\n`,
    () => 'POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
    () => 'POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz',
    (i) => rawSoap(host, 'AddPortMapping', `<not xml ${i} <<<`),
    () => rawSoap(host, 'AddPortMapping', '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><s:Envelope>&a;</s:Envelope>'),
    () => rawSoap(host, 'AddPortMapping', `<s:Envelope>${'<a>'.repeat(5000)}</s:Envelope>`),
    () => rawSoap(host, '', '<x/>'),
    () => `GET /rootDesc.xml HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    () => `POST /ctl/IPConn HTTP/1.1\r\nHost: ${host}\r\nSOAPAction: "${IPC2}#AddPortMapping"\r\nContent-Length: 10\r\n\r\nshort`, // body cut short
    () => `GET /rootDesc.xml HTTP/1.1\r\nHost: evil.example\r\n\r\n`, // DNS rebinding guard
  ];
  return Array.from({ length: 200 }, (_, i) => kinds[i % kinds.length]!(i));
}

/** The kind index of the i-th malformed request. */
export function malformedKind(i: number): number {
  return i % MALFORMED_STATUS.length;
}
