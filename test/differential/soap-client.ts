/**
 * A small SOAP client for the differential test, run inside the lan namespace (`ip netns exec LAN
 * node --import tsx soap-client.ts`). It reads `{ targets: { name: baseUrl }, steps: WireStep[] }`
 * as JSON on stdin, sends each target the whole sequence in order (one connection per request,
 * like miniupnpc), and prints `{ name: WireResult[] }` as JSON on stdout.
 */
import http from 'node:http';

/** One SOAP request. */
export interface WireStep {
  readonly name: string;
  /** Control URL path, e.g. /ctl/IPConn. */
  readonly path: string;
  /** Service type used in SOAPACTION and the body namespace. */
  readonly service: string;
  readonly action: string;
  /** Arguments in order (the value may be a per-target placeholder resolved before sending). */
  readonly args: ReadonlyArray<readonly [string, string]>;
  /** Local (client) address to send from; default: the namespace's primary address. */
  readonly from?: string;
}

/** The parsed answer. */
export interface WireResult {
  readonly name: string;
  readonly status: number;
  /** UPnP errorCode of a SOAP fault. */
  readonly errorCode?: number;
  readonly errorDescription?: string;
  /** Child elements of the `…Response` element (text, entities decoded). */
  readonly fields: Record<string, string>;
  readonly body: string;
  readonly error?: string;
}

const ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const ENCODING = 'http://schemas.xmlsoap.org/soap/encoding/';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unesc = (s: string): string =>
  s
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function soapBody(step: WireStep): string {
  const args = step.args.map(([k, v]) => `<${k}>${esc(v)}</${k}>`).join('');
  return `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="${ENVELOPE_NS}" s:encodingStyle="${ENCODING}"><s:Body><u:${step.action} xmlns:u="${step.service}">${args}</u:${step.action}></s:Body></s:Envelope>\r\n`;
}

export function parseAnswer(name: string, status: number, body: string): WireResult {
  const code = /<errorCode>\s*(\d+)\s*<\/errorCode>/.exec(body);
  const desc = /<errorDescription>([^<]*)<\/errorDescription>/.exec(body);
  const fields: Record<string, string> = {};
  const resp = /<(?:[\w-]+:)?\w+Response\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:[\w-]+:)?\w+Response>)/.exec(body);
  if (resp?.[1]) {
    for (const m of resp[1].matchAll(/<(\w+)>([\s\S]*?)<\/\1>/g)) fields[m[1]!] = unesc(m[2]!);
  }
  return {
    name,
    status,
    fields,
    body,
    ...(code ? { errorCode: Number(code[1]) } : {}),
    ...(desc ? { errorDescription: desc[1]! } : {}),
  };
}

function send(base: string, step: WireStep): Promise<WireResult> {
  const url = new URL(step.path, base);
  const body = soapBody(step);
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'text/xml; charset="utf-8"',
          SOAPAction: `"${step.service}#${step.action}"`,
          Connection: 'close',
          'Content-Length': Buffer.byteLength(body),
        },
        timeout: 5000,
        ...(step.from ? { localAddress: step.from } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve(parseAnswer(step.name, res.statusCode ?? 0, text)));
        res.on('error', (e) => resolve({ name: step.name, status: 0, fields: {}, body: text, error: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ name: step.name, status: 0, fields: {}, body: '', error: e.message }));
    req.end(body);
  });
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { targets, steps } = JSON.parse(input) as { targets: Record<string, string>; steps: Record<string, WireStep[]> };
  const out: Record<string, WireResult[]> = {};
  for (const [name, base] of Object.entries(targets)) {
    out[name] = [];
    for (const step of steps[name]!) out[name].push(await send(base, step));
  }
  process.stdout.write(JSON.stringify(out));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
