/**
 * Spec identifiers used across natsim, in one place.
 *
 * @see UPnP Device Architecture 1.1 / 2.0 (SSDP, GENA): https://openconnectivity.org/developer/specifications/upnp-resources/upnp/
 * @see UPnP IGD:1 and IGD:2 (InternetGatewayDevice, WANIPConnection, WANCommonInterfaceConfig, Layer3Forwarding)
 * @see RFC 6886 (NAT-PMP), RFC 6887 (PCP)
 * @see RFC 5389 (STUN), RFC 5780 (NAT behaviour discovery), RFC 3489 (classic STUN)
 */

/** SSDP multicast group and port (UDA 1.1 §1). */
export const SSDP_MULTICAST_ADDRESS = '239.255.255.250';
export const SSDP_PORT = 1900;
/** Multicast TTL recommended by UDA 1.1. */
export const SSDP_TTL = 2;
/** Largest MX honoured; larger values are clamped (UDA 1.1 §1.3.3). */
export const SSDP_MAX_MX = 5;
/**
 * SSDP reply budget (natsim's own limits; see src/ssdp/budget.ts and the README). Counted in reply
 * datagrams. A source (an IPv4 address, which a LAN attacker can spoof) may receive a burst of
 * `perSourceBurst` replies and then `perSourcePerSecond`; everyone together `globalBurst`, then
 * `globalPerSecond`. At most `maxSources` sources are tracked (the least recently seen one is
 * forgotten) and at most `maxPending` delayed replies wait at once; replies over a limit are
 * dropped and counted.
 */
export const SSDP_REPLY_BUDGET = {
  perSourceBurst: 64,
  perSourcePerSecond: 16,
  globalBurst: 512,
  globalPerSecond: 256,
  maxSources: 1024,
  maxPending: 1024,
} as const;
/** miniupnpd (non-strict builds) sends every search reply after this fixed delay, whatever the MX (minissdp.c). */
export const MINIUPNPD_SSDP_REPLY_DELAY_MS = 50;
/** `MAN` value an M-SEARCH must carry. */
export const SSDP_DISCOVER = '"ssdp:discover"';
export const SSDP_ALL = 'ssdp:all';
export const UPNP_ROOTDEVICE = 'upnp:rootdevice';
export const NTS_ALIVE = 'ssdp:alive';
export const NTS_BYEBYE = 'ssdp:byebye';

/** NAT-PMP and PCP server port (RFC 6886 §3, RFC 6887 §19). */
export const NATPMP_PORT = 5351;
/** NAT-PMP announcements go to this group and port (RFC 6886 §3.2.1). */
export const NATPMP_ANNOUNCE_ADDRESS = '224.0.0.1';
export const NATPMP_CLIENT_PORT = 5350;
/** The NAT-PMP version (RFC 6886 §3); PCP is 2 (RFC 6887). */
export const NATPMP_VERSION = 0;
/** Request opcodes (RFC 6886 §3.2, §3.3); a response's opcode is the request's + 128. */
export const NATPMP_OPCODE = { ExternalAddress: 0, MapUdp: 1, MapTcp: 2 } as const;
export const NATPMP_RESPONSE_BIT = 128;
/** Result codes (RFC 6886 §3.5). */
export const NATPMP_RESULT = {
  Success: 0,
  UnsupportedVersion: 1,
  NotAuthorized: 2,
  NetworkFailure: 3,
  OutOfResources: 4,
  UnsupportedOpcode: 5,
} as const;
export type NatpmpResultName = keyof typeof NATPMP_RESULT;
/** Lengths: requests (external address 2, map 12) and responses (error 8, address 12, map 16). */
export const NATPMP_LENGTH = { addressRequest: 2, mapRequest: 12, error: 8, addressResponse: 12, mapResponse: 16 } as const;
/** Largest datagram read (PCP's maximum message, RFC 6887 §7). */
export const NATPMP_MAX_DATAGRAM = 1100;
/**
 * Gaps before each unsolicited address announcement (RFC 6886 §3.2.1: ten, starting at 250 ms and
 * doubling); the first goes at once.
 */
export const NATPMP_ANNOUNCE_DELAYS_MS = [0, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000] as const;
/** The lifetime RFC 6886 §3.3 recommends clients ask for (the simulation's clients do). */
export const NATPMP_RECOMMENDED_LIFETIME = 7200;

/** PCP (RFC 6887): the version this server speaks; 1 was the draft some servers still answer. */
export const PCP_VERSION = 2;
export const PCP_DRAFT_VERSION = 1;
/** Opcodes (RFC 6887 §19.2); a response sets the R bit. */
export const PCP_OPCODE = { Announce: 0, Map: 1, Peer: 2 } as const;
export const PCP_RESPONSE_BIT = 0x80;
/** Options (RFC 6887 §19.4); codes below 128 are mandatory to process (§7.3). */
export const PCP_OPTION = { ThirdParty: 1, PreferFailure: 2, Filter: 3 } as const;
export const PCP_OPTIONAL_OPTION_MIN = 128;
/** Result codes (RFC 6887 §7.4). */
export const PCP_RESULT = {
  SUCCESS: 0,
  UNSUPP_VERSION: 1,
  NOT_AUTHORIZED: 2,
  MALFORMED_REQUEST: 3,
  UNSUPP_OPCODE: 4,
  UNSUPP_OPTION: 5,
  MALFORMED_OPTION: 6,
  NETWORK_FAILURE: 7,
  NO_RESOURCES: 8,
  UNSUPP_PROTOCOL: 9,
  USER_EX_QUOTA: 10,
  CANNOT_PROVIDE_EXTERNAL: 11,
  ADDRESS_MISMATCH: 12,
  EXCESSIVE_REMOTE_PEERS: 13,
} as const;
export type PcpResultName = keyof typeof PCP_RESULT;
/** Results RFC 6887 §7.4 calls short-lifetime errors (the client may retry soon); the rest are long-lifetime. */
export const PCP_SHORT_LIFETIME_RESULTS: ReadonlySet<number> = new Set<number>([
  PCP_RESULT.NETWORK_FAILURE,
  PCP_RESULT.NO_RESOURCES,
  PCP_RESULT.USER_EX_QUOTA,
  PCP_RESULT.CANNOT_PROVIDE_EXTERNAL,
]);
/**
 * Sizes in bytes: common header (request and response), MAP and PEER opcode data for version 2
 * and the version-1 draft (no nonce), an option header, the option bodies, the largest message.
 */
export const PCP_LENGTH = {
  header: 24,
  map: 36,
  peer: 56,
  mapV1: 24,
  peerV1: 44,
  optionHeader: 4,
  thirdParty: 16,
  preferFailure: 0,
  filter: 20,
  max: 1100,
} as const;
/** IANA protocol numbers a MAP or PEER carries (0 = all protocols). */
export const IP_PROTOCOL = { all: 0, tcp: 6, udp: 17 } as const;

/** Device types, by IGD version. */
export const DEVICE_TYPE = {
  InternetGatewayDevice: (v: 1 | 2) => `urn:schemas-upnp-org:device:InternetGatewayDevice:${v}`,
  WANDevice: (v: 1 | 2) => `urn:schemas-upnp-org:device:WANDevice:${v}`,
  WANConnectionDevice: (v: 1 | 2) => `urn:schemas-upnp-org:device:WANConnectionDevice:${v}`,
} as const;

/** Service types. */
export const SERVICE_TYPE = {
  WANIPConnection: (v: 1 | 2) => `urn:schemas-upnp-org:service:WANIPConnection:${v}`,
  WANCommonInterfaceConfig: 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1',
  Layer3Forwarding: 'urn:schemas-upnp-org:service:Layer3Forwarding:1',
  /** Only searched for and advertised by SSDP (miniupnpd's ADVERTISE_WANPPPCONN); never served. */
  WANPPPConnection: 'urn:schemas-upnp-org:service:WANPPPConnection:1',
} as const;

/** Service ids. */
export const SERVICE_ID = {
  WANIPConnection: 'urn:upnp-org:serviceId:WANIPConn1',
  WANCommonInterfaceConfig: 'urn:upnp-org:serviceId:WANCommonIFC1',
  Layer3Forwarding: 'urn:upnp-org:serviceId:L3Forwarding1',
} as const;

/** SOAP envelope namespace and encoding style. */
export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP_ENCODING = 'http://schemas.xmlsoap.org/soap/encoding/';
/** UPnP control namespace for UPnPError details. */
export const UPNP_CONTROL_NS = 'urn:schemas-upnp-org:control-1-0';
/** Device description namespace. */
export const UPNP_DEVICE_NS = 'urn:schemas-upnp-org:device-1-0';
/** Service description namespace. */
export const UPNP_SERVICE_NS = 'urn:schemas-upnp-org:service-1-0';
/** GENA event namespace. */
export const UPNP_EVENT_NS = 'urn:schemas-upnp-org:event-1-0';

/** UPnP control error codes (UDA §3.2.2 and the IGD WANIPConnection specs). */
export const UPNP_ERROR = {
  InvalidAction: 401,
  InvalidArgs: 402,
  ActionFailed: 501,
  ArgumentValueInvalid: 600,
  ArgumentValueOutOfRange: 601,
  OptionalActionNotImplemented: 602,
  ActionNotAuthorized: 606,
  SpecifiedArrayIndexInvalid: 713,
  NoSuchEntryInArray: 714,
  WildCardNotPermittedInSrcIP: 715,
  WildCardNotPermittedInExtPort: 716,
  ConflictInMappingEntry: 718,
  SamePortValuesRequired: 724,
  OnlyPermanentLeasesSupported: 725,
  RemoteHostOnlySupportsWildcard: 726,
  ExternalPortOnlySupportsWildcard: 727,
  NoPortMapsAvailable: 728,
  ConflictWithOtherMechanisms: 729,
  PortMappingNotFound: 730,
  ReadOnly: 731,
  WildCardNotPermittedInIntPort: 732,
  InconsistentParameters: 733,
} as const;

export type UpnpErrorName = keyof typeof UPNP_ERROR;

/** IGDv2 lease ceiling: 0 or larger leases are clamped to one week (WANIPConnection:2 §2.3.16). */
export const IGD2_MAX_LEASE_SECONDS = 604800;
/** GetListOfPortMappings with NewNumberOfPorts=0 returns at most this many (miniupnpd). */
export const LIST_OF_PORT_MAPPINGS_MAX = 1000;

/** STUN's default port (RFC 5389 §18.4). */
export const STUN_PORT = 3478;
/** The magic cookie every RFC 5389 message carries in bytes 4..7 (RFC 5389 §6). */
export const STUN_MAGIC_COOKIE = 0x2112a442;
/** Header and transaction-id sizes in bytes (RFC 5389 §6). */
export const STUN_HEADER_LENGTH = 20;
export const STUN_TRANSACTION_ID_LENGTH = 12;
/**
 * Largest datagram the STUN server reads (natsim's bound; RFC 5389 §7.1 keeps messages under the
 * path MTU, 576 bytes if unknown). Longer datagrams are ignored unread.
 */
export const STUN_MAX_MESSAGE = 2048;
/** STUN methods (RFC 5389 §18.1). Binding is the only one a plain STUN server answers. */
export const STUN_METHOD = { Binding: 0x001 } as const;
/** Message classes (RFC 5389 §6), as the two class bits C1 C0. */
export const STUN_CLASS = { Request: 0b00, Indication: 0b01, SuccessResponse: 0b10, ErrorResponse: 0b11 } as const;
/**
 * Attribute types (RFC 5389 §18.2, RFC 5780 §9.1, RFC 3489 §11.2). Types below 0x8000 are
 * comprehension-required: a request carrying one the server does not know is refused with 420.
 */
export const STUN_ATTRIBUTE = {
  MappedAddress: 0x0001,
  /** RFC 3489 only (deprecated by RFC 5389); answered 420 like any unknown required attribute. */
  ResponseAddress: 0x0002,
  ChangeRequest: 0x0003,
  /** RFC 3489 only: what RFC 5780 calls RESPONSE-ORIGIN. */
  SourceAddress: 0x0004,
  /** RFC 3489 only: what RFC 5780 calls OTHER-ADDRESS. */
  ChangedAddress: 0x0005,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorMappedAddress: 0x0020,
  Padding: 0x0026,
  ResponsePort: 0x0027,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
} as const;
export type StunAttributeName = keyof typeof STUN_ATTRIBUTE;
/** First comprehension-optional attribute type (RFC 5389 §15). */
export const STUN_OPTIONAL_ATTRIBUTE_MIN = 0x8000;
/** CHANGE-REQUEST flag bits (RFC 5780 §7.2). */
export const STUN_CHANGE_IP = 0x4;
export const STUN_CHANGE_PORT = 0x2;
/** Address families in (XOR-)MAPPED-ADDRESS and friends (RFC 5389 §15.1). */
export const STUN_FAMILY = { IPv4: 0x01, IPv6: 0x02 } as const;
/** FINGERPRINT is the CRC-32 of the message before it, XORed with this (RFC 5389 §15.5). */
export const STUN_FINGERPRINT_XOR = 0x5354554e;
/** Error codes the server sends (RFC 5389 §15.6). */
export const STUN_ERROR = { BadRequest: 400, UnknownAttribute: 420 } as const;
/** Longest SOFTWARE value, in bytes of UTF-8 (RFC 5389 §15.10: fewer than 128 characters, ≤ 763 bytes). */
export const STUN_MAX_SOFTWARE_BYTES = 763;
/** An error 420 lists at most this many unknown attributes (natsim's bound, so a reply stays small). */
export const STUN_MAX_UNKNOWN_LISTED = 16;
