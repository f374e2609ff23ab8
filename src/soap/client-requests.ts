/**
 * The control point's side of SOAP, for clients that run in process (the simulation's UPnP
 * client): request bodies as miniupnpc sends them, and the reading of replies. The IGD answers
 * them through the same `UpnpService.control()` that serves HTTP.
 */
import { xmlEscape } from './errors.js';
import { parseSoapBody } from './xml.js';

/** A request ready for `UpnpService.control()`: the SOAPACTION header value and the body. */
export interface SoapRequest {
  readonly soapAction: string;
  readonly body: string;
}

/** A reply as the control point reads it. */
export type SoapReply =
  | { readonly ok: true; readonly args: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly code: number; readonly description: string };

/** Builds `action` of `serviceType` with its arguments in order (values XML-escaped). */
export function soapRequest(
  serviceType: string,
  action: string,
  args: ReadonlyArray<readonly [string, string | number]> = [],
): SoapRequest {
  const inner = args.map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`).join('');
  const body =
    '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" ' +
    's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>' +
    `<u:${action} xmlns:u="${xmlEscape(serviceType)}">${inner}</u:${action}></s:Body></s:Envelope>\r\n`;
  return { soapAction: `"${serviceType}#${action}"`, body };
}

/** The arguments of AddPortMapping and AddAnyPortMapping. */
export interface PortMappingArgs {
  readonly remoteHost?: string;
  readonly externalPort: number;
  readonly protocol: 'TCP' | 'UDP';
  readonly internalPort: number;
  readonly internalClient: string;
  readonly description: string;
  /** Seconds; 0 = as long as the IGD allows. */
  readonly leaseDuration: number;
}

function mappingArgs(m: PortMappingArgs): Array<[string, string | number]> {
  return [
    ['NewRemoteHost', m.remoteHost ?? ''],
    ['NewExternalPort', m.externalPort],
    ['NewProtocol', m.protocol],
    ['NewInternalPort', m.internalPort],
    ['NewInternalClient', m.internalClient],
    ['NewEnabled', 1],
    ['NewPortMappingDescription', m.description],
    ['NewLeaseDuration', m.leaseDuration],
  ];
}

/** `AddPortMapping`. */
export function addPortMappingRequest(serviceType: string, m: PortMappingArgs): SoapRequest {
  return soapRequest(serviceType, 'AddPortMapping', mappingArgs(m));
}

/** `AddAnyPortMapping` (WANIPConnection:2). */
export function addAnyPortMappingRequest(serviceType: string, m: PortMappingArgs): SoapRequest {
  return soapRequest(serviceType, 'AddAnyPortMapping', mappingArgs(m));
}

/** `GetExternalIPAddress`. */
export function getExternalIPAddressRequest(serviceType: string): SoapRequest {
  return soapRequest(serviceType, 'GetExternalIPAddress');
}

/** `DeletePortMapping`. */
export function deletePortMappingRequest(
  serviceType: string,
  m: { remoteHost?: string; externalPort: number; protocol: 'TCP' | 'UDP' },
): SoapRequest {
  return soapRequest(serviceType, 'DeletePortMapping', [
    ['NewRemoteHost', m.remoteHost ?? ''],
    ['NewExternalPort', m.externalPort],
    ['NewProtocol', m.protocol],
  ]);
}

/** Reads a reply: the output arguments of a 200, or the UPnP error of a fault (code 0 when none). */
export function readSoapReply(status: number, body: string): SoapReply {
  if (status === 200) {
    const parsed = parseSoapBody(body);
    if (parsed.ok) return { ok: true, args: parsed.body.args };
    return { ok: false, code: 0, description: `unreadable reply: ${parsed.message}` };
  }
  const code = /<errorCode>\s*(\d+)\s*<\/errorCode>/.exec(body);
  const description = /<errorDescription>([^<]*)<\/errorDescription>/.exec(body);
  return { ok: false, code: code ? Number(code[1]) : 0, description: description?.[1] ?? `HTTP ${status}` };
}
