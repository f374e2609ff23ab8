/**
 * miniupnpd's lease file (`lease_file=` in miniupnpd.conf), read and written so a table can move
 * between natsim and a real miniupnpd. One mapping a line, as miniupnpd's upnpredirect.c writes
 * it:
 *
 *     PROTO:EXTPORT:INTCLIENT:INTPORT:TIMESTAMP:DESC
 *
 * PROTO is `TCP` or `UDP`; TIMESTAMP is 0 for a permanent mapping, else the Unix time (seconds) the
 * lease ends — or, in a miniupnpd built with LEASEFILE_USE_REMAINING_TIME, the seconds left
 * ({@link MiniupnpdTime}); DESC is the rest of the line (it may hold colons), which miniupnpd trims
 * of white space on reading and, since 2.3.11, writes without control characters. The format has
 * no remote-host field (miniupnpd restores every line with any remote host; its IPv6 pinhole file,
 * `lease_file6`, is a different format natsim does not model), so mappings restricted to one
 * remote host cannot be exported and are reported instead. miniupnpd reads lines of at most 319
 * bytes, so longer descriptions are cut on export.
 */
import { tryParseIPv4 } from '../nat/address.js';
import type { LeaseRecord } from './lease-records.js';

/** What TIMESTAMP means: miniupnpd's default (`absolute` Unix time) or LEASEFILE_USE_REMAINING_TIME. */
export type MiniupnpdTime = 'absolute' | 'remaining';

/** A line that could not be read. */
export interface MiniupnpdLeaseProblem {
  readonly line: number;
  readonly message: string;
}

/** Options of {@link parseMiniupnpdLeases} and {@link formatMiniupnpdLeases}. */
export interface MiniupnpdLeaseOptions {
  /** The wall clock, Unix ms (default Date.now). */
  readonly nowMs?: number;
  /** Default 'absolute', as miniupnpd builds by default (Debian's 2.3.1 included). */
  readonly time?: MiniupnpdTime;
}

/** The longest line miniupnpd's reload reads whole (its buffer is 320 bytes with the NUL). */
export const MINIUPNPD_MAX_LINE = 319;

/** Parses a miniupnpd lease file into lease records (origin `upnp`), dropping expired leases. */
export function parseMiniupnpdLeases(
  text: string,
  options: MiniupnpdLeaseOptions = {},
): {
  leases: LeaseRecord[];
  expired: number;
  problems: MiniupnpdLeaseProblem[];
} {
  const nowMs = options.nowMs ?? Date.now();
  const time = options.time ?? 'absolute';
  const leases = new Map<string, LeaseRecord>();
  const problems: MiniupnpdLeaseProblem[] = [];
  let expired = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const fields = splitFields(raw.endsWith('\r') ? raw.slice(0, -1) : raw, 5);
    if (!fields) {
      problems.push({ line, message: `line ${line}: not PROTO:EXTPORT:INTCLIENT:INTPORT:TIMESTAMP:DESC` });
      continue;
    }
    const [protoText, extText, client, intText, stampText, descText] = fields;
    const proto = protoText.toUpperCase();
    if (proto !== 'TCP' && proto !== 'UDP') {
      problems.push({ line, message: `line ${line}: protocol "${protoText}" (natsim maps TCP and UDP)` });
      continue;
    }
    const externalPort = port(extText);
    const internalPort = port(intText);
    if (externalPort === undefined || internalPort === undefined) {
      problems.push({ line, message: `line ${line}: a port is not 1–65535` });
      continue;
    }
    if (tryParseIPv4(client) < 0) {
      problems.push({ line, message: `line ${line}: internal client "${client}" is not an IPv4 address` });
      continue;
    }
    if (!/^\d{1,10}$/.test(stampText) || Number(stampText) > 0xffffffff) {
      problems.push({ line, message: `line ${line}: timestamp "${stampText}" is not a number of seconds` });
      continue;
    }
    const stamp = Number(stampText);
    let expiresAtMs = 0;
    if (stamp > 0) {
      expiresAtMs = time === 'absolute' ? stamp * 1000 : nowMs + stamp * 1000;
      if (expiresAtMs <= nowMs) {
        expired++;
        continue;
      }
    }
    const protocol = proto === 'TCP' ? 'tcp' : 'udp';
    // A later line for the same mapping wins, in the earlier line's place (miniupnpd's update).
    leases.set(`${protocol}/${externalPort}`, {
      protocol,
      externalPort,
      internalClient: client,
      internalPort,
      remoteHost: '',
      description: descText.trim(),
      expiresAtMs,
      leaseSeconds: expiresAtMs === 0 ? 0 : Math.ceil((expiresAtMs - nowMs) / 1000),
      origin: 'upnp',
      enabled: true,
      owner: client,
    });
  }
  return { leases: [...leases.values()], expired, problems };
}

/** Writes lease records in miniupnpd's format; mappings it cannot hold are listed in `skipped`. */
export function formatMiniupnpdLeases(
  leases: readonly LeaseRecord[],
  options: MiniupnpdLeaseOptions = {},
): {
  text: string;
  written: number;
  skipped: Array<{ readonly lease: LeaseRecord; readonly reason: string }>;
} {
  const nowMs = options.nowMs ?? Date.now();
  const time = options.time ?? 'absolute';
  const out: string[] = [];
  const skipped: Array<{ lease: LeaseRecord; reason: string }> = [];
  for (const l of leases) {
    if (l.remoteHost !== '') {
      skipped.push({ lease: l, reason: `restricted to remote host ${l.remoteHost}: miniupnpd's lease file has no remote-host field` });
      continue;
    }
    if (l.expiresAtMs !== 0 && l.expiresAtMs <= nowMs) {
      skipped.push({ lease: l, reason: 'the lease has run out' });
      continue;
    }
    const stamp =
      l.expiresAtMs === 0 ? 0 : time === 'absolute' ? Math.ceil(l.expiresAtMs / 1000) : Math.ceil((l.expiresAtMs - nowMs) / 1000);
    const head = `${l.protocol.toUpperCase()}:${l.externalPort}:${l.internalClient}:${l.internalPort}:${stamp}:`;
    // miniupnpd drops control characters and trims the description when it reads it back.
    let desc = l.description
      .slice(0, 4 * MINIUPNPD_MAX_LINE)
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .trim()
      .slice(0, MINIUPNPD_MAX_LINE);
    while (Buffer.byteLength(head + desc) > MINIUPNPD_MAX_LINE) desc = desc.slice(0, -1);
    out.push(`${head}${desc}\n`);
  }
  return { text: out.join(''), written: out.length, skipped };
}

/** The first `n` colon-separated fields and the rest of the line, or undefined. */
function splitFields(line: string, n: number): [string, string, string, string, string, string] | undefined {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = line.indexOf(':', start);
    if (c < 0) return undefined;
    out.push(line.slice(start, c));
    start = c + 1;
  }
  out.push(line.slice(start));
  return out as [string, string, string, string, string, string];
}

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}
