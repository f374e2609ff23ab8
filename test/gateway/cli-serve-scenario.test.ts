/**
 * `natsim serve` serving a whole scenario, as a real process on loopback with ephemeral ports and
 * multicast off: every router offering a service at once from one model, each on its own address
 * (127.0.0.1, 127.0.0.2 … in scenario order); the ready output and `--json`'s routers array; SOAP,
 * unicast SSDP and NAT-PMP at each router and the mapping landing at that router only; log lines
 * naming the router; `--router a,b`; the errors. Real clients on the default ports 1900 and 5351
 * are in cli-serve-scenario.ns.test.ts (inside a private network namespace).
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { udpRequest } from '../support/udp-client.js';
import { headerOf, IGD1, mappingArgs, mSearch, portOf, soap, tcpProbe } from './helpers.js';
import { killStarted, serveProcess } from './serve-process.js';

afterAll(killStarted);

/** Only loopback, only ephemeral ports (NAT-PMP too), never multicast. */
const SAFE = ['--http-port', '0', '--ssdp-port', '0', '--natpmp-port', '0', '--no-multicast'];
const WM02 = 'scenarios/wm-02-two-upnp-gateways.yaml';
const FIXTURE = 'test/gateway/fixtures/two-homes-and-carrier.yaml';

interface Entry {
  router: string;
  address: string;
  profile: string;
  externalIp: string;
  igd?: 1 | 2;
  descriptionUrl?: string;
  ssdp?: string;
  natpmp?: string;
  pcp?: string;
}

const endpoint = (text: string): { address: string; port: number } => {
  const [address, port] = text.split(':');
  return { address: address!, port: Number(port) };
};

/** The one reply a unicast M-SEARCH for the IGD gets. */
async function search(ssdp: string): Promise<string> {
  const to = endpoint(ssdp);
  const { msg } = await udpRequest(to, Buffer.from(mSearch(IGD1, to), 'latin1'), { noReply: `no SSDP reply from ${ssdp}` });
  return msg.toString('latin1');
}

const igd = (e: Entry) => ({ descriptionUrl: e.descriptionUrl!, igdVersion: e.igd! });

describe('natsim serve: every router of a scenario at once', () => {
  it('--json: one ready object with a routers array; each router answers SOAP and SSDP with its own, and a mapping lands at its router only', async () => {
    const s = serveProcess('--scenario', WM02, ...SAFE, '--json');
    const [line] = await s.lines(1);
    const ready = JSON.parse(line!) as { ready: true; pid: number; routers: Entry[] };
    expect(ready).toEqual({
      ready: true,
      pid: s.child.pid,
      routers: [
        {
          router: 'home-a',
          address: '127.0.0.1',
          profile: 'miniupnpd',
          externalIp: '203.0.113.10',
          igd: 2,
          descriptionUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml$/),
          ssdp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        },
        {
          router: 'home-b',
          address: '127.0.0.2',
          profile: 'miniupnpd',
          externalIp: '203.0.113.20',
          igd: 2,
          descriptionUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.2:\d+\/rootDesc\.xml$/),
          ssdp: expect.stringMatching(/^127\.0\.0\.2:\d+$/),
        },
      ],
    });
    const [a, b] = ready.routers as [Entry, Entry];

    expect(headerOf(await search(a.ssdp!), 'LOCATION')).toBe(a.descriptionUrl);
    expect(headerOf(await search(b.ssdp!), 'LOCATION')).toBe(b.descriptionUrl);
    expect((await soap(igd(a), 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.10');
    expect((await soap(igd(b), 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.20');

    // The same external port on both: two mappings, one per router (a loopback client stands for each LAN's .2).
    const args = { NewProtocol: 'TCP', NewExternalPort: 40000, NewInternalPort: 5000, NewPortMappingDescription: 'game' };
    expect((await soap(igd(a), 'AddPortMapping', mappingArgs({ ...args, NewInternalClient: '192.168.1.2' }))).status).toBe(200);
    expect(
      (await soap(igd(b), 'AddPortMapping', mappingArgs({ ...args, NewInternalPort: 6000, NewInternalClient: '192.168.2.2' }))).status,
    ).toBe(200);
    const entry = (e: Entry, i: number) => soap(igd(e), 'GetGenericPortMappingEntry', { NewPortMappingIndex: i });
    expect((await entry(a, 0)).arg('NewInternalClient')).toBe('192.168.1.2');
    expect((await entry(b, 0)).arg('NewInternalPort')).toBe('6000');
    expect((await entry(a, 1)).code).toBe(713);
    expect((await entry(b, 1)).code).toBe(713);

    await s.lines(5);
    expect(await s.stop()).toEqual({ code: 0, signal: null });
    expect(s.stderr).toEqual([]);
    // Every log line names its router: mapping changes as before, faults with a router field now.
    const logs = s.stdout.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs).toEqual([
      expect.objectContaining({ event: 'mapping-created', router: 'home-a', externalPort: 40000, internalClient: '192.168.1.2' }),
      expect.objectContaining({ event: 'mapping-created', router: 'home-b', externalPort: 40000, internalClient: '192.168.2.2' }),
      expect.objectContaining({ event: 'fault', router: 'home-a', code: 713 }),
      expect.objectContaining({ event: 'fault', router: 'home-b', code: 713 }),
    ]);
    expect(await tcpProbe(portOf(a.descriptionUrl!))).toBe('ECONNREFUSED');
  });

  it('text: a line naming each router and its address, one ready line per router with its endpoints, then the log naming the router', async () => {
    const s = serveProcess('--scenario', FIXTURE, ...SAFE, '--verbose');
    const lines = await s.lines(5);
    expect(lines[0]).toBe(
      `natsim: serving 3 routers of ${FIXTURE} from one model: carrier on 127.0.0.1, home-a on 127.0.0.2, home-b on 127.0.0.3`,
    );
    expect(lines[1]).toMatch(
      /^natsim: carrier \(miniupnpd\) — external address 198\.51\.100\.1 — ready: NAT-PMP and PCP on 127\.0\.0\.1:\d+$/,
    );
    expect(lines[2]).toMatch(
      /^natsim: home-a \(miniupnpd, IGD:2\) — external address 100\.64\.0\.2 — ready at http:\/\/127\.0\.0\.2:\d+\/rootDesc\.xml \(SSDP on 127\.0\.0\.2:\d+, NAT-PMP on 127\.0\.0\.2:\d+\)$/,
    );
    expect(lines[3]).toMatch(
      /^natsim: home-b \(miniupnpd, IGD:2\) — external address 203\.0\.113\.20 — ready at http:\/\/127\.0\.0\.3:\d+\/rootDesc\.xml \(SSDP on 127\.0\.0\.3:\d+, NAT-PMP on 127\.0\.0\.3:\d+\)$/,
    );
    expect(lines[4]).toBe('natsim: ready (3 routers); Ctrl-C to stop');

    // NAT-PMP at home-b and at the carrier: each answers with its own external address and maps at itself.
    const natpmpOf = (line: string) => endpoint(/NAT-PMP(?: and PCP)? on (\S+?)\)?$/.exec(line)![1]!);
    const ask = async (to: { address: string; port: number }, bytes: Uint8Array) => parseNatpmpResponse((await udpRequest(to, bytes)).msg);
    const map = encodeNatpmpRequest({ opcode: 1, internalPort: 7000, externalPort: 7000, lifetime: 600 });
    expect(await ask(natpmpOf(lines[3]!), encodeNatpmpRequest({ opcode: 0 }))).toMatchObject({ result: 0, address: '203.0.113.20' });
    expect(await ask(natpmpOf(lines[3]!), map)).toMatchObject({ result: 0, externalPort: 7000 });
    expect(await ask(natpmpOf(lines[1]!), encodeNatpmpRequest({ opcode: 0 }))).toMatchObject({ result: 0, address: '198.51.100.1' });
    expect(await ask(natpmpOf(lines[1]!), map)).toMatchObject({ result: 0, externalPort: 7000 });
    const ssdpA = /SSDP on (\S+?),/.exec(lines[2]!)![1]!;
    expect(headerOf(await search(ssdpA), 'LOCATION')).toBe(/ready at (\S+)/.exec(lines[2]!)![1]);

    await s.lines(8);
    expect((await s.stop()).code).toBe(0);
    expect(s.stdout.slice(5)).toEqual([
      'natsim: home-b: mapping created UDP 7000 → 192.168.2.2:7000 (lease 600 s, "NAT-PMP udp 7000", natpmp)',
      'natsim: carrier: mapping created UDP 7000 → 100.64.0.2:7000 (lease 600 s, "NAT-PMP udp 7000", natpmp)',
      expect.stringMatching(new RegExp(`^natsim: home-a: M-SEARCH ${IGD1} from 127\\.0\\.0\\.1:\\d+ \\(unicast\\) → 1 reply$`)),
      'natsim: stopping (SIGTERM)',
    ]);
    expect(s.stderr).toEqual([]);
  });

  it('--router a,b serves those, in scenario order from 127.0.0.1; a named router offering nothing is an IGD, with a warning', async () => {
    const s = serveProcess('--scenario', FIXTURE, ...SAFE, '--router', 'plain, home-b', '--json');
    const ready = JSON.parse((await s.lines(1))[0]!) as { routers: Entry[] };
    expect(ready.routers.map((r) => [r.router, r.address, r.externalIp, r.natpmp === undefined])).toEqual([
      ['home-b', '127.0.0.1', '203.0.113.20', false],
      ['plain', '127.0.0.2', '203.0.113.30', true],
    ]);
    expect((await soap(igd(ready.routers[1]!), 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.30');
    expect((await s.stop()).code).toBe(0);
    expect(s.stderr).toEqual([
      `natsim: warning: router plain of ${FIXTURE} does not offer UPnP (services: { upnp: true } is not set); serving it as an IGD anyway`,
    ]);
  });

  it('--router with one id: that router alone, printed as natsim serve always printed one router', async () => {
    const s = serveProcess('--scenario', FIXTURE, ...SAFE, '--router', 'home-b');
    const lines = await s.lines(2);
    expect(lines[0]).toBe('natsim: serving router home-b (miniupnpd, IGD:2) — external address 203.0.113.20');
    expect(lines[1]).toMatch(
      /^natsim: ready at http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml \(SSDP on 127\.0\.0\.1:\d+, NAT-PMP on 127\.0\.0\.1:\d+\); Ctrl-C to stop$/,
    );
    expect((await s.stop()).code).toBe(0);
  });

  it('errors: an unknown or empty router id, --lease-file or a non-loopback --listen with several routers, too few loopback addresses — exit 2, nothing served', async () => {
    const cases: Array<[string[], string]> = [
      [['--router', 'home-b,nope'], 'error: no router "nope" in the scenario (routers: carrier, home-a, home-b, plain)'],
      [
        ['--router', 'home-a,,home-b'],
        'error: --router must be router ids separated by commas, such as home-a,home-b, not "home-a,,home-b"',
      ],
      [
        ['--lease-file', 'never-written.journal'],
        "error: --lease-file keeps one router's mappings, and 3 are served (carrier, home-a, home-b): name one with --router",
      ],
      [
        ['--listen', '192.0.2.1'],
        'error: --listen: 3 routers (carrier, home-a, home-b) cannot share 192.0.2.1: serve them on loopback, or name one with --router',
      ],
      [
        ['--listen', '127.0.0.253'],
        'error: --listen: 3 routers (carrier, home-a, home-b) need 3 consecutive loopback addresses from 127.0.0.253, and 127.0.0.255 is not one',
      ],
    ];
    const runs = cases.map(([args]) => serveProcess('--scenario', FIXTURE, ...SAFE, ...args));
    for (const [i, r] of runs.entries()) {
      expect((await r.exit).code, cases[i]![1]).toBe(2);
      expect(r.stderr).toEqual([cases[i]![1]]);
      expect(r.stdout).toEqual([]);
    }
  });

  it("a fixed --http-port is per address: in use at the second router's address, exit 3 naming that address", async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.2', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const s = serveProcess('--scenario', WM02, '--http-port', String(port), '--ssdp-port', '0', '--no-multicast');
      expect((await s.exit).code).toBe(3);
      expect(s.stderr).toEqual([
        `error: the address and port are already in use (127.0.0.2:${port}): listen EADDRINUSE: address already in use 127.0.0.2:${port}`,
      ]);
      expect(s.stdout).toEqual([]);
    } finally {
      holder.close();
    }
  });
});

describe('SIGTERM the moment the ready line is read', () => {
  /** Runs `natsim serve ARGS --json` and sends SIGTERM as soon as its first output arrives. */
  const stoppedAtReady = (...args: string[]) => {
    const s = serveProcess(...args, '--json');
    s.child.stdout!.once('data', () => s.child.kill('SIGTERM'));
    return s.exit;
  };

  it('is an orderly stop, exit 0, every time: one router and three (the handlers are in before the ready line leaves)', async () => {
    const runs = [
      ...Array.from({ length: 6 }, () => stoppedAtReady('--scenario', FIXTURE, ...SAFE, '--router', 'home-b')),
      ...Array.from({ length: 6 }, () => stoppedAtReady('--scenario', FIXTURE, ...SAFE)),
    ];
    expect(await Promise.all(runs)).toEqual(Array.from({ length: 12 }, () => ({ code: 0, signal: null })));
  });
});

describe('README "Serving a whole scenario"', () => {
  it('its transcript is what natsim serve prints for wm-02 (ports aside)', async () => {
    const { readFileSync } = await import('node:fs');
    const section = readFileSync('README.md', 'utf8').split('### Serving a whole scenario')[1]!;
    const block = section.split('```\n')[1]!.split('\n');
    const ports = (l: string) => l.replace(/:\d+/g, ':PORT');
    const start = block.indexOf(`$ npx natsim serve --scenario ${WM02}`);
    expect(start).toBeGreaterThanOrEqual(0);
    const s = serveProcess('--scenario', WM02, ...SAFE);
    const printed = await s.lines(4);
    expect((await s.stop()).code).toBe(0);
    expect(printed.map(ports)).toEqual(block.slice(start + 1, start + 5).map(ports));
  });
});
