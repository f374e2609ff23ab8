/**
 * The UPnP error code for each refusal of the mapping service (src/nat/mapping-service.ts), per
 * IGD version, with the few actions that answer differently — as miniupnpd's upnpsoap.c maps
 * upnp_redirect()'s results.
 */
import { UPNP_ERROR } from '../constants.js';
import type { Refusal } from '../nat/mapping-service.js';
import { UpnpError } from './errors.js';

const E = UPNP_ERROR;

/** Codes for IGD:1 and IGD:2. */
interface Codes {
  readonly v1: number;
  readonly v2: number;
}

const both = (code: number): Codes => ({ v1: code, v2: code });
/** IGDv2 added 606 and 729; IGDv1 builds answer 718 for those conflicts. */
const v2OrConflict = (v2: number): Codes => ({ v1: E.ConflictInMappingEntry, v2 });

/** The default codes (AddPortMapping). */
export const REFUSAL_CODES: Readonly<Record<Refusal, Codes>> = {
  'not-owner': v2OrConflict(E.ActionNotAuthorized),
  'denied-by-rule': v2OrConflict(E.ActionNotAuthorized),
  'held-by-other-client': both(E.ConflictInMappingEntry),
  'held-by-session': both(E.ConflictInMappingEntry),
  'held-by-other-mechanism': v2OrConflict(E.ConflictWithOtherMechanisms),
  'reserved-port': v2OrConflict(E.ConflictWithOtherMechanisms),
  'nonce-mismatch': v2OrConflict(E.ActionNotAuthorized),
  'quota-exceeded': both(E.NoPortMapsAvailable),
  'protocol-disabled': v2OrConflict(E.ActionNotAuthorized),
  'no-resources': both(E.ActionFailed),
  'ports-exhausted': both(E.NoPortMapsAvailable),
  'forwarding-disabled': both(E.ActionFailed),
  'only-permanent-leases': both(E.OnlyPermanentLeasesSupported),
  'lease-refused': both(E.InvalidArgs),
  'invalid-internal-port': both(E.InvalidArgs),
  'no-such-mapping': both(E.NoSuchEntryInArray),
  // The upstream PCP server's refusals, as RFC 6970's error table maps PCP results to UPnP codes.
  'upstream-not-authorized': v2OrConflict(E.ActionNotAuthorized),
  'upstream-conflict': both(E.ConflictInMappingEntry),
  'upstream-no-resources': both(E.NoPortMapsAvailable),
  'upstream-failure': both(E.ActionFailed),
};

/** Actions whose answer to a refusal differs from AddPortMapping's. */
export const ACTION_REFUSAL_CODES: Readonly<Record<string, Partial<Record<Refusal, Codes>>>> = {
  // An IGDv2-only action: secure mode is 606 even where AddPortMapping says 718; a full table is 728.
  AddAnyPortMapping: { 'not-owner': both(E.ActionNotAuthorized), 'no-resources': both(E.NoPortMapsAvailable) },
  DeletePortMapping: { 'not-owner': { v1: E.NoSuchEntryInArray, v2: E.ActionNotAuthorized } },
  DeletePortMappingRange: { 'no-such-mapping': both(E.PortMappingNotFound), 'not-owner': both(E.ActionNotAuthorized) },
};

/** A profile's own codes for some refusals of some actions (e.g. miniupnpd 2.3.1's 718 for secure mode). */
export type RefusalOverrides = Readonly<Record<string, Partial<Record<Refusal, number>>>>;

/** The UPnP error code for a refusal of `action` on an IGD of `igdVersion` (a profile's override first). */
export function refusalCode(refusal: Refusal, action: string, igdVersion: 1 | 2, overrides?: RefusalOverrides): number {
  const own = overrides?.[action]?.[refusal];
  if (own !== undefined) return own;
  const codes = ACTION_REFUSAL_CODES[action]?.[refusal] ?? REFUSAL_CODES[refusal];
  return igdVersion === 2 ? codes.v2 : codes.v1;
}

/** The {@link UpnpError} to throw for a refusal. */
export function refusalError(
  r: { readonly refusal: Refusal; readonly message: string },
  action: string,
  ctx: { readonly igdVersion: 1 | 2; readonly profile: { readonly refusalCodes?: RefusalOverrides } },
): UpnpError {
  return new UpnpError(refusalCode(r.refusal, action, ctx.igdVersion, ctx.profile.refusalCodes), `${r.refusal}: ${r.message}`);
}
