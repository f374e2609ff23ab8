/**
 * `natsim serve` as a real process (node bin/natsim.js, cwd = repo root) on 127.0.0.1 with
 * ephemeral ports and multicast off: the ready line, the description, SSDP, hardening on the
 * wire, orderly SIGTERM/SIGINT, and usage/startup errors. Nothing about speed is measured.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  faultEnvelope,
  headerOf,
  IGD1,
  IGD2,
  IPC2,
  MALFORMED_STATUS,
  malformedKind,
  malformedRequests,
  mSearch,
  portOf,
  rawRequest,
  soap,
  tcpProbe,
  udpClient,
  xmlText,
} from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = once(c, 'exit');
      c.kill('SIGKILL');
      await gone;
    }
  }
});

interface Ready {
  ready: true;
  descriptionUrl: string;
  ssdp: string;
  router: string;
  profile: string;
  igd: 1 | 2;
  externalIp: string;
  pid: number;
  routers: Array<Record<string, unknown>>;
}

interface Serve {
  readonly child: ChildProcess;
  /** Lines written so far. */
  readonly stdout: string[];
  readonly stderr: string[];
  /** The first stdout line. */
  readonly firstLine: Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(...args: string[]): Serve {
  const child = spawn(process.execPath, ['bin/natsim.js', 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  let out = '';
  let err = '';
  let resolveFirst!: (line: string) => void;
  let rejectFirst!: (e: Error) => void;
  const firstLine = new Promise<string>((res, rej) => {
    resolveFirst = res;
    rejectFirst = rej;
  });
  firstLine.catch(() => undefined); // tests that expect an early exit never read it
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      stdout.push(out.slice(0, i));
      out = out.slice(i + 1);
      if (stdout.length === 1) resolveFirst(stdout[0]!);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    let i: number;
    while ((i = err.indexOf('\n')) >= 0) {
      stderr.push(err.slice(0, i));
      err = err.slice(i + 1);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      if (out) stdout.push(out);
      if (err) stderr.push(err);
      rejectFirst(new Error(`natsim serve exited (${code ?? signal}) before a line on stdout; stderr:\n${stderr.join('\n')}`));
      resolve({ code, signal });
    });
  });
  return { child, stdout, stderr, firstLine, exit };
}

/** Only loopback, only ephemeral ports, never multicast. */
const SAFE = ['--listen', '127.0.0.1', '--http-port', '0', '--ssdp-port', '0', '--no-multicast'];

describe('natsim serve', () => {
  it('prints a JSON ready line, serves the description, SOAP and SSDP, and stops on SIGTERM with exit 0', async () => {
    const s = serve('--json', ...SAFE, '--verbose');
    const ready = JSON.parse(await s.firstLine) as Ready;
    expect(ready).toEqual({
      ready: true,
      descriptionUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml$/),
      ssdp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      router: 'home-a',
      profile: 'miniupnpd',
      igd: 2,
      externalIp: '203.0.113.10',
      pid: s.child.pid,
      // The same router as the one entry of `routers`, the shape several served routers print.
      routers: [
        {
          router: 'home-a',
          address: '127.0.0.1',
          profile: 'miniupnpd',
          externalIp: '203.0.113.10',
          igd: 2,
          descriptionUrl: ready.descriptionUrl,
          ssdp: ready.ssdp,
        },
      ],
    });

    const res = await fetch(ready.descriptionUrl);
    expect(res.status).toBe(200);
    const doc = await res.text();
    expect(xmlText(doc, 'deviceType')).toBe(IGD2);
    const gw = { descriptionUrl: ready.descriptionUrl, igdVersion: 2 as const };
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.10');

    const ssdpPort = Number(ready.ssdp.split(':')[1]);
    const c = await udpClient();
    try {
      await c.send(mSearch(IGD1, { address: '127.0.0.1', port: ssdpPort }), ssdpPort);
      const [reply] = await c.waitFor(1, 5000);
      expect(headerOf(reply!.msg, 'LOCATION')).toBe(ready.descriptionUrl);
      expect(headerOf(reply!.msg, 'USN')).toBe(`${xmlText(doc, 'UDN')}::${IGD1}`);
    } finally {
      await c.close();
    }

    s.child.kill('SIGTERM');
    expect(await s.exit).toEqual({ code: 0, signal: null });
    // --json --verbose: JSON lines on stdout after the ready line, each exchange once.
    expect(s.stderr).toEqual([]);
    const logs = s.stdout.slice(1).map((l) => JSON.parse(l) as { event: string; time: string });
    expect(logs.map((l) => l.event)).toEqual(['soap-request', 'ssdp-search', 'stopping']);
    expect(logs[0]).toEqual({
      event: 'soap-request',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      action: 'GetExternalIPAddress',
      serviceType: IPC2,
      client: '192.168.1.2',
      peer: expect.any(String),
      type: 'soap-request',
    });
    expect(logs[1]).toEqual({
      event: 'ssdp-search',
      time: expect.any(String),
      st: IGD1,
      from: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      via: 'unicast',
      answered: 1,
    });
    expect(logs[2]).toMatchObject({ event: 'stopping', signal: 'SIGTERM' });
    expect(await tcpProbe(portOf(ready.descriptionUrl))).toBe('ECONNREFUSED');
  });

  it('is hardened on the wire: 413, SOAP faults for garbage, still answering after 200 malformed requests', async () => {
    const s = serve('--json', ...SAFE);
    const ready = JSON.parse(await s.firstLine) as Ready;
    const gw = { descriptionUrl: ready.descriptionUrl, igdVersion: 2 as const };
    const port = portOf(ready.descriptionUrl);

    const big = await fetch(new URL('/ctl/IPConn', ready.descriptionUrl), {
      method: 'POST',
      headers: { SOAPAction: `"${IPC2}#AddPortMapping"` },
      body: 'x'.repeat(1_000_000),
    });
    expect(big.status).toBe(413);
    await big.text();
    const garbage = await soap(gw, 'AddPortMapping', {}, { body: '<<<not xml' });
    expect([garbage.status, garbage.body]).toEqual([500, faultEnvelope(402, 'Invalid Args')]);

    const answers = await Promise.all(malformedRequests(`127.0.0.1:${port}`).map((r) => rawRequest(port, r)));
    expect(answers.map((a) => /^HTTP\/1\.1 (\d{3})/.exec(a)?.[1] ?? 'closed')).toEqual(
      answers.map((_, i) => MALFORMED_STATUS[malformedKind(i)]),
    );
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.10');
    expect(s.child.exitCode).toBeNull();

    s.child.kill('SIGINT');
    expect(await s.exit).toEqual({ code: 0, signal: null });
    // Without --verbose only faults and mapping changes are logged (here: faults), and nothing crashed.
    expect(s.stderr).toEqual([]);
    const events = s.stdout.slice(1).map((l) => (JSON.parse(l) as { event: string }).event);
    expect(events.length).toBeGreaterThan(0);
    expect(new Set(events)).toEqual(new Set(['fault']));
  });

  it('prints a human ready line without --json, and serves the chosen scenario router and profile', async () => {
    const s = serve('--scenario', 'scenarios/wm-04-isp-nat.yaml', '--profile', 'permanent-only', ...SAFE);
    expect(await s.firstLine).toBe('natsim: serving router home-a (permanent-only, IGD:1) — external address 100.64.0.2');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (s.stdout.length >= 2) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    const m = /^natsim: ready at (http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml) \(SSDP on 127\.0\.0\.1:\d+\); Ctrl-C to stop$/.exec(
      s.stdout[1]!,
    );
    expect(m).not.toBeNull();
    const gw = { descriptionUrl: m![1]!, igdVersion: 1 as const };
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('100.64.0.2');
    expect(
      (
        await soap(gw, 'AddPortMapping', {
          NewRemoteHost: '',
          NewExternalPort: 5000,
          NewProtocol: 'UDP',
          NewInternalPort: 5000,
          NewInternalClient: '192.168.1.2',
          NewEnabled: 1,
          NewPortMappingDescription: 'x',
          NewLeaseDuration: 60,
        })
      ).code,
    ).toBe(725);
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
  });

  it('--http-port abc: a one-line usage error, exit code 2, nothing served', async () => {
    const s = serve('--json', '--http-port', 'abc', '--ssdp-port', '0', '--no-multicast');
    const { code } = await s.exit;
    expect(code).toBe(2);
    expect(s.stdout).toEqual([]);
    expect(s.stderr).toEqual(['error: --http-port must be a port number (0–65535), not "abc"']);
  });

  it('--ssdp-port 70000: a usage error too', async () => {
    const s = serve('--json', '--http-port', '0', '--ssdp-port', '70000', '--no-multicast');
    expect((await s.exit).code).toBe(2);
    expect(s.stderr).toEqual(['error: --ssdp-port must be a port number (0–65535), not "70000"']);
  });

  it('an unknown router or profile: a clear usage error, exit code 2, and the process does not hang', async () => {
    const r = serve('--json', ...SAFE, '--router', 'nope');
    expect((await r.exit).code).toBe(2);
    expect(r.stderr).toEqual(['error: no router "nope" in the scenario (routers: home-a)']);

    // The HTTP port is already open when the profile is looked up: it must be closed again.
    const p = serve('--json', ...SAFE, '--profile', 'nope');
    expect((await p.exit).code).toBe(2);
    expect(p.stderr).toHaveLength(1);
    expect(p.stderr[0]).toMatch(
      /^error: --profile: unknown router profile "nope" \(known: miniupnpd, miniupnpd-igd1, .*ssdp-all-root-only, natpmp-only, .*upnp-only\)$/,
    );
    expect(p.stdout).toEqual([]);
  });

  it('--permissions FILE: the allow/deny lines of a miniupnpd.conf replace the default rules; a bad line is a usage error naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'natsim-perm-'));
    const good = join(dir, 'miniupnpd.conf');
    writeFileSync(
      good,
      'ext_ifname=eth0\n# let the web server through\nallow 80 192.168.1.0/24 80\nallow 1024-65535 192.168.1.0/24 1024-65535\ndeny 0-65535 0.0.0.0/0 0-65535\n',
    );
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'allow 80 192.168.1.0/24 80\nalow 1-2 0.0.0.0/0 3\n');
    const web = {
      NewRemoteHost: '',
      NewExternalPort: 80,
      NewProtocol: 'TCP',
      NewInternalPort: 80,
      NewInternalClient: '192.168.1.2',
      NewEnabled: 1,
      NewPortMappingDescription: 'web',
      NewLeaseDuration: 0,
    };
    const s = serve('--json', ...SAFE, '--permissions', good);
    const ready = JSON.parse(await s.firstLine) as Ready;
    const gw = { descriptionUrl: ready.descriptionUrl, igdVersion: ready.igd };
    expect((await soap(gw, 'AddPortMapping', web)).status).toBe(200);
    expect((await soap(gw, 'AddPortMapping', { ...web, NewExternalPort: 443, NewInternalPort: 443 })).code).toBe(606);
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
    // Without the file, miniupnpd's shipped rules deny port 80.
    const d = serve('--json', ...SAFE);
    const dReady = JSON.parse(await d.firstLine) as Ready;
    expect((await soap({ descriptionUrl: dReady.descriptionUrl, igdVersion: dReady.igd }, 'AddPortMapping', web)).code).toBe(606);
    d.child.kill('SIGTERM');
    expect((await d.exit).code).toBe(0);
    const b = serve('--json', ...SAFE, '--permissions', bad);
    expect((await b.exit).code).toBe(2);
    expect(b.stderr).toEqual([`error: --permissions: ${bad}:2: permission rule "alow 1-2 0.0.0.0/0 3": must start with allow or deny`]);
    expect(b.stdout).toEqual([]);
  });

  it('--listen with an unknown interface: the library reason under the flag, exit code 2', async () => {
    const l = serve('--json', '--listen', 'no-such-iface0', '--http-port', '0', '--ssdp-port', '0', '--no-multicast');
    expect((await l.exit).code).toBe(2);
    expect(l.stderr).toHaveLength(1);
    expect(l.stderr[0]).toMatch(/^error: --listen: no interface "no-such-iface0" with an IPv4 address \(have: .*lo.*\)$/);
  });
});

describe('natsim serve: the log, the port guard and the no-UPnP warning', () => {
  it('logs one readable line per mapping change and fault by default, nothing for searches', async () => {
    const s = serve(...SAFE);
    await s.firstLine;
    await until(() => s.stdout.length >= 2);
    const url = /ready at (\S+)/.exec(s.stdout[1]!)![1]!;
    const gw = { descriptionUrl: url, igdVersion: 2 as const };
    const add = {
      NewRemoteHost: '',
      NewExternalPort: 40000,
      NewProtocol: 'TCP',
      NewInternalPort: 5000,
      NewInternalClient: '192.168.1.2',
      NewEnabled: 1,
      NewPortMappingDescription: 'game',
      NewLeaseDuration: 3600,
    };
    expect((await soap(gw, 'AddPortMapping', add)).status).toBe(200);
    expect((await soap(gw, 'AddPortMapping', { ...add, NewInternalClient: '192.168.1.99' })).code).toBe(606);
    expect((await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 40000, NewProtocol: 'TCP' })).status).toBe(200);
    const ssdpPort = Number(/SSDP on 127\.0\.0\.1:(\d+)/.exec(s.stdout[1]!)![1]);
    const c = await udpClient();
    try {
      await c.send(mSearch(IGD1, { address: '127.0.0.1', port: ssdpPort }), ssdpPort);
      await c.waitFor(1, 5000);
    } finally {
      await c.close();
    }
    await until(() => s.stdout.length >= 5);
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
    expect(s.stdout.slice(2)).toEqual([
      'natsim: mapping created TCP 40000 → 192.168.1.2:5000 (lease 3600 s, "game", upnp)',
      'natsim: fault 606 Action not authorized for AddPortMapping from 192.168.1.2',
      'natsim: mapping removed TCP 40000 → 192.168.1.2:5000 ("game", upnp)',
    ]);
    expect(s.stderr).toEqual([]);
  });

  it('--verbose: every search once, in one shape', async () => {
    const s = serve(...SAFE, '--verbose');
    await s.firstLine;
    await until(() => s.stdout.length >= 2);
    const ssdpPort = Number(/SSDP on 127\.0\.0\.1:(\d+)/.exec(s.stdout[1]!)![1]);
    const c = await udpClient();
    try {
      await c.send(mSearch(IGD1, { address: '127.0.0.1', port: ssdpPort }), ssdpPort);
      await c.waitFor(1, 5000);
    } finally {
      await c.close();
    }
    await until(() => s.stdout.length >= 3);
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
    expect(s.stdout.slice(2)).toEqual([
      expect.stringMatching(new RegExp(`^natsim: M-SEARCH ${IGD1} from 127\\.0\\.0\\.1:\\d+ \\(unicast\\) → 1 reply$`)),
      'natsim: stopping (SIGTERM)',
    ]);
    expect(s.stderr).toEqual([]);
  });

  it('refuses an SSDP port another natsim serve answers on: exit 3, one sentence, the first keeps serving', async () => {
    // A fixed loopback port of this test's own (no other test uses it).
    const first = serve('--json', '--listen', '127.0.0.1', '--http-port', '0', '--ssdp-port', '41923', '--no-multicast');
    const ready = JSON.parse(await first.firstLine) as Ready;
    const second = serve('--json', '--listen', '127.0.0.1', '--http-port', '0', '--ssdp-port', '41923', '--no-multicast');
    expect((await second.exit).code).toBe(3);
    expect(second.stdout).toEqual([]);
    expect(second.stderr).toEqual([
      `error: SSDP port 127.0.0.1:41923 is already served by another gateway (${ready.descriptionUrl}, OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.7), which would keep answering searches; stop it or choose another --ssdp-port`,
    ]);
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(0);
  });

  it('an HTTP port in use: exit 3 with the reason', async () => {
    const first = serve('--json', ...SAFE);
    const ready = JSON.parse(await first.firstLine) as Ready;
    const port = portOf(ready.descriptionUrl);
    const second = serve('--json', '--listen', '127.0.0.1', '--http-port', String(port), '--ssdp-port', '0', '--no-multicast');
    expect((await second.exit).code).toBe(3);
    expect(second.stderr).toEqual([
      `error: the address and port are already in use (127.0.0.1:${port}): listen EADDRINUSE: address already in use 127.0.0.1:${port}`,
    ]);
    first.child.kill('SIGTERM');
    await first.exit;
  });

  it('warns when the served router offers no UPnP', async () => {
    const s = serve('--scenario', 'scenarios/wm-06-single-non-upnp-nat.yaml', ...SAFE);
    await s.firstLine;
    await until(() => s.stderr.length >= 1);
    s.child.kill('SIGTERM');
    expect((await s.exit).code).toBe(0);
    expect(s.stderr).toEqual([
      expect.stringMatching(
        /^natsim: warning: router \S+ of scenarios\/wm-06-single-non-upnp-nat\.yaml does not offer UPnP \(services: \{ upnp: true \} is not set\); serving it as an IGD anyway$/,
      ),
    ]);
  });
});

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(t);
        reject(new Error('timed out'));
      }
    }, 20);
  });
}
