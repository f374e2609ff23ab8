/**
 * Gateway benchmark: natsim's IGD over real sockets against a bare node:http server (and, with
 * --lab, the real miniupnpd), plus SSDP reply rate and `natsim serve` start-up time. All figures
 * of one invocation are measured in the same run; ratios are medians of per-round ratios, with
 * the subjects alternated round by round so that load from other processes hits both sides alike.
 *
 * Run (from the repo root; prints ONE JSON object on stdout, progress on stderr):
 *   node --import tsx bench/gateway.ts                # loopback parts 1, 2, 4, 5 (no root needed)
 *   node --import tsx bench/gateway.ts --lab          # also part 3: miniupnpd in private namespaces (root)
 *   GW_ONLY=startup node --import tsx bench/gateway.ts     # parts: soap,pairs,ssdp,flood,startup,lab (comma list)
 *
 * Needs: `wrk` (apt-get install wrk) for the HTTP parts; for --lab also iproute2, nftables,
 * miniupnpd-nftables, coturn (see shared/lab/README.md). The start-up part prototypes prebuilt
 * variants with esbuild (a dependency of tsx) in a temporary directory under /tmp.
 * Knobs: GW_DURATION=5 (s per wrk run)  GW_ROUNDS=2  GW_THREADS=2 GW_CONNS=16 (SOAP)
 *        GW_PAIR_CONNS=16 (pairs: one connection per wrk thread)  GW_SSDP_N=20000 GW_SSDP_W=64
 *        GW_STARTUP_RUNS=9  GW_NATSIM_BIN=bin/natsim.js (CLI entry to measure, e.g. a prototype build)
 *        GW_NATSIM_BASE_BIN=…/bin/natsim.js (a second build, e.g. main before a change, measured as
 *        subject natsimBase in the same rounds of parts 1 and 2, with its ratios to bare and to natsim)
 *
 * What is measured
 *  1 soap   GetExternalIPAddress req/s, wrk -t2 -c16, natsim (`natsim serve`) vs a bare node:http
 *           server answering a fixed body of the same size on the same path (the perf-anchor's
 *           node-baseline.js), in two workloads run against both: the client offering keep-alive
 *           (wrk's default, as fetch/undici clients such as nat-port-mapper do; natsim keeps HTTP/1.1
 *           connections open) and Connection: close (a connection per request, as upnpc and python
 *           miniupnpc do). srvCpuUsPerReq = server CPU time / requests (less noise-prone).
 *  2 pairs  AddPortMapping+DeletePortMapping pairs/s (UDP), wrk with one connection per thread so
 *           each Delete follows its own Add; keep-alive offered, and Connection: close; same comparison.
 *  3 lab    (--lab, root) namespaces nsb<pid>-lan / -rtr / -wan (the perf-anchor's topology, unique
 *           names, deleted at the end; a watchdog deletes them if this process dies): miniupnpd
 *           2.3 (daemon mode, coturn for its STUN check), natsim serve and the bare server in the
 *           router namespace, wrk in the LAN namespace; getext and pairs (UDP and TCP), each with
 *           the client offering keep-alive (miniupnpd closes every connection regardless) and with
 *           Connection: close.
 *  4 ssdp   unicast M-SEARCH replies/s on loopback (startGateway with mxDelay 'none'), closed loop
 *           with W requests in flight, bounded count and time; vs a bare dgram server answering a
 *           fixed reply of the same size, same client.
 *  4b flood ssdp:all as fast as possible for GW_FLOOD_S=5 s from 1 and from 32 source addresses
 *           (127.0.1.x) against startGateway with its defaults (the profile's 50 ms delay, the reply
 *           budget) and, as the baseline in the same run, without budget and pending cap; replies
 *           counted per source, compared with what the budget allows (burst + rate × time).
 *  5 startup `node bin/natsim.js serve --json --ssdp-port 0`: spawn → first stdout line, median of
 *           GW_STARTUP_RUNS, interleaved with `node -e ''` (spawn → exit); then where the time goes:
 *           the tsx loader alone, cold import of each dependency, and prebuilt variants (esbuild
 *           per-file transpile, single-file bundle, minified bundle) of the same CLI.
 *
 * Network safety: every target is 127.0.0.1 or an address inside the namespaces this run creates;
 * every load is bounded in time (wrk -d, `timeout`) and every server child has a hard lifetime.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log, median, msSince, nowNs, round } from './lib.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LUA = join(ROOT, 'bench', 'gateway.lua');
const env = process.env;
const num = (name: string, dflt: number): number => (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : dflt);
const DURATION = num('GW_DURATION', 5);
const ROUNDS = num('GW_ROUNDS', 2);
const THREADS = num('GW_THREADS', 2);
const CONNS = num('GW_CONNS', 16);
const PAIR_CONNS = num('GW_PAIR_CONNS', 16);
const SSDP_N = num('GW_SSDP_N', 20_000);
const SSDP_W = num('GW_SSDP_W', 64);
const STARTUP_RUNS = Math.max(5, num('GW_STARTUP_RUNS', 9));
const NATSIM_BIN = env['GW_NATSIM_BIN'] ? resolve(env['GW_NATSIM_BIN']) : join(ROOT, 'bin/natsim.js');
/** Optional second build measured in the same rounds of parts 1 and 2 (e.g. main before a change): subject natsimBase. */
const NATSIM_BASE_BIN = env['GW_NATSIM_BASE_BIN'] ? resolve(env['GW_NATSIM_BASE_BIN']) : undefined;
const SERVER_MAX_S = 900; // hard lifetime of every server child
const WANT_LAB = process.argv.includes('--lab') || env['GW_LAB'] === '1';
const ONLY = new Set((env['GW_ONLY'] ?? 'soap,pairs,ssdp,flood,startup,lab').split(',').map((s) => s.trim()));
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const PAIR_SPAN = 500; // ports per wrk thread: 20000 … 20000 + 16*500, below the ephemeral range

// ---------------------------------------------------------------- processes
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
});

function hasCmd(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `ip netns exec NS` prefix, or nothing. */
const inNs = (ns: string | undefined, argv: string[]): string[] => (ns ? ['ip', 'netns', 'exec', ns, ...argv] : argv);

/** The pid of the program `timeout` runs (the first child of `pid`), or `pid` itself. */
function innerPid(pid: number): number {
  for (let i = 0; i < 50; i++) {
    try {
      const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (kids) return Number(kids.split(/\s+/)[0]);
    } catch {
      return pid;
    }
    execFileSync('sleep', ['0.02']);
  }
  return pid;
}

/** utime + stime of a process, ms (NaN when gone). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
  } catch {
    return NaN;
  }
}

interface Server {
  readonly name: string;
  /** pid whose CPU time is charged (the server program itself). */
  readonly pid: number;
  readonly ready: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Spawns a server (wrapped in `timeout`), waits for its first stdout line, parsed as JSON. */
async function startServer(name: string, argv: string[], opts: { ns?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Server> {
  const full = inNs(opts.ns, ['timeout', String(SERVER_MAX_S), ...argv]);
  const child = spawn(full[0]!, full.slice(1), { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 4000) err += d.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${name}: no ready line in 30 s; stderr: ${err}`)), 30_000);
    // Only until the ready line: natsim serve logs a line per mapping change after it, and kept
    // appending (and searching) them all, this process took CPU from the servers it measures.
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        clearTimeout(t);
        child.stdout!.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${name} exited (${code}) before its ready line; stderr: ${err}`));
    });
  });
  child.stdout!.resume();
  const ready = JSON.parse(line) as Record<string, unknown>;
  const pid = innerPid(child.pid!);
  return {
    name,
    pid,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(t);
      }
      children.delete(child);
    },
  };
}

/** Runs a command to completion; stdout as text. */
function run(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      children.delete(child);
      resolve({ code, out, err });
    });
  });
}

// ---------------------------------------------------------------- servers
/** The perf-anchor's node-baseline.js, printing its real port as a JSON ready line. */
const BASELINE_HTTP = `
const http = require('node:http');
const host = process.argv[1], port = Number(process.argv[2]), size = Number(process.env.BODY_BYTES || 300);
const head = '<?xml version="1.0"?>\\r\\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' +
  '<u:GetExternalIPAddressResponse xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2">' +
  '<NewExternalIPAddress>100.64.0.1</NewExternalIPAddress>';
const tail = '</u:GetExternalIPAddressResponse></s:Body></s:Envelope>\\r\\n';
const BODY = Buffer.from(head + ' '.repeat(Math.max(0, size - Buffer.byteLength(head + tail))) + tail);
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/xml; charset="utf-8"', 'Content-Length': BODY.length, 'Ext': '' });
    res.end(BODY);
  });
});
server.listen(port, host, () => console.log(JSON.stringify({ ready: true, port: server.address().port, body: BODY.length })));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

/** A bare dgram server answering every datagram with a fixed reply of REPLY_BYTES. */
const BASELINE_UDP = `
const dgram = require('node:dgram');
const size = Number(process.env.REPLY_BYTES || 300);
const REPLY = Buffer.from('HTTP/1.1 200 OK\\r\\nCACHE-CONTROL: max-age=1800\\r\\n' + 'X: ' + 'x'.repeat(Math.max(0, size - 52)) + '\\r\\n\\r\\n');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(REPLY, r.port, r.address));
s.bind(0, '127.0.0.1', () => console.log(JSON.stringify({ ready: true, port: s.address().port, reply: REPLY.length })));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
`;

/**
 * startGateway() for the SSDP parts; prints the ready line. NATSIM_SSDP_MODE: 'rate' (mxDelay
 * 'none', reply budget out of the way: the responder's own speed), 'defaults' (exactly as
 * `natsim serve` runs: the profile's 50 ms delay, the default budget) or 'unlimited' (the defaults
 * without budget and pending cap, as natsim was before them: the flood's baseline).
 */
const NATSIM_API = `
import { startGateway } from './src/gateway/index.ts';
const mode = process.env.NATSIM_SSDP_MODE || 'rate';
const HUGE = { perSource: { burst: 1e12, perSecond: 1e12 }, global: { burst: 1e12, perSecond: 1e12 } };
const opts = mode === 'rate' ? { mxDelay: 'none', ssdpBudget: HUGE, ssdpMaxPending: 1e9 } : mode === 'unlimited' ? { ssdpBudget: HUGE, ssdpMaxPending: 1e9 } : {};
const gw = await startGateway({ scenario: 'scenarios/default.yaml', listen: '127.0.0.1', ssdpPort: 0, multicast: false, ...opts });
console.log(JSON.stringify({ ready: true, descriptionUrl: gw.descriptionUrl, ssdp: gw.ssdpAddress }));
process.on('SIGTERM', () => void gw.stop().then(() => process.exit(0)));
`;

const startNatsimServe = (listen: string, httpPort: number, ns?: string, bin = NATSIM_BIN): Promise<Server> =>
  startServer(
    'natsim',
    ['node', bin, 'serve', '--json', '--listen', listen, '--http-port', String(httpPort), '--ssdp-port', '0', '--no-multicast'],
    ns ? { ns } : {},
  );

const startBareHttp = (host: string, port: number, bodyBytes: number, ns?: string): Promise<Server> =>
  startServer('bare', ['node', '-e', BASELINE_HTTP, host, String(port)], { ...(ns ? { ns } : {}), env: { BODY_BYTES: String(bodyBytes) } });

/** WANIPConnection service type and control URL from a root description. */
function controlOf(desc: string): { service: string; control: string } {
  for (const m of desc.matchAll(/<service>([\s\S]*?)<\/service>/g)) {
    const t = /<serviceType>(.*?)<\/serviceType>/.exec(m[1]!)?.[1];
    if (t && /:service:WANIPConnection:/.test(t)) return { service: t, control: /<controlURL>(.*?)<\/controlURL>/.exec(m[1]!)![1]! };
  }
  throw new Error('no WANIPConnection service in the root description');
}

const envelope = (service: string, action: string, inner = ''): string =>
  '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
  `<s:Body><u:${action} xmlns:u="${service}">${inner}</u:${action}></s:Body></s:Envelope>\r\n`;

/** One HTTP request, optionally from inside a namespace (a one-shot node child there). */
async function httpOnce(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ns?: string,
): Promise<{ status: number; body: string }> {
  if (!ns) {
    const r = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
    return { status: r.status, body: await r.text() };
  }
  const code = `fetch(process.argv[1], { ...JSON.parse(process.argv[2]), signal: AbortSignal.timeout(5000) })
    .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
    .catch((e) => console.log(JSON.stringify({ status: 0, body: String(e) })));`;
  const r = await run(inNs(ns, ['node', '-e', code, url, JSON.stringify(init)]), { timeoutMs: 20_000 });
  return JSON.parse(r.out.trim().split('\n').pop() || '{"status":0,"body":""}') as { status: number; body: string };
}

const soapOnce = (
  base: string,
  control: string,
  service: string,
  action: string,
  inner = '',
  ns?: string,
): Promise<{ status: number; body: string }> =>
  httpOnce(
    base + control,
    {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: `"${service}#${action}"` },
      body: envelope(service, action, inner),
    },
    ns,
  );

// ---------------------------------------------------------------- wrk
interface WrkResult {
  rps: number;
  requests: number;
  p50_us: number;
  p99_us: number;
  max_us: number;
  errors: number;
  err_status: number;
  srvCpuPct: number;
  srvCpuUsPerReq: number;
}

async function wrk(
  url: string,
  server: Server | { pid: number },
  o: { threads: number; conns: number; ns?: string; env?: Record<string, string> },
): Promise<WrkResult> {
  const argv = inNs(o.ns, [
    'timeout',
    String(DURATION + 30),
    'wrk',
    `-t${o.threads}`,
    `-c${o.conns}`,
    `-d${DURATION}s`,
    '--timeout',
    '2s',
    '-s',
    LUA,
    url,
  ]);
  const c0 = cpuMs(server.pid);
  const t0 = nowNs();
  const r = await run(argv, { env: o.env ?? {}, timeoutMs: (DURATION + 40) * 1000 });
  const el = msSince(t0);
  const c1 = cpuMs(server.pid);
  const line = r.out.split('\n').find((l) => l.startsWith('GWBENCH_JSON '));
  if (!line) throw new Error(`wrk gave no result (exit ${r.code}): ${r.err || r.out.slice(-500)}`);
  const j = JSON.parse(line.slice(13)) as Record<string, number>;
  const cpu = c1 - c0;
  return {
    rps: round(j['rps']!),
    requests: j['requests']!,
    p50_us: j['p50_us']!,
    p99_us: j['p99_us']!,
    max_us: j['max_us']!,
    errors: j['err_connect']! + j['err_read']! + j['err_write']! + j['err_timeout']! + j['err_status']!,
    err_status: j['err_status']!,
    srvCpuPct: round((100 * cpu) / el, 1),
    srvCpuUsPerReq: round((cpu * 1000) / Math.max(1, j['requests']!), 1),
  };
}

interface Subject {
  name: string;
  measure: () => Promise<WrkResult>;
}

/** Alternates the subjects ROUNDS times; per subject the median-rps run; ratios per round. */
async function compare(
  label: string,
  subjects: Subject[],
  ratios: Array<[string, string]>,
  rounds = ROUNDS,
): Promise<Record<string, unknown>> {
  const runs: Record<string, WrkResult[]> = Object.fromEntries(subjects.map((s) => [s.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const s of subjects) {
      const res = await s.measure();
      runs[s.name]!.push(res);
      log(
        `  ${label} round ${r + 1} ${s.name}: ${res.rps} req/s p50 ${res.p50_us}us p99 ${res.p99_us}us errors ${res.errors} srvCPU ${res.srvCpuPct}% ${res.srvCpuUsPerReq}us/req`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const s of subjects) {
    const rs = runs[s.name]!;
    const med = [...rs].sort((a, b) => a.rps - b.rps)[(rs.length - 1) >> 1]!;
    out[s.name] = {
      ...med,
      rps: round(median(rs.map((x) => x.rps))),
      srvCpuUsPerReq: round(median(rs.map((x) => x.srvCpuUsPerReq)), 1),
      runsRps: rs.map((x) => x.rps),
    };
  }
  for (const [a, b] of ratios) {
    const per = runs[a]!.map((x, i) => x.rps / runs[b]![i]!.rps);
    out[`ratio_${a}_${b}`] = round(median(per), 3);
    out[`ratios_${a}_${b}`] = per.map((x) => round(x, 3));
    out[`cpuPerReqRatio_${a}_${b}`] = round(median(runs[a]!.map((x, i) => x.srvCpuUsPerReq / runs[b]![i]!.srvCpuUsPerReq)), 2);
  }
  return out;
}

const pairsView = (o: Record<string, unknown>): Record<string, unknown> => {
  // wrk counts requests; a pair is an Add and a Delete.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && 'rps' in v) {
      const w = v as WrkResult & { runsRps: number[] };
      out[k] = { pairsPerSec: round(w.rps / 2), ...w, runsPairsPerSec: w.runsRps.map((x) => round(x / 2)) };
    } else out[k] = v;
  }
  return out;
};

// ---------------------------------------------------------------- 1 + 2: loopback SOAP
async function loopbackHttp(result: Record<string, unknown>): Promise<void> {
  const natsim = await startNatsimServe('127.0.0.1', 0);
  let bare: Server | undefined;
  let natsimBase: Server | undefined;
  try {
    if (NATSIM_BASE_BIN) natsimBase = await startNatsimServe('127.0.0.1', 0, undefined, NATSIM_BASE_BIN);
    const nb = natsimBase;
    const baseOrigin = nb ? new URL(String(nb.ready['descriptionUrl'])).origin : '';
    /** The base build as a third subject, with its ratios, when GW_NATSIM_BASE_BIN is set. */
    const withBase = (subjects: Subject[], ratios: Array<[string, string]>, measure: (origin: string, s: Server) => Promise<WrkResult>) =>
      nb
        ? {
            subjects: [...subjects, { name: 'natsimBase', measure: () => measure(baseOrigin, nb) }],
            ratios: [...ratios, ['natsimBase', 'bare'] as [string, string], ['natsim', 'natsimBase'] as [string, string]],
          }
        : { subjects, ratios };
    const descUrl = String(natsim.ready['descriptionUrl']);
    const base = new URL(descUrl).origin;
    const { service, control } = controlOf((await httpOnce(descUrl)).body);
    const probe = await soapOnce(base, control, service, 'GetExternalIPAddress');
    if (probe.status !== 200) throw new Error(`natsim GetExternalIPAddress probe: ${probe.status}`);
    const bodyBytes = Buffer.byteLength(probe.body);
    bare = await startBareHttp('127.0.0.1', 0, bodyBytes);
    const bareBase = `http://127.0.0.1:${String(bare.ready['port'])}`;
    const svcEnv = { SOAP_SERVICE: service };
    const pairProbe = await soapOnce(
      base,
      control,
      service,
      'AddPortMapping',
      '<NewRemoteHost></NewRemoteHost><NewExternalPort>19999</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>19999</NewInternalPort><NewInternalClient>127.0.0.1</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>probe</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration>',
    );
    const delProbe = await soapOnce(
      base,
      control,
      service,
      'DeletePortMapping',
      '<NewRemoteHost></NewRemoteHost><NewExternalPort>19999</NewExternalPort><NewProtocol>UDP</NewProtocol>',
    );
    log(
      `natsim ${base}${control} (${service}); GetExternalIPAddress body ${bodyBytes} B; probe Add ${pairProbe.status} Delete ${delProbe.status}; bare on ${bareBase}`,
    );
    const b = bare;
    const meta = {
      service,
      control,
      responseBodyBytes: bodyBytes,
      natsimKeepsAlive: true,
      client: `wrk -t${THREADS} -c${CONNS} -d${DURATION}s`,
      rounds: ROUNDS,
    };
    if (ONLY.has('soap')) {
      log('1 GetExternalIPAddress, client offers keep-alive');
      const kaRun = withBase(
        [
          { name: 'natsim', measure: () => wrk(base + control, natsim, { threads: THREADS, conns: CONNS, env: svcEnv }) },
          { name: 'bare', measure: () => wrk(bareBase + control, b, { threads: THREADS, conns: CONNS, env: svcEnv }) },
        ],
        [['natsim', 'bare']],
        (origin, srv) => wrk(origin + control, srv, { threads: THREADS, conns: CONNS, env: svcEnv }),
      );
      const ka = await compare('getext-ka', kaRun.subjects, kaRun.ratios);
      log('1 GetExternalIPAddress, Connection: close');
      const closeRun = withBase(
        [
          {
            name: 'natsim',
            measure: () => wrk(base + control, natsim, { threads: THREADS, conns: CONNS, env: { ...svcEnv, CONN_CLOSE: '1' } }),
          },
          {
            name: 'bare',
            measure: () => wrk(bareBase + control, b, { threads: THREADS, conns: CONNS, env: { ...svcEnv, CONN_CLOSE: '1' } }),
          },
        ],
        [['natsim', 'bare']],
        (origin, srv) => wrk(origin + control, srv, { threads: THREADS, conns: CONNS, env: { ...svcEnv, CONN_CLOSE: '1' } }),
      );
      const close = await compare('getext-close', closeRun.subjects, closeRun.ratios);
      result['soapGetExternalIP'] = { ...meta, keepAliveClient: ka, connectionClose: close, target: 'natsim/bare >= 0.5' };
    }
    if (ONLY.has('pairs')) {
      const pairEnv = { ...svcEnv, PAIRS: 'UDP', PAIR_CLIENT: '127.0.0.1', PAIR_SPAN: String(PAIR_SPAN) };
      const pairRun = (label: string, env: Record<string, string>) => {
        const run = withBase(
          [
            { name: 'natsim', measure: () => wrk(base + control, natsim, { threads: PAIR_CONNS, conns: PAIR_CONNS, env }) },
            { name: 'bare', measure: () => wrk(bareBase + control, b, { threads: PAIR_CONNS, conns: PAIR_CONNS, env }) },
          ],
          [['natsim', 'bare']],
          (origin, srv) => wrk(origin + control, srv, { threads: PAIR_CONNS, conns: PAIR_CONNS, env }),
        );
        return compare(label, run.subjects, run.ratios);
      };
      log('2 AddPortMapping+DeletePortMapping pairs (UDP), client offers keep-alive');
      const ka = await pairRun('pairs-ka', pairEnv);
      log('2 AddPortMapping+DeletePortMapping pairs (UDP), Connection: close');
      const close = await pairRun('pairs-close', { ...pairEnv, CONN_CLOSE: '1' });
      result['soapAddDeletePairs'] = {
        client: `wrk -t${PAIR_CONNS} -c${PAIR_CONNS} -d${DURATION}s, UDP`,
        probe: { add: pairProbe.status, delete: delProbe.status },
        keepAliveClient: pairsView(ka),
        connectionClose: pairsView(close),
        target: 'natsim/bare >= 0.5',
      };
    }
  } finally {
    await natsim.stop();
    await natsimBase?.stop();
    await bare?.stop();
  }
}

// ---------------------------------------------------------------- 3: lab with miniupnpd
const LAB_NS = { lan: `nsb${process.pid}-lan`, rtr: `nsb${process.pid}-rtr`, wan: `nsb${process.pid}-wan` };
const LAB_DIR = `/tmp/nsbench-${process.pid}`;

/** The lab's configuration files, shared with the differential test (test/lab/). @DIR@ = the run's dir. */
const LAB_CONF_DIR = fileURLToPath(new URL('../test/lab/', import.meta.url));
const labConf = (name: string, dir: string): string => readFileSync(join(LAB_CONF_DIR, name), 'utf8').replaceAll('@DIR@', dir);
/** Kills what the lab started (pid files checked against the program name) and deletes its namespaces. */
const CLEANUP_SH = (dir: string): string => `#!/bin/sh
for pf in "${dir}/miniupnpd.pid:miniupnpd" "${dir}/turnserver.pid:turnserver"; do
  f=\${pf%%:*}; c=\${pf##*:}; p=$(cat "$f" 2>/dev/null)
  if [ -n "$p" ] && [ "$(cat /proc/$p/comm 2>/dev/null)" = "$c" ]; then kill "$p" 2>/dev/null; sleep 0.3; [ -d /proc/$p ] && kill -9 "$p" 2>/dev/null; fi
done
for n in ${LAB_NS.lan} ${LAB_NS.rtr} ${LAB_NS.wan}; do ip netns del "$n" 2>/dev/null; done
rm -rf "${dir}"
`;

function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

async function waitFor(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function lab(result: Record<string, unknown>): Promise<void> {
  const missing = ['ip', 'nft', 'wrk', 'miniupnpd', 'turnserver', 'ss'].filter((c) => !hasCmd(c) && !existsSync(`/usr/sbin/${c}`));
  if (process.getuid?.() !== 0 || missing.length) {
    result['lab'] = { skipped: process.getuid?.() !== 0 ? 'needs root' : `missing: ${missing.join(', ')}` };
    return;
  }
  const { lan: L, rtr: R, wan: W } = LAB_NS;
  mkdirSync(LAB_DIR, { recursive: true });
  writeFileSync(join(LAB_DIR, 'cleanup.sh'), CLEANUP_SH(LAB_DIR), { mode: 0o755 });
  for (const name of ['router.nft', 'miniupnpd.conf', 'turnserver.conf']) writeFileSync(join(LAB_DIR, name), labConf(name, LAB_DIR));
  writeFileSync(join(LAB_DIR, 'console.log'), '');
  const cleanup = (): void => {
    try {
      execFileSync('sh', [join(LAB_DIR, 'cleanup.sh')], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  };
  process.on('exit', cleanup);
  // Watchdog: cleans up if this process dies without doing it (e.g. SIGKILL); ends with it.
  spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; [ -f '${LAB_DIR}/cleanup.sh' ] && sh '${LAB_DIR}/cleanup.sh'`],
    { detached: true, stdio: 'ignore' },
  ).unref();
  const servers: Server[] = [];
  try {
    log(`3 lab: namespaces ${L} / ${R} / ${W} in ${LAB_DIR}`);
    sh(`set -e
for n in ${L} ${R} ${W}; do ip netns add $n; ip -n $n link set lo up; done
ip link add veth-lan netns ${L} type veth peer name veth-rl netns ${R}
ip link add veth-rw netns ${R} type veth peer name veth-wan netns ${W}
ip -n ${L} addr add 10.77.0.2/24 dev veth-lan; ip -n ${L} link set veth-lan up
ip -n ${R} addr add 10.77.0.1/24 dev veth-rl; ip -n ${R} link set veth-rl up
ip -n ${R} addr add 100.64.0.1/24 dev veth-rw; ip -n ${R} link set veth-rw up
ip -n ${W} addr add 100.64.0.2/24 dev veth-wan; ip -n ${W} link set veth-wan up
ip -n ${W} addr add 100.64.0.3/24 dev veth-wan
ip -n ${L} route add default via 10.77.0.1
ip -n ${W} route add default via 100.64.0.1
ip netns exec ${R} sysctl -qw net.ipv4.ip_forward=1
ip netns exec ${L} sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ip netns exec ${L} sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec ${R} nft -f ${LAB_DIR}/router.nft`);
    // coturn (STUN) in the WAN namespace: miniupnpd 2.3 enables forwarding on a reserved WAN address only after it.
    const turn = spawn('ip', ['netns', 'exec', W, 'timeout', String(SERVER_MAX_S), 'turnserver', '-c', join(LAB_DIR, 'turnserver.conf')], {
      stdio: 'ignore',
    });
    children.add(turn);
    await waitFor('coturn', () => sh(`ip netns exec ${W} ss -Hlun`).includes('100.64.0.3:3479'));
    sh(
      `ip netns exec ${R} sh -c "mount --bind '${LAB_DIR}/console.log' /dev/console && exec miniupnpd -f '${LAB_DIR}/miniupnpd.conf' -P '${LAB_DIR}/miniupnpd.pid'" > '${LAB_DIR}/miniupnpd.log' 2>&1`,
    );
    await waitFor(
      'miniupnpd',
      () => existsSync(join(LAB_DIR, 'miniupnpd.pid')) && / 0\.0\.0\.0:49000 |:49000 /.test(sh(`ip netns exec ${R} ss -Hltn`)),
    );
    const muPid = Number(readFileSync(join(LAB_DIR, 'miniupnpd.pid'), 'utf8').trim());
    const mu = { pid: muPid };
    const muBase = 'http://10.77.0.1:49000';
    const { service: muSvc, control: muCtl } = controlOf((await httpOnce(`${muBase}/rootDesc.xml`, {}, L)).body);
    const addArgs = (port: number, proto: string): string =>
      `<NewRemoteHost></NewRemoteHost><NewExternalPort>${port}</NewExternalPort><NewProtocol>${proto}</NewProtocol><NewInternalPort>${port}</NewInternalPort><NewInternalClient>10.77.0.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>probe</NewPortMappingDescription><NewLeaseDuration>3600</NewLeaseDuration>`;
    const delArgs = (port: number, proto: string): string =>
      `<NewRemoteHost></NewRemoteHost><NewExternalPort>${port}</NewExternalPort><NewProtocol>${proto}</NewProtocol>`;
    let probe = 0;
    for (let i = 0; i < 30 && probe !== 200; i++) {
      probe = (await soapOnce(muBase, muCtl, muSvc, 'AddPortMapping', addArgs(45001, 'UDP'), L)).status;
      if (probe !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    await soapOnce(muBase, muCtl, muSvc, 'DeletePortMapping', delArgs(45001, 'UDP'), L);
    if (probe !== 200) throw new Error(`miniupnpd AddPortMapping probe: ${probe} (forwarding not enabled?)`);
    const muVersion = sh('miniupnpd --version 2>&1 | head -1').trim();
    log(`miniupnpd pid ${muPid} (${muVersion}) ${muCtl} ${muSvc}, forwarding enabled`);

    const natsim = await startNatsimServe('10.77.0.1', 49002, R);
    servers.push(natsim);
    const nsBase = 'http://10.77.0.1:49002';
    const { service: nsSvc, control: nsCtl } = controlOf((await httpOnce(`${nsBase}/rootDesc.xml`, {}, L)).body);
    const nsProbe = (await soapOnce(nsBase, nsCtl, nsSvc, 'AddPortMapping', addArgs(45001, 'UDP'), L)).status;
    await soapOnce(nsBase, nsCtl, nsSvc, 'DeletePortMapping', delArgs(45001, 'UDP'), L);
    if (nsProbe !== 200) throw new Error(`natsim AddPortMapping probe in the lab: ${nsProbe}`);
    const getext = await soapOnce(muBase, muCtl, muSvc, 'GetExternalIPAddress', '', L);
    const bare = await startBareHttp('10.77.0.1', 49001, Buffer.byteLength(getext.body), R);
    servers.push(bare);
    const bareBase = 'http://10.77.0.1:49001';
    const tw = (): number => Number(sh(`ip netns exec ${R} ss -Htan state time-wait | wc -l`).trim());

    const o = (svc: string, extra: Record<string, string> = {}) => ({
      threads: THREADS,
      conns: CONNS,
      ns: L,
      env: { SOAP_SERVICE: svc, ...extra },
    });
    const pairO = (svc: string, proto: string, extra: Record<string, string> = {}) => ({
      threads: PAIR_CONNS,
      conns: PAIR_CONNS,
      ns: L,
      env: { SOAP_SERVICE: svc, PAIRS: proto, PAIR_CLIENT: '10.77.0.2', PAIR_SPAN: String(PAIR_SPAN), ...extra },
    });
    const CLOSE = { CONN_CLOSE: '1' };
    const twBefore: Record<string, number[]> = { miniupnpd: [], natsim: [] };
    const withTw = (name: string, f: () => Promise<WrkResult>) => async (): Promise<WrkResult> => {
      twBefore[name]!.push(tw());
      return f();
    };
    log('3 lab: AddPortMapping+DeletePortMapping pairs, TCP (Connection: close, and keep-alive offered)');
    const pairsTcp = await compare(
      'lab-pairs-tcp',
      [
        { name: 'miniupnpd', measure: withTw('miniupnpd', () => wrk(muBase + muCtl, mu, pairO(muSvc, 'TCP', CLOSE))) },
        { name: 'natsim', measure: withTw('natsim', () => wrk(nsBase + nsCtl, natsim, pairO(nsSvc, 'TCP', CLOSE))) },
        { name: 'natsimKeepAlive', measure: () => wrk(nsBase + nsCtl, natsim, pairO(nsSvc, 'TCP')) },
      ],
      [
        ['natsim', 'miniupnpd'],
        ['natsimKeepAlive', 'miniupnpd'],
      ],
    );
    log('3 lab: AddPortMapping+DeletePortMapping pairs, UDP, Connection: close');
    const pairsUdp = await compare(
      'lab-pairs-udp',
      [
        { name: 'miniupnpd', measure: () => wrk(muBase + muCtl, mu, pairO(muSvc, 'UDP', CLOSE)) },
        { name: 'natsim', measure: () => wrk(nsBase + nsCtl, natsim, pairO(nsSvc, 'UDP', CLOSE)) },
        { name: 'bare', measure: () => wrk(bareBase + nsCtl, bare, pairO(nsSvc, 'UDP', CLOSE)) },
      ],
      [
        ['natsim', 'miniupnpd'],
        ['natsim', 'bare'],
      ],
    );
    log('3 lab: AddPortMapping+DeletePortMapping pairs, UDP, client offers keep-alive (miniupnpd closes anyway)');
    const pairsUdpKa = await compare(
      'lab-pairs-udp-ka',
      [
        { name: 'miniupnpd', measure: () => wrk(muBase + muCtl, mu, pairO(muSvc, 'UDP')) },
        { name: 'natsim', measure: () => wrk(nsBase + nsCtl, natsim, pairO(nsSvc, 'UDP')) },
        { name: 'bare', measure: () => wrk(bareBase + nsCtl, bare, pairO(nsSvc, 'UDP')) },
      ],
      [
        ['natsim', 'miniupnpd'],
        ['natsim', 'bare'],
      ],
    );
    log('3 lab: GetExternalIPAddress, client offers keep-alive (miniupnpd closes anyway)');
    const ge = await compare(
      'lab-getext-ka',
      [
        { name: 'miniupnpd', measure: () => wrk(muBase + muCtl, mu, o(muSvc)) },
        { name: 'natsim', measure: () => wrk(nsBase + nsCtl, natsim, o(nsSvc)) },
        { name: 'bare', measure: () => wrk(bareBase + nsCtl, bare, o(nsSvc)) },
      ],
      [
        ['natsim', 'miniupnpd'],
        ['natsim', 'bare'],
      ],
    );
    log('3 lab: GetExternalIPAddress, Connection: close');
    const geClose = await compare(
      'lab-getext-close',
      [
        { name: 'miniupnpd', measure: () => wrk(muBase + muCtl, mu, o(muSvc, CLOSE)) },
        { name: 'natsim', measure: () => wrk(nsBase + nsCtl, natsim, o(nsSvc, CLOSE)) },
        { name: 'bare', measure: () => wrk(bareBase + nsCtl, bare, o(nsSvc, CLOSE)) },
      ],
      [
        ['natsim', 'miniupnpd'],
        ['natsim', 'bare'],
      ],
    );
    result['lab'] = {
      namespaces: LAB_NS,
      miniupnpd: muVersion,
      miniupnpdControl: `${muCtl} ${muSvc}`,
      natsimControl: `${nsCtl} ${nsSvc}`,
      client: `wrk in ${L}: getext -t${THREADS} -c${CONNS}; pairs -t${PAIR_CONNS} -c${PAIR_CONNS}`,
      getExternalIP: { keepAliveClient: ge, connectionClose: geClose },
      pairsUdp: { keepAliveClient: pairsView(pairsUdpKa), connectionClose: pairsView(pairsUdp) },
      pairsTcp: {
        ...pairsView(pairsTcp),
        client: 'Connection: close (natsimKeepAlive: keep-alive offered)',
        routerTimeWaitAtStart: twBefore,
      },
      target: 'natsim/miniupnpd >= 1.0',
    };
  } finally {
    for (const s of servers) await s.stop();
    cleanup();
    process.off('exit', cleanup);
    const left = sh('ip netns list')
      .split('\n')
      .filter((l) => l.startsWith(`nsb${process.pid}-`));
    if (left.length) log(`WARNING: namespaces left over: ${left.join(', ')}`);
  }
}

// ---------------------------------------------------------------- 4: SSDP
interface SsdpResult {
  answeredPerSec: number;
  sent: number;
  answered: number;
  lost: number;
  extraReplies: number;
  p50_us: number;
  p99_us: number;
  srvCpuUsPerReply: number;
  replyBytes: number;
}

/** Closed loop: `window` sockets, each with one M-SEARCH in flight; bounded by n and maxS. */
async function ssdpLoad(port: number, pid: number, n: number, window: number, maxS: number): Promise<SsdpResult> {
  const msg = Buffer.from(
    'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n' +
      'ST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n',
  );
  const socks: dgram.Socket[] = [];
  const inflight = new Map<dgram.Socket, bigint>();
  const lat: number[] = [];
  let sent = 0;
  let lost = 0;
  let extra = 0;
  let replyBytes = 0;
  const t0 = nowNs();
  const deadline = Date.now() + maxS * 1000;
  const c0 = cpuMs(pid);
  const send = (s: dgram.Socket): void => {
    if (sent >= n || Date.now() > deadline) return;
    sent++;
    inflight.set(s, nowNs());
    s.send(msg, port, '127.0.0.1');
  };
  await Promise.all(
    Array.from(
      { length: window },
      () =>
        new Promise<void>((resolve) => {
          const s = dgram.createSocket('udp4');
          s.on('message', (m) => {
            const ts = inflight.get(s);
            if (ts === undefined) {
              extra++;
              return;
            }
            replyBytes = m.length;
            lat.push(Number(nowNs() - ts) / 1000);
            inflight.delete(s);
            send(s);
          });
          s.bind(0, '127.0.0.1', () => resolve());
          socks.push(s);
        }),
    ),
  );
  for (const s of socks) send(s);
  await new Promise<void>((resolve) => {
    const iv = setInterval(() => {
      const now = nowNs();
      for (const [s, ts] of inflight) {
        if (now - ts > 1_000_000_000n) {
          inflight.delete(s);
          lost++;
          send(s);
        }
      }
      if (inflight.size === 0 || Date.now() > deadline + 2000) {
        clearInterval(iv);
        resolve();
      }
    }, 20);
  });
  const el = msSince(t0) - 0; // includes the tail; fine for ≥ thousands of requests
  const cpu = cpuMs(pid) - c0;
  await new Promise((r) => setTimeout(r, 100)); // late duplicates
  for (const s of socks) s.close();
  const sorted = lat.sort((a, b) => a - b);
  return {
    answeredPerSec: round((lat.length / el) * 1000),
    sent,
    answered: lat.length,
    lost,
    extraReplies: extra,
    p50_us: round(sorted[sorted.length >> 1] ?? NaN),
    p99_us: round(sorted[Math.floor(sorted.length * 0.99)] ?? NaN),
    srvCpuUsPerReply: round((cpu * 1000) / Math.max(1, lat.length), 1),
    replyBytes,
  };
}

async function ssdp(result: Record<string, unknown>): Promise<void> {
  const natsim = await startServer('natsim-api', ['node', '--import', 'tsx', '--input-type=module', '-e', NATSIM_API]);
  let bare: Server | undefined;
  try {
    const port = Number((natsim.ready['ssdp'] as { port: number }).port);
    const probe = await ssdpLoad(port, natsim.pid, 1, 1, 3);
    bare = await startServer('bare-udp', ['node', '-e', BASELINE_UDP], { env: { REPLY_BYTES: String(probe.replyBytes) } });
    const barePort = Number(bare.ready['port']);
    log(
      `4 SSDP: natsim unicast on 127.0.0.1:${port} (reply ${probe.replyBytes} B, ${probe.answered} reply, ${probe.extraReplies} extra); bare dgram on ${barePort}`,
    );
    const runs: Record<string, SsdpResult[]> = { natsim: [], bare: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, p, pid] of [
        ['natsim', port, natsim.pid],
        ['bare', barePort, bare.pid],
      ] as const) {
        const res = await ssdpLoad(p, pid, SSDP_N, SSDP_W, 10);
        runs[name]!.push(res);
        log(
          `  ssdp round ${r + 1} ${name}: ${res.answeredPerSec} replies/s p50 ${res.p50_us}us p99 ${res.p99_us}us lost ${res.lost} extra ${res.extraReplies} srv ${res.srvCpuUsPerReply}us/reply`,
        );
      }
    }
    const pick = (rs: SsdpResult[]): SsdpResult & { runs: number[] } => ({
      ...[...rs].sort((a, b) => a.answeredPerSec - b.answeredPerSec)[(rs.length - 1) >> 1]!,
      answeredPerSec: round(median(rs.map((x) => x.answeredPerSec))),
      runs: rs.map((x) => x.answeredPerSec),
    });
    result['ssdpMSearch'] = {
      client: `node dgram in the bench process, closed loop W=${SSDP_W}, N=${SSDP_N} (≤10 s), ST IGD:1, unicast to 127.0.0.1; natsim via startGateway({ mxDelay: 'none' }) with the reply budget out of the way`,
      natsim: pick(runs['natsim']!),
      bare: pick(runs['bare']!),
      ratio_natsim_bare: round(median(runs['natsim']!.map((x, i) => x.answeredPerSec / runs['bare']![i]!.answeredPerSec)), 3),
      note: 'miniupnpd (perf-anchor): every reply after a fixed 50 ms delay, so ≤ W/0.05 s = 1,280/s at W=64',
    };
  } finally {
    await natsim.stop();
    await bare?.stop();
  }
}

// ---------------------------------------------------------------- 4b: SSDP flood
interface FloodResult {
  searchesSentPerSec: number;
  repliesPerSec: number;
  replies: number;
  maxRepliesOneSource: number;
  seconds: number;
}

/**
 * Open loop: `sources` sockets on distinct 127.0.x.y addresses (a spoofing flooder's victims, or
 * many hosts) send ssdp:all as fast as they can for `seconds`; replies are counted per source
 * until 1 s after the flood (the 50 ms delayed ones included).
 */
async function ssdpFlood(port: number, sources: number, seconds: number): Promise<FloodResult> {
  const msg = Buffer.from('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n');
  const socks = await Promise.all(
    Array.from(
      { length: sources },
      (_, i) =>
        new Promise<{ s: dgram.Socket; got: number }>((resolve) => {
          const s = dgram.createSocket('udp4');
          const me = { s, got: 0 };
          s.on('message', () => me.got++);
          s.on('error', () => undefined);
          s.bind(0, `127.0.${1 + (i >> 8)}.${(i & 255) + 1}`, () => resolve(me));
        }),
    ),
  );
  let sent = 0;
  const t0 = nowNs();
  const end = Date.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    const burst = (): void => {
      if (Date.now() >= end) return resolve();
      for (const x of socks)
        for (let k = 0; k < 8; k++) {
          x.s.send(msg, port, '127.0.0.1');
          sent++;
        }
      setImmediate(burst);
    };
    burst();
  });
  const floodMs = msSince(t0);
  await new Promise((r) => setTimeout(r, 1000));
  const got = socks.map((x) => x.got);
  for (const x of socks) x.s.close();
  const replies = got.reduce((a, b) => a + b, 0);
  return {
    searchesSentPerSec: round((sent / floodMs) * 1000),
    repliesPerSec: round((replies / floodMs) * 1000),
    replies,
    maxRepliesOneSource: Math.max(...got),
    seconds: round(floodMs / 1000, 2),
  };
}

async function ssdpFloodPart(result: Record<string, unknown>): Promise<void> {
  const limited = await startServer('natsim-defaults', ['node', '--import', 'tsx', '--input-type=module', '-e', NATSIM_API], {
    env: { NATSIM_SSDP_MODE: 'defaults' },
  });
  const unlimited = await startServer('natsim-unlimited', ['node', '--import', 'tsx', '--input-type=module', '-e', NATSIM_API], {
    env: { NATSIM_SSDP_MODE: 'unlimited' },
  });
  try {
    const lp = Number((limited.ready['ssdp'] as { port: number }).port);
    const up = Number((unlimited.ready['ssdp'] as { port: number }).port);
    const seconds = num('GW_FLOOD_S', 5);
    const out: Record<string, unknown> = {
      flood: `ssdp:all (11 replies each) as fast as the bench process sends, ${seconds} s, unicast on loopback, from 1 source and from 32 sources (127.0.1.1-32)`,
      budget: 'per source: burst 64 + 16 replies/s; all sources: burst 512 + 256 replies/s (SSDP_REPLY_BUDGET)',
    };
    for (const sources of [1, 32]) {
      log(`4b SSDP flood from ${sources} source(s): natsim defaults (budget) vs no budget`);
      const a = await ssdpFlood(lp, sources, seconds);
      const b = await ssdpFlood(up, sources, seconds);
      const allowed = sources === 1 ? 64 + 16 * a.seconds : Math.min(sources * (64 + 16 * a.seconds), 512 + 256 * a.seconds);
      log(
        `  budget: ${a.searchesSentPerSec} searches/s in, ${a.repliesPerSec} replies/s out (${a.replies}, allowed ≤ ${round(allowed)}); no budget: ${b.searchesSentPerSec} in, ${b.repliesPerSec} out`,
      );
      out[`sources${sources}`] = {
        withBudget: a,
        withoutBudget: b,
        allowedReplies: round(allowed),
        withinBudget: a.replies <= allowed,
        ratio_budget_unlimited: round(a.repliesPerSec / Math.max(1, b.repliesPerSec), 4),
      };
    }
    result['ssdpFlood'] = out;
  } finally {
    await limited.stop();
    await unlimited.stop();
  }
}

// ---------------------------------------------------------------- 5: start-up
/** spawn → first stdout line (or exit), ms; the child is then stopped. */
async function timeToFirstLine(argv: string[], cwd = ROOT): Promise<number> {
  const t0 = nowNs();
  const child = spawn(argv[0]!, argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'ignore'] });
  children.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let first = false;
  const ms = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${argv.join(' ')}: nothing in 30 s`)), 30_000);
    child.stdout!.once('data', () => {
      first = true;
      clearTimeout(t);
      resolve(msSince(t0));
    });
    child.once('exit', () => {
      clearTimeout(t);
      resolve(msSince(t0));
    });
  });
  if (first && child.exitCode === null) child.kill('SIGTERM');
  const k = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(k);
  children.delete(child);
  return ms;
}

async function series(
  variants: Array<[string, string[], string?]>,
  runs: number,
): Promise<Record<string, { medianMs: number; runsMs: number[] }>> {
  const out: Record<string, number[]> = Object.fromEntries(variants.map(([n]) => [n, []]));
  await timeToFirstLine(variants[0]![1], variants[0]![2]); // warm the page cache
  for (let r = 0; r < runs; r++) for (const [n, argv, cwd] of variants) out[n]!.push(await timeToFirstLine(argv, cwd));
  return Object.fromEntries(Object.entries(out).map(([n, xs]) => [n, { medianMs: round(median(xs), 1), runsMs: xs.map((x) => round(x)) }]));
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Prebuilt variants of the CLI under a temporary directory (node_modules and scenarios linked). */
async function buildVariants(dir: string): Promise<Record<string, string>> {
  const esbuild = await import('esbuild');
  const banner = {
    js: "import { createRequire as __natsimRequire } from 'node:module'; const require = __natsimRequire(import.meta.url);",
  };
  const common = { platform: 'node' as const, format: 'esm' as const, target: 'node20', logLevel: 'error' as const };
  const variants: Record<string, string> = {};
  const prep = (name: string): string => {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'package.json'), '{"type":"module"}\n');
    symlinkSync(join(ROOT, 'node_modules'), join(d, 'node_modules'));
    symlinkSync(join(ROOT, 'scenarios'), join(d, 'scenarios'));
    return d;
  };
  let d = prep('transpiled');
  await esbuild.build({ ...common, entryPoints: tsFiles(join(ROOT, 'src')), outdir: join(d, 'src'), outbase: join(ROOT, 'src') });
  variants['transpiled'] = join(d, 'src/cli/main.js');
  d = prep('bundle');
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: join(d, 'src/cli/main.js'),
    bundle: true,
    banner,
  });
  variants['bundle'] = join(d, 'src/cli/main.js');
  d = prep('bundle-min');
  await esbuild.build({
    ...common,
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: join(d, 'src/cli/main.js'),
    bundle: true,
    minify: true,
    banner,
  });
  variants['bundleMin'] = join(d, 'src/cli/main.js');
  return variants;
}

async function startup(result: Record<string, unknown>): Promise<void> {
  const serve = ['serve', '--json', '--ssdp-port', '0'];
  log(`5 start-up: ${STARTUP_RUNS} runs each, interleaved`);
  const main = await series(
    [
      ['nodeEmpty', ['node', '-e', '']],
      ['natsimServe', ['node', NATSIM_BIN, ...serve]],
    ],
    STARTUP_RUNS,
  );
  log(`  node -e '': ${main['nodeEmpty']!.medianMs} ms; natsim serve ready: ${main['natsimServe']!.medianMs} ms`);
  const out: Record<string, unknown> = {
    command: `node ${NATSIM_BIN} serve --json --ssdp-port 0 (spawn → first stdout line)`,
    nodeEmptyMs: main['nodeEmpty']!.medianMs,
    natsimServeMs: main['natsimServe']!.medianMs,
    runs: { nodeEmpty: main['nodeEmpty']!.runsMs, natsimServe: main['natsimServe']!.runsMs },
    overNodeMs: round(main['natsimServe']!.medianMs - main['nodeEmpty']!.medianMs, 1),
    target: '< 300 ms',
    pass: main['natsimServe']!.medianMs < 300,
  };
  // Where the time goes.
  const deps = ['commander', 'express', 'zod', 'yaml', 'fast-xml-parser'];
  const importMs: Record<string, number> = {};
  for (const dep of deps) {
    const xs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const res = await run([
        'node',
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import('${dep}'); console.log(performance.now() - t);`,
      ]);
      xs.push(Number(res.out.trim()));
    }
    importMs[dep] = round(median(xs), 1);
  }
  const tmp = `/tmp/nsbench-dist-${process.pid}`;
  let variantsMs: Record<string, unknown> = {};
  try {
    const v = await buildVariants(tmp);
    const s = await series(
      [
        ['nodeEmpty', ['node', '-e', '']],
        // what bin/natsim.js does before importing src/cli/main.ts
        ['tsxRegisterOnly', ['node', '--input-type=module', '-e', "import { register } from 'tsx/esm/api'; register();"]],
        ['natsimVersionTsx', ['node', join(ROOT, 'bin/natsim.js'), '--version']],
        ['natsimServeTsx', ['node', join(ROOT, 'bin/natsim.js'), ...serve]],
        ['distTranspiledServe', ['node', v['transpiled']!, ...serve]],
        ['distBundleServe', ['node', v['bundle']!, ...serve]],
        ['distBundleMinServe', ['node', v['bundleMin']!, ...serve]],
      ],
      STARTUP_RUNS,
    );
    variantsMs = Object.fromEntries(Object.entries(s).map(([k, x]) => [k, x.medianMs]));
    log(`  variants (median ms): ${JSON.stringify(variantsMs)}`);
  } catch (e) {
    variantsMs = { error: (e as Error).message };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  out['profile'] = {
    coldImportMsInFreshNode: importMs,
    variantsMedianMs: variantsMs,
    variantsNote:
      'same run, interleaved; dist* = esbuild output of src/ in /tmp (per-file transpile, one-file bundle, minified bundle), no tsx loader',
  };
  result['serveStartup'] = out;
}

// ---------------------------------------------------------------- main
const result: Record<string, unknown> = {
  bench: 'gateway',
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  loadavgAtStart: os.loadavg().map((x) => round(x, 2)),
  natsimBin: NATSIM_BIN,
  config: {
    durationS: DURATION,
    rounds: ROUNDS,
    threads: THREADS,
    conns: CONNS,
    pairConns: PAIR_CONNS,
    ssdpN: SSDP_N,
    ssdpWindow: SSDP_W,
    startupRuns: STARTUP_RUNS,
  },
};
const haveWrk = hasCmd('wrk');
const t0 = nowNs();
try {
  if (ONLY.has('soap') || ONLY.has('pairs')) {
    if (haveWrk) await loopbackHttp(result);
    else result['soapGetExternalIP'] = { skipped: 'wrk not installed (apt-get install wrk)' };
  }
  if (ONLY.has('lab')) {
    if (WANT_LAB) await lab(result);
    else result['lab'] = { skipped: 'pass --lab (root) to compare with miniupnpd' };
  }
  if (ONLY.has('ssdp')) await ssdp(result);
  if (ONLY.has('flood')) await ssdpFloodPart(result);
  if (ONLY.has('startup')) await startup(result);
} catch (e) {
  result['error'] = (e as Error).stack ?? String(e);
}
result['loadavgAtEnd'] = os.loadavg().map((x) => round(x, 2));
result['wallS'] = round(msSince(t0) / 1000, 1);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result['error'] ? 1 : 0);
