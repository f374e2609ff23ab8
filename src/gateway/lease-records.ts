/**
 * The records of natsim's lease journal (see lease-journal.ts): one line per record,
 * `CRC32-HEX SP JSON LF`, the CRC over the JSON text. The first record is a header naming the
 * format; then `put` (a mapping added or refreshed) and `del` (a mapping gone) records, keyed by
 * protocol, external port and remote host. Replaying them into an insertion-ordered map gives the
 * table in its own order: a put on a key already present replaces in place, as the forward table
 * does; a del removes.
 *
 * Reading is linear and tolerant: a last line without its LF (a write cut short by a crash) and
 * any line whose CRC or JSON does not check are dropped and reported with their line number.
 * NUL bytes where a line would start are the journal's preallocated space and are skipped.
 */
import { crc32 } from 'node:zlib';
import type { ForwardOrigin, ForwardProtocol } from '../nat/forward-table.js';

/** The header's format name and version. */
export const LEASE_JOURNAL_FORMAT = 'natsim-leases';
export const LEASE_JOURNAL_VERSION = 1;

/** A mapping as the journal keeps it. */
export interface LeaseRecord {
  readonly protocol: ForwardProtocol;
  readonly externalPort: number;
  readonly internalClient: string;
  readonly internalPort: number;
  /** '' = any remote host. */
  readonly remoteHost: string;
  readonly description: string;
  /** Absolute expiry on the wall clock, Unix ms; 0 = permanent. */
  readonly expiresAtMs: number;
  /** The lease asked for, seconds (0 = permanent). */
  readonly leaseSeconds: number;
  readonly origin: ForwardOrigin;
  readonly enabled: boolean;
  readonly owner: string;
  /** PCP's mapping nonce, when the mapping has one. */
  readonly nonce?: string;
}

/** One journal line. */
export type JournalRecord =
  | { readonly op: 'header'; readonly format: string; readonly version: number }
  | { readonly op: 'put'; readonly lease: LeaseRecord }
  | { readonly op: 'del'; readonly protocol: ForwardProtocol; readonly externalPort: number; readonly remoteHost: string };

/** What replaying a journal found besides the mappings. */
export interface JournalProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly reason: 'partial-record' | 'bad-checksum' | 'bad-record';
  readonly message: string;
}

/** The key of a mapping in the table. */
export const leaseKey = (protocol: ForwardProtocol, externalPort: number, remoteHost: string): string =>
  `${protocol}/${externalPort}/${remoteHost}`;

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** Encodes one record as a journal line (with its LF). */
export function encodeRecord(r: JournalRecord): string {
  let json: string;
  switch (r.op) {
    case 'header':
      json = JSON.stringify({ op: 'header', format: r.format, version: r.version });
      break;
    case 'put': {
      const l = r.lease;
      json = JSON.stringify({
        op: 'put',
        p: l.protocol,
        e: l.externalPort,
        c: l.internalClient,
        i: l.internalPort,
        r: l.remoteHost,
        d: l.description,
        x: l.expiresAtMs,
        l: l.leaseSeconds,
        o: l.origin,
        en: l.enabled,
        ow: l.owner,
        ...(l.nonce !== undefined ? { n: l.nonce } : {}),
      });
      break;
    }
    case 'del':
      json = JSON.stringify({ op: 'del', p: r.protocol, e: r.externalPort, r: r.remoteHost });
      break;
  }
  return `${hex8(crc32(json))} ${json}\n`;
}

const ORIGINS = new Set<string>(['static', 'upnp', 'natpmp', 'pcp', 'pinhole', 'alg']);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isProto = (v: unknown): v is ForwardProtocol => v === 'tcp' || v === 'udp';
const isText = (v: unknown): v is string => typeof v === 'string';

/** Decodes the JSON of one line; undefined when it is not a well-formed record. */
function decodeJson(json: string): JournalRecord | undefined {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    o = v as Record<string, unknown>;
  } catch {
    return undefined;
  }
  switch (o['op']) {
    case 'header':
      return isText(o['format']) && Number.isInteger(o['version'])
        ? { op: 'header', format: o['format'], version: o['version'] as number }
        : undefined;
    case 'del':
      return isProto(o['p']) && isPort(o['e']) && isText(o['r'])
        ? { op: 'del', protocol: o['p'], externalPort: o['e'], remoteHost: o['r'] }
        : undefined;
    case 'put': {
      const { p, e, c, i, r, d, x, l, o: origin, en, ow, n } = o;
      if (!isProto(p) || !isPort(e) || !isText(c) || !isPort(i) || !isText(r) || !isText(d) || !isText(ow)) return undefined;
      if (n !== undefined && !isText(n)) return undefined;
      if (typeof x !== 'number' || !(x >= 0) || typeof l !== 'number' || !(l >= 0)) return undefined;
      if (!isText(origin) || !ORIGINS.has(origin) || typeof en !== 'boolean') return undefined;
      return {
        op: 'put',
        lease: {
          protocol: p,
          externalPort: e,
          internalClient: c,
          internalPort: i,
          remoteHost: r,
          description: d,
          expiresAtMs: x,
          leaseSeconds: l,
          origin: origin as ForwardOrigin,
          enabled: en,
          owner: ow,
          ...(n !== undefined ? { nonce: n } : {}),
        },
      };
    }
    default:
      return undefined;
  }
}

/** A journal replayed: the header (if any), the mappings in table order, and what was dropped. */
export interface ReplayResult {
  readonly header: Extract<JournalRecord, { op: 'header' }> | undefined;
  readonly leases: LeaseRecord[];
  readonly problems: JournalProblem[];
  /** Records read (valid lines). */
  readonly records: number;
}

/** Replays a journal's text: linear in its length. */
export function replayJournal(text: string): ReplayResult {
  const table = new Map<string, LeaseRecord>();
  const problems: JournalProblem[] = [];
  let header: ReplayResult['header'];
  let records = 0;
  let line = 0;
  let start = 0;
  // The preallocated space after the last record: zeros.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  while (start < end) {
    // Zeros where a record should start (space a write never reached): skipped.
    if (text.charCodeAt(start) === 0) {
      while (start < end && text.charCodeAt(start) === 0) start++;
      continue;
    }
    line++;
    const nl = text.indexOf('\n', start);
    if (nl < 0 || nl >= end) {
      problems.push({
        line,
        reason: 'partial-record',
        message: `line ${line}: a partial record at the end (${end - start} bytes without a line end) was dropped`,
      });
      break;
    }
    const raw = text.slice(start, nl);
    start = nl + 1;
    if (raw === '') continue;
    const sp = raw.indexOf(' ');
    const json = sp === 8 ? raw.slice(9) : '';
    if (sp !== 8 || !/^[0-9a-f]{8}$/.test(raw.slice(0, 8)) || hex8(crc32(json)) !== raw.slice(0, 8)) {
      problems.push({ line, reason: 'bad-checksum', message: `line ${line}: a damaged record (checksum mismatch) was dropped` });
      continue;
    }
    const r = decodeJson(json);
    if (!r) {
      problems.push({ line, reason: 'bad-record', message: `line ${line}: a record natsim cannot read was dropped` });
      continue;
    }
    records++;
    if (r.op === 'header') header ??= r;
    else if (r.op === 'put') table.set(leaseKey(r.lease.protocol, r.lease.externalPort, r.lease.remoteHost), r.lease);
    else table.delete(leaseKey(r.protocol, r.externalPort, r.remoteHost));
  }
  return { header, leases: [...table.values()], problems, records };
}
