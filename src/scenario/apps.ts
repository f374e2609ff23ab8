/**
 * Application profiles and generic probes, as data. Each profile states, from the seed
 * documents, how the application signals, which address it advertises, its flows and the
 * traversal techniques it uses. The simulation plays these flows as packets through the model.
 */

/** How an application learns the address it advertises to peers, in order of preference. */
export type Discovery =
  /** Ask its own gateway over UPnP (GetExternalIPAddress) and map its ports (AddPortMapping). */
  | 'upnp'
  /**
   * Ask its own gateway over NAT-PMP (RFC 6886): the external address (opcode 0), then a mapping
   * of its port (opcode 1/2, suggesting the same port, 7200 s).
   */
  | 'natpmp'
  /**
   * Ask its own gateway over PCP (RFC 6887): one MAP of its port (suggesting the same port,
   * 7200 s), whose answer carries the external address too. A router that speaks only NAT-PMP
   * answers "unsupported version" and the next method is tried.
   */
  | 'pcp'
  /** A STUN-like query to a reflector from the port itself (Snatmap, STUN). */
  | 'stun'
  /** The address the signalling server saw the client connect from, with the app's own port. */
  | 'server-observed'
  /** The host's own (possibly private) address. */
  | 'local'
  /**
   * Through a Winsock-style proxy (ISA Server firewall client): the app connects a socket towards
   * the party it will talk to (its SIP server when inviting, the inviter when invited) and
   * advertises the local address the socket reports — the proxy's external address when that party
   * is outside, its own internal address when inside. Listening sockets are opened on the proxy.
   */
  | 'proxy';

/** Who opens a flow towards whom. */
export type Opener =
  /** The caller connects/sends to the callee's advertised endpoint. */
  | 'caller'
  /** The callee connects/sends to the caller's advertised endpoint. */
  | 'callee'
  /** Both directions are needed (two streams, or two connections). */
  | 'both'
  /** Tried from the caller first, then from the callee; one success is enough. */
  | 'either';

/** One flow of a feature. */
export interface FlowSpec {
  readonly label: string;
  readonly proto: 'udp' | 'tcp';
  /**
   * The listening / receiving port: fixed, picked at random from a dynamic range, or the first
   * port of a range not already in use on the host (one per simultaneous session).
   */
  readonly port: number | { readonly dynamic: readonly [number, number] } | { readonly firstFree: readonly [number, number] };
  readonly opener: Opener;
  /** UDP: the app sends from its receiving port (symmetric RTP), so its sends open its NAT for replies. */
  readonly symmetric?: boolean;
  /**
   * A signalling flow that carries the sender's media addresses in its payload (SIP/SDP or H.245),
   * so an ALG on the path may rewrite them; the receiver uses what arrives.
   */
  readonly carries?: 'sdp' | 'h245';
}

/** A feature of an application (voice, file transfer …). */
export interface FeatureSpec {
  readonly label: string;
  readonly description: string;
  /** Server-side flows (outbound from each peer to the signalling server); always checked first. */
  readonly serverPorts?: readonly number[];
  /** Peer-to-peer flows, in order. */
  readonly flows: readonly FlowSpec[];
  /** What the app does when direct flows fail. */
  readonly fallback?: 'relay';
  /** A hole-punching peer checking candidate pairs (one symmetric UDP flow); see {@link PeerVariant}. */
  readonly peer?: PeerVariant;
}

/**
 * How a hole-punching peer picks the pairs it checks: `complete` (ICE-like: host, then
 * server-reflexive, then a relay, answering peer-reflexive sources), `naive` (only the advertised
 * address, answering only it), `predicting` (complete, plus a pair to the port a sequential
 * symmetric NAT will pick next, predicted from two fresh reflector queries).
 */
export type PeerVariant = 'complete' | 'naive' | 'predicting';

/** An application profile. */
export interface AppProfile {
  readonly id: string;
  readonly name: string;
  /** Seed document(s) the facts come from. */
  readonly source: string;
  readonly description: string;
  /** The client's connection to its signalling/presence server (outbound). */
  readonly login: { readonly proto: 'tcp'; readonly port: number; readonly label: string };
  readonly discovery: readonly Discovery[];
  /** Detects a peer behind the same UPnP gateway and then uses internal addresses. */
  readonly sameGatewayDetection: boolean;
  /** Answers the address a packet really came from (peer-reflexive), like ICE. */
  readonly iceLike: boolean;
  /**
   * Ignores UPnP when the gateway reports a private external address (RFC 1918, 100.64/10 …),
   * as libp2p and modern clients do: such a mapping cannot be reached from the Internet.
   */
  readonly rejectsReservedUpnpAddress?: boolean;
  readonly features: Readonly<Record<string, FeatureSpec>>;
  readonly defaultFeature: string;
  /**
   * Keepalives the app sends on its UDP flows while a session idles, and how often; absent: none
   * (an idle session's NAT mappings then run out on the router's UDP timer).
   */
  readonly keepalive?: { readonly every: number; readonly label: string };
}

const DYNAMIC_RTP = { dynamic: [5004, 65535] as const };

const wmSip: FlowSpec = {
  label: 'SIP session (invitee → inviter, dynamic UDP port)',
  proto: 'udp',
  port: DYNAMIC_RTP,
  opener: 'callee',
  carries: 'sdp',
};

/** Windows Messenger 5.0 (seed 004). */
const windowsMessenger: AppProfile = {
  id: 'windows-messenger',
  name: 'Windows Messenger 5.0',
  source: '004 (Windows Messenger 5.0: Working With Firewalls and NATs)',
  description: 'IM/presence through a server; SIP sessions and media peer to peer; UPnP is its only traversal technique',
  login: { proto: 'tcp', port: 1863, label: 'IM/presence connection to the server' },
  discovery: ['upnp', 'proxy', 'local'],
  sameGatewayDetection: true,
  iceLike: false,
  defaultFeature: 'av',
  features: {
    im: { label: 'instant messaging and presence', description: 'through the server over the outbound TCP connection', flows: [] },
    av: {
      label: 'audio and video',
      description: 'the invitee opens a SIP session to the address the inviter advertised; RTP on dynamic UDP 5004–65535 both ways',
      flows: [
        wmSip,
        { label: 'audio RTP', proto: 'udp', port: DYNAMIC_RTP, opener: 'both' },
        { label: 'video RTP', proto: 'udp', port: DYNAMIC_RTP, opener: 'both' },
      ],
    },
    'app-sharing': {
      label: 'application sharing and whiteboard',
      description: 'SIP session set-up, then a TCP connection to the initiator on port 1503',
      flows: [wmSip, { label: 'AS/WB data (TCP 1503)', proto: 'tcp', port: 1503, opener: 'callee' }],
    },
    'file-transfer': {
      label: 'file transfer',
      description: 'the sender passes its address through the server; the receiver connects to TCP 6891 (6891–6900, one per transfer)',
      flows: [{ label: 'file transfer (TCP 6891–6900)', proto: 'tcp', port: { firstFree: [6891, 6900] }, opener: 'callee' }],
    },
    'remote-assistance': {
      label: 'remote assistance',
      description: 'RDP over TCP 3389, tried from both ends: either side accepting is enough',
      flows: [{ label: 'remote assistance RDP (TCP 3389)', proto: 'tcp', port: 3389, opener: 'either' }],
    },
  },
};

/** NetMeeting (seed 001). */
const netMeeting: AppProfile = {
  id: 'netmeeting',
  name: 'NetMeeting',
  source: '001 (NetMeeting and firewalls)',
  description:
    'ILS directory on TCP 389, H.323 call setup TCP 1720, audio call control TCP 1731, RTP on dynamic UDP; no traversal technique',
  login: { proto: 'tcp', port: 389, label: 'ILS directory registration (TCP 389)' },
  discovery: ['local'],
  sameGatewayDetection: false,
  iceLike: false,
  defaultFeature: 'call',
  features: {
    directory: { label: 'directory (ILS)', description: 'outbound TCP 389 to the directory server', flows: [] },
    call: {
      label: 'call with audio',
      description: 'H.323 call setup (TCP 1720) and call control (TCP 1731) from the caller; RTP audio on dynamic UDP 1024–65535 both ways',
      flows: [
        { label: 'H.323 call setup (TCP 1720)', proto: 'tcp', port: 1720, opener: 'caller', carries: 'h245' },
        { label: 'audio call control (TCP 1731)', proto: 'tcp', port: 1731, opener: 'caller' },
        { label: 'audio RTP', proto: 'udp', port: { dynamic: [1024, 65535] }, opener: 'both' },
      ],
    },
    connect: {
      label: 'call connection (no media)',
      description: 'H.323 call setup (TCP 1720), call control (TCP 1731) and T.120 data (TCP 1503)',
      flows: [
        { label: 'H.323 call setup (TCP 1720)', proto: 'tcp', port: 1720, opener: 'caller' },
        { label: 'audio call control (TCP 1731)', proto: 'tcp', port: 1731, opener: 'caller' },
        { label: 'T.120 data (TCP 1503)', proto: 'tcp', port: 1503, opener: 'caller' },
      ],
    },
  },
};

const ispqVideo = (fallback: boolean): FeatureSpec => ({
  label: 'video chat',
  description: 'video control TCP 2000 and video data TCP 2001, in and out (each side connects to the other at its base port)',
  flows: [
    { label: 'video control (TCP 2000)', proto: 'tcp', port: 2000, opener: 'both' },
    { label: 'video data (TCP 2001)', proto: 'tcp', port: 2001, opener: 'both' },
  ],
  ...(fallback ? { fallback: 'relay' as const } : {}),
});

const ispqServer: FeatureSpec = {
  label: 'login, directory, pal list and text chat',
  description: 'outbound only: HTTP 80, directory TCP 2010, pal list TCP 2018, text chat TCP 9800',
  serverPorts: [80, 2010, 2018, 9800],
  flows: [],
};

const ispqFeatures = (fallback: boolean): Record<string, FeatureSpec> => ({
  login: ispqServer,
  'video-chat': ispqVideo(fallback),
  'quick-message': {
    label: 'peer-to-peer quick message',
    description: 'TCP 2002 (base port + 2), in and out',
    flows: [{ label: 'quick message (TCP 2002)', proto: 'tcp', port: 2002, opener: 'both' }],
  },
  audio: {
    label: 'audio',
    description: 'UDP 2000–2100 in and out, sent from the receiving port',
    flows: [{ label: 'audio (UDP 2000)', proto: 'udp', port: 2000, opener: 'both', symmetric: true }],
  },
});

/** iSpQ VideoChat 7 (seed 002): needs a port-forwarding rule for incoming video. */
const ispq7: AppProfile = {
  id: 'ispq-7',
  name: 'iSpQ VideoChat 7',
  source: '002 (iSpQ VideoChat firewall and network configuration guide)',
  description: 'server features outbound; video needs inbound TCP 2000–2002 (a forwarding rule behind a router)',
  login: { proto: 'tcp', port: 80, label: 'login over HTTP (TCP 80)' },
  discovery: ['server-observed'],
  sameGatewayDetection: false,
  iceLike: false,
  defaultFeature: 'video-chat',
  features: ispqFeatures(false),
};

/** iSpQ VideoChat 8 (seed 002): works without changes, at lower quality, through its own fallback. */
const ispq8: AppProfile = {
  ...ispq7,
  id: 'ispq-8',
  name: 'iSpQ VideoChat 8',
  description: 'as version 7, but falls back to a relayed path (lower quality) when incoming connections fail',
  features: ispqFeatures(true),
};

/** iChat AV (seeds 000 and 003). */
const ichatAv: AppProfile = {
  id: 'ichat-av',
  name: 'iChat AV',
  source: '000 and 003 (iChat AV across firewalls and NATs; protocol notes)',
  description: 'SIP on UDP 5060 (fixed) straight between peers, RTP/RTCP on UDP 16384–16387; Snatmap (STUN-like) and UPnP',
  login: { proto: 'tcp', port: 5190, label: 'AIM presence connection (TCP 5190)' },
  discovery: ['upnp', 'stun'],
  sameGatewayDetection: false,
  iceLike: false,
  defaultFeature: 'av',
  features: {
    av: {
      label: 'audio and video',
      description: 'SIP INVITE from the caller to UDP 5060, then RTP/RTCP on UDP 16384–16387 both ways, sent from the same ports',
      flows: [
        { label: 'SIP (UDP 5060)', proto: 'udp', port: 5060, opener: 'caller', symmetric: true, carries: 'sdp' },
        { label: 'video RTP (UDP 16384)', proto: 'udp', port: 16384, opener: 'both', symmetric: true },
        { label: 'video RTCP (UDP 16385)', proto: 'udp', port: 16385, opener: 'both', symmetric: true },
        { label: 'audio RTP (UDP 16386)', proto: 'udp', port: 16386, opener: 'both', symmetric: true },
        { label: 'audio RTCP (UDP 16387)', proto: 'udp', port: 16387, opener: 'both', symmetric: true },
      ],
    },
  },
};

/** Application profiles by id. */
export const APPS: Readonly<Record<string, AppProfile>> = Object.fromEntries(
  [windowsMessenger, netMeeting, ispq7, ispq8, ichatAv].map((a) => [a.id, a]),
);

/** A generic probe: a one-feature app of its own. */
export interface ProbeSpec {
  readonly id: string;
  readonly description: string;
  readonly app: AppProfile;
}

/** ICE keeps a selected pair alive with a packet at least every Tr = 15 s (RFC 8445 §11). */
const ICE_KEEPALIVE = { every: 15, label: 'ICE keepalive (STUN Binding indication, RFC 8445 §11: every 15 s)' } as const;

const probeApp = (
  id: string,
  description: string,
  discovery: Discovery[],
  iceLike: boolean,
  flows: FlowSpec[],
  peer?: PeerVariant,
): ProbeSpec => ({
  id,
  description,
  app: {
    id,
    name: id,
    source: 'natsim probe',
    description,
    login: { proto: 'tcp', port: 443, label: 'rendezvous connection (TCP 443)' },
    discovery,
    sameGatewayDetection: false,
    iceLike,
    rejectsReservedUpnpAddress: true,
    defaultFeature: id,
    ...(iceLike ? { keepalive: ICE_KEEPALIVE } : {}),
    features: { [id]: { label: id, description, flows, ...(peer ? { peer } : {}) } },
  },
});

/** Generic probes users run between any two hosts. */
export const PROBES: Readonly<Record<string, ProbeSpec>> = Object.fromEntries(
  [
    probeApp(
      'hole-punch',
      'UDP hole punching: both learn reflexive addresses from a reflector (or UPnP) and send at once; ICE-like (answers the observed source)',
      ['upnp', 'stun'],
      true,
      [{ label: 'UDP hole punch', proto: 'udp', port: 40000, opener: 'both', symmetric: true }],
      'complete',
    ),
    probeApp(
      'hole-punch-naive',
      'naive UDP hole punching: both send only to the address the other advertised (reflexive or UPnP) and answer only that address; no host candidate, no relay',
      ['upnp', 'stun'],
      false,
      [{ label: 'UDP hole punch', proto: 'udp', port: 40000, opener: 'both', symmetric: true }],
      'naive',
    ),
    probeApp(
      'hole-punch-predict',
      "port-predicting UDP hole punching: as hole-punch, plus a pair to the port a sequential symmetric NAT will pick next (predicted from two fresh reflector queries' port step)",
      ['upnp', 'stun'],
      true,
      [{ label: 'UDP hole punch', proto: 'udp', port: 40000, opener: 'both', symmetric: true }],
      'predicting',
    ),
    probeApp(
      'tcp-connect',
      "direct TCP connect to the address the rendezvous server saw the peer at, on the peer's listening port",
      ['server-observed'],
      false,
      [{ label: 'direct TCP connect', proto: 'tcp', port: 8000, opener: 'caller' }],
    ),
    probeApp(
      'upnp-map-connect',
      'the peer maps its listening port with UPnP on its gateway, then the caller connects to the mapped address',
      ['upnp', 'server-observed'],
      false,
      [{ label: 'TCP connect to UPnP mapping', proto: 'tcp', port: 8000, opener: 'caller' }],
    ),
    probeApp(
      'natpmp-map-connect',
      'the peer maps its listening port with NAT-PMP on its gateway, then the caller connects to the mapped address',
      ['natpmp', 'server-observed'],
      false,
      [{ label: 'TCP connect to NAT-PMP mapping', proto: 'tcp', port: 8000, opener: 'caller' }],
    ),
    probeApp(
      'pcp-map-connect',
      'the peer maps its listening port with PCP on its gateway, then the caller connects to the mapped address',
      ['pcp', 'server-observed'],
      false,
      [{ label: 'TCP connect to PCP mapping', proto: 'tcp', port: 8000, opener: 'caller' }],
    ),
    probeApp(
      'port-map-connect',
      'the peer maps its listening port as libtorrent, Tailscale and libplum do: PCP first, then NAT-PMP, then UPnP; the caller connects to the mapped address',
      ['pcp', 'natpmp', 'upnp', 'server-observed'],
      false,
      [{ label: 'TCP connect to the mapping', proto: 'tcp', port: 8000, opener: 'caller' }],
    ),
    probeApp(
      'classify',
      'RFC 5780-style behaviour discovery against the reflector: mapping tests I–III and filtering tests',
      ['stun'],
      false,
      [],
    ),
  ].map((p) => [p.id, p]),
);
