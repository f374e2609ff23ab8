/**
 * Application layer gateways: a router feature that rewrites addresses announced inside a known
 * protocol's payload and opens the ports they announce.
 *
 * Payloads are text (the protocol's own wire text; a packet carrying bytes is read as latin1, see
 * {@link payloadText}); an ALG sees the outbound packet before and after source translation and
 * may return a rewritten copy (through {@link withPayloadText}, so bytes follow the text).
 */
import { type Endpoint, formatIPv4, type IPv4, type Protocol } from './address.js';
import { type Packet, payloadText, withPayloadText } from './packet.js';

/** What an ALG may do at the router. */
export interface AlgContext {
  readonly routerId: string;
  readonly now: number;
  /**
   * Opens an inbound path to an internal endpoint (an `alg` entry in the forward table) and
   * returns the external endpoint peers must use, or undefined when no port is free.
   */
  expect(protocol: 'udp' | 'tcp', internal: Endpoint, description: string): Endpoint | undefined;
}

/** An application layer gateway. */
export interface Alg {
  readonly name: string;
  readonly description: string;
  /** Whether the ALG inspects this (untranslated, outbound) packet. */
  matches(original: Packet): boolean;
  /** Rewrites the translated packet's payload; returns what it changed, or undefined. */
  outbound(original: Packet, translated: Packet, ctx: AlgContext): { packet: Packet; notes: string[] } | undefined;
}

const SIP_PORT = 5060;
const SIP_START =
  /^(?:(?:INVITE|ACK|BYE|CANCEL|OPTIONS|REGISTER|UPDATE|INFO|MESSAGE|NOTIFY|SUBSCRIBE|REFER|PRACK) \S+ SIP\/2\.0|SIP\/2\.0 \d{3})/;

/**
 * SIP ALG: rewrites the private address in SIP headers (Via, Contact, From …) and SDP bodies
 * (`c=` and `o=` lines), and opens an inbound path for every `m=` media port.
 */
export const sipAlg: Alg = {
  name: 'sip',
  description: 'rewrites private addresses in SIP/SDP and opens the announced RTP ports',
  matches(p) {
    if ((p.payload === undefined && p.data === undefined) || (p.proto !== 'udp' && p.proto !== 'tcp')) return false;
    // Port 5060, or any port carrying a SIP message (clients such as Windows Messenger use dynamic SIP ports).
    if (p.dst.port === SIP_PORT || p.src.port === SIP_PORT) return true;
    const text = p.payload ?? payloadText({ ...p, data: p.data!.subarray(0, 512) })!;
    return SIP_START.test(text);
  },
  outbound(original, translated, ctx) {
    const rewrite = rewriteContext(original, translated);
    if (!rewrite) return undefined;
    const { payload, inIp, exIp } = rewrite;
    const notes: string[] = [];
    // Line breaks are kept as they came (split with the separators), so bytes that are not text pass unchanged.
    let lines = payload.split(/(\r?\n)/);
    // SDP media: open a path for each announced port.
    let connIp: IPv4 = original.src.ip;
    const cLine = lines.find((l) => l.startsWith('c=IN IP4 '));
    if (cLine) {
      const ip = parseLoose(cLine.slice('c=IN IP4 '.length).trim());
      if (ip !== undefined) connIp = ip;
    }
    lines = lines.map((line) => {
      const m = /^m=(\S+) (\d+)(.*)$/.exec(line);
      if (!m || connIp !== original.src.ip) return line;
      const port = Number(m[2]);
      const proto: Protocol = /TCP/i.test(m[3] ?? '') ? 'tcp' : 'udp';
      const ext = ctx.expect(proto === 'tcp' ? 'tcp' : 'udp', { ip: connIp, port }, `SIP ALG ${m[1]} media`);
      // RTCP rides on port + 1 (RFC 3550): open it too.
      ctx.expect('udp', { ip: connIp, port: port + 1 }, `SIP ALG ${m[1]} RTCP`);
      if (!ext) return line;
      notes.push(`opened ${m[1]} ${exIp}:${ext.port} → ${inIp}:${port}`);
      return `m=${m[1]} ${ext.port}${m[3] ?? ''}`;
    });
    const sigFrom = `${inIp}:${original.src.port}`;
    const sigTo = `${exIp}:${translated.src.port}`;
    const rewritten = fixContentLength(
      lines.map((line) => line.replace(wholeAddress(sigFrom), sigTo).replace(wholeAddress(inIp), exIp)).join(''),
    );
    if (rewritten === payload) return undefined;
    notes.unshift(`rewrote ${inIp} to ${exIp} in the SIP message`);
    return { packet: withPayloadText(translated, rewritten), notes };
  },
};

/**
 * Sets a SIP message's Content-Length (or compact `l:`) header to its body's length in bytes
 * (one per latin1 character) after a rewrite changed the body, as RFC 3261 section 20.14 requires.
 */
function fixContentLength(message: string): string {
  const end = message.indexOf('\r\n\r\n');
  const sep = end >= 0 ? 4 : 2;
  const at = end >= 0 ? end : message.indexOf('\n\n');
  if (at < 0) return message;
  const bodyLength = message.length - at - sep;
  const head = message.slice(0, at).replace(/^(Content-Length|l)([ \t]*:[ \t]*)\d+/im, (_m, name, colon) => `${name}${colon}${bodyLength}`);
  return head + message.slice(at);
}

/** The payload and the private/public address pair an ALG rewrites, or undefined when nothing to do. */
function rewriteContext(original: Packet, translated: Packet): { payload: string; inIp: string; exIp: string } | undefined {
  if (original.src.ip === translated.src.ip) return undefined;
  const payload = payloadText(original);
  if (payload === undefined) return undefined;
  return { payload, inIp: formatIPv4(original.src.ip), exIp: formatIPv4(translated.src.ip) };
}

/** Matches `text` (an address or address:port) only where it is not part of a longer address. */
function wholeAddress(text: string): RegExp {
  return new RegExp(`(?<![\\d.])${text.replace(/\./g, '\\.')}(?![\\d])`, 'g');
}

function parseLoose(text: string): IPv4 | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

const H323_PORTS = new Set([1720, 1731]);

/**
 * H.323 ALG: rewrites the private media addresses that H.245 announces (`mediaChannel=IP:PORT`
 * lines in natsim's textual rendering of H.225/H.245) and opens the announced UDP ports.
 */
export const h323Alg: Alg = {
  name: 'h323',
  description: 'rewrites private media addresses in H.323 call signalling (TCP 1720/1731) and opens the announced RTP ports',
  matches(p) {
    return (
      (p.payload !== undefined || p.data !== undefined) && p.proto === 'tcp' && (H323_PORTS.has(p.dst.port) || H323_PORTS.has(p.src.port))
    );
  },
  outbound(original, translated, ctx) {
    const rewrite = rewriteContext(original, translated);
    if (!rewrite) return undefined;
    const { payload, inIp, exIp } = rewrite;
    const notes: string[] = [];
    const rewritten = payload
      .split(/(\r?\n)/)
      .map((line) => {
        const m = /^(\w+)=(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(line);
        if (!m || m[2] !== inIp) return line;
        const port = Number(m[3]);
        const ext = ctx.expect('udp', { ip: original.src.ip, port }, `H.323 ALG ${m[1]}`);
        if (!ext) return line;
        notes.push(`opened ${exIp}:${ext.port} → ${inIp}:${port}`);
        return `${m[1]}=${exIp}:${ext.port}`;
      })
      .join('');
    if (rewritten === payload) return undefined;
    notes.unshift(`rewrote ${inIp} to ${exIp} in H.245`);
    return { packet: withPayloadText(translated, rewritten), notes };
  },
};

/** ALGs by name. */
export const ALGS: Readonly<Record<string, Alg>> = { sip: sipAlg, h323: h323Alg };
