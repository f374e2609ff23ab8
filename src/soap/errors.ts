/**
 * UPnP control errors and the SOAP fault miniupnpd sends for them (upnpsoap.c `SoapError`):
 * HTTP 500, `s:Client` / `UPnPError`, and an `errorCode` / `errorDescription` pair in a
 * `UPnPError` element of the control namespace. The fault envelope has no XML declaration.
 */
import { SOAP_ENCODING, SOAP_ENVELOPE_NS, UPNP_CONTROL_NS, UPNP_ERROR } from '../constants.js';
import { EXTRA_UPNP_ERROR } from './soap-constants.js';

/** The `errorDescription` miniupnpd sends for each code it uses (its exact spelling). */
export const UPNP_ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  [UPNP_ERROR.InvalidAction]: 'Invalid Action',
  [UPNP_ERROR.InvalidArgs]: 'Invalid Args',
  [EXTRA_UPNP_ERROR.InvalidVar]: 'Invalid Var',
  [UPNP_ERROR.ActionFailed]: 'Action Failed',
  [UPNP_ERROR.ArgumentValueInvalid]: 'Argument Value Invalid',
  [UPNP_ERROR.ArgumentValueOutOfRange]: 'Argument Value Out of Range',
  [UPNP_ERROR.OptionalActionNotImplemented]: 'Optional Action Not Implemented',
  [UPNP_ERROR.ActionNotAuthorized]: 'Action not authorized',
  [UPNP_ERROR.SpecifiedArrayIndexInvalid]: 'SpecifiedArrayIndexInvalid',
  [UPNP_ERROR.NoSuchEntryInArray]: 'NoSuchEntryInArray',
  [UPNP_ERROR.WildCardNotPermittedInSrcIP]: 'WildCardNotPermittedInSrcIP',
  [UPNP_ERROR.WildCardNotPermittedInExtPort]: 'WildCardNotPermittedInExtPort',
  [UPNP_ERROR.ConflictInMappingEntry]: 'ConflictInMappingEntry',
  [EXTRA_UPNP_ERROR.InvalidDeviceUUID]: 'InvalidDeviceUUID',
  [EXTRA_UPNP_ERROR.InvalidServiceID]: 'InvalidServiceID',
  [UPNP_ERROR.SamePortValuesRequired]: 'SamePortValuesRequired',
  [UPNP_ERROR.OnlyPermanentLeasesSupported]: 'OnlyPermanentLeasesSupported',
  [UPNP_ERROR.RemoteHostOnlySupportsWildcard]: 'RemoteHostOnlySupportsWildcard',
  [UPNP_ERROR.ExternalPortOnlySupportsWildcard]: 'ExternalPortOnlySupportsWildcard',
  [UPNP_ERROR.NoPortMapsAvailable]: 'NoPortMapsAvailable',
  [UPNP_ERROR.ConflictWithOtherMechanisms]: 'ConflictWithOtherMechanisms',
  [UPNP_ERROR.PortMappingNotFound]: 'PortMappingNotFound',
  [UPNP_ERROR.ReadOnly]: 'ReadOnly',
  [UPNP_ERROR.WildCardNotPermittedInIntPort]: 'WildCardNotPermittedInIntPort',
  // miniupnpd spells this one in the singular.
  [UPNP_ERROR.InconsistentParameters]: 'InconsistentParameter',
};

const NEEDS_ESCAPE = /[&<>"']/;

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;'));
}

/** Renders the fault envelope for `code` / `description`, byte-compatible with miniupnpd. */
export function soapFaultBody(code: number, description: string): string {
  return (
    `<s:Envelope xmlns:s="${SOAP_ENVELOPE_NS}" s:encodingStyle="${SOAP_ENCODING}">` +
    '<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>' +
    `<UPnPError xmlns="${UPNP_CONTROL_NS}"><errorCode>${code}</errorCode>` +
    `<errorDescription>${xmlEscape(description)}</errorDescription></UPnPError>` +
    '</detail></s:Fault></s:Body></s:Envelope>'
  );
}

/** A UPnP control error: thrown by action handlers, rendered as a SOAP fault by the app. */
export class UpnpError extends Error {
  override readonly name = 'UpnpError';
  /** The UPnP error code (see `UPNP_ERROR`). */
  readonly code: number;
  /** The `errorDescription` sent to the client. */
  readonly description: string;
  /** Why, for logs and traces (never sent on the wire). */
  readonly detail: string | undefined;

  /**
   * @param code a UPnP error code, e.g. `UPNP_ERROR.ConflictInMappingEntry`
   * @param detail an explanation for logs; the wire description is miniupnpd's for `code`
   * @param description overrides the wire description
   */
  constructor(code: number, detail?: string, description?: string) {
    const desc = description ?? UPNP_ERROR_DESCRIPTIONS[code] ?? 'Action Failed';
    super(detail === undefined ? `${code} ${desc}` : `${code} ${desc}: ${detail}`);
    this.code = code;
    this.description = desc;
    this.detail = detail;
  }

  /** HTTP status of the fault (always 500, like miniupnpd). */
  get httpStatus(): 500 {
    return 500;
  }

  /** The fault envelope miniupnpd sends for this error. */
  toSoapFault(): string {
    return soapFaultBody(this.code, this.description);
  }
}
