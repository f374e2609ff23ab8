/**
 * `natsim serve` serving a whole scenario on the well-known ports, against real clients, inside a
 * private network namespace (the file re-executes itself under `unshare --net`; only `lo` there):
 * the carrier, home-a and home-b of test/gateway/fixtures/two-homes-and-carrier.yaml on 127.0.0.1,
 * 127.0.0.2 and 127.0.0.3, each with its own SSDP port 1900, NAT-PMP/PCP port 5351 and the fixed
 * HTTP port 2869 — `upnpc -u URL -a` (miniupnpc) and `natpmpc -g ADDR -a` (libnatpmp) map at
 * each router, and each mapping lands at the router asked; the SSDP port guard per address; and
 * with --multicast, `upnpc -m lo` and `natsim discover` find both IGDs in one search.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../interop/netns.js';
import { runClient } from '../support/natsim-cli.js';
import { assertSealed, IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';
import { killStarted, type ServeRun, serveProcess } from './serve-process.js';

reexecInNamespace('test/gateway/cli-serve-scenario.ns.test.ts', 'natsim serve a whole scenario on ports 1900/5351 with upnpc and natpmpc');

const FIXTURE = 'test/gateway/fixtures/two-homes-and-carrier.yaml';
const WM02 = 'scenarios/wm-02-two-upnp-gateways.yaml';
const A = 'http://127.0.0.2:2869/rootDesc.xml';
const B = 'http://127.0.0.3:2869/rootDesc.xml';

const client = runClient;

if (IN_NETNS) {
  afterAll(killStarted);

  describe('three routers on their own loopback addresses, ports 1900 and 5351 on each', () => {
    let s: ServeRun;
    beforeAll(async () => {
      assertSealed(['lo']);
      requireTool('upnpc', 'miniupnpc');
      requireTool('natpmpc', 'natpmpc');
      s = serveProcess('--scenario', FIXTURE, '--http-port', '2869');
      await s.lines(5);
    });

    it('prints which router is on which address, and each one ready line with its endpoints', () => {
      expect(s.stdout.slice(0, 5)).toEqual([
        `natsim: serving 3 routers of ${FIXTURE} from one model: carrier on 127.0.0.1, home-a on 127.0.0.2, home-b on 127.0.0.3`,
        'natsim: carrier (miniupnpd) — external address 198.51.100.1 — ready: NAT-PMP and PCP on 127.0.0.1:5351',
        `natsim: home-a (miniupnpd, IGD:2) — external address 100.64.0.2 — ready at ${A} (SSDP on 127.0.0.2:1900, NAT-PMP on 127.0.0.2:5351)`,
        `natsim: home-b (miniupnpd, IGD:2) — external address 203.0.113.20 — ready at ${B} (SSDP on 127.0.0.3:1900, NAT-PMP on 127.0.0.3:5351)`,
        'natsim: ready (3 routers); Ctrl-C to stop',
      ]);
    });

    it('upnpc -u URL -a maps the same external port at home-a and at home-b, each with its own WAN address', async () => {
      const a = await client('upnpc', '-u', A, '-a', '127.0.0.1', '5000', '40000', 'TCP', '3600');
      expect(a.output).toContain(`Found valid IGD : http://127.0.0.2:2869/ctl/IPConn`);
      expect(a.output).toContain('ExternalIPAddress = 100.64.0.2');
      expect(a.output).toContain('external 100.64.0.2:40000 TCP is redirected to internal 192.168.1.2:5000 (duration=3600)');
      const b = await client('upnpc', '-u', B, '-a', '127.0.0.1', '6000', '40000', 'TCP', '600');
      expect(b.output).toContain('ExternalIPAddress = 203.0.113.20');
      expect(b.output).toContain('external 203.0.113.20:40000 TCP is redirected to internal 192.168.2.2:6000 (duration=600)');
    });

    it('upnpc -u URL -l at each router lists only the mapping made there', async () => {
      const rows = (output: string) => output.split('\n').filter((l) => /^\s*\d+ (TCP|UDP) /.test(l));
      const a = await client('upnpc', '-u', A, '-l');
      expect(rows(a.output)).toEqual([expect.stringMatching(/^ 0 TCP 40000->192\.168\.1\.2:5000 {2}'libminiupnpc' '' 3[56]\d\d$/)]);
      const b = await client('upnpc', '-u', B, '-l');
      expect(rows(b.output)).toEqual([expect.stringMatching(/^ 0 TCP 40000->192\.168\.2\.2:6000 {2}'libminiupnpc' '' [56]\d\d$/)]);
    });

    it('natpmpc -g ADDR -a maps at the router on that address: home-a, home-b, and the carrier (PCP router, NAT-PMP too)', async () => {
      const a = await client('natpmpc', '-g', '127.0.0.2', '-a', '7000', '7000', 'udp', '3600');
      expect(a.output).toContain('using gateway : 127.0.0.2');
      expect(a.output).toContain('Public IP address : 100.64.0.2');
      expect(a.output).toContain('Mapped public port 7000 protocol UDP to local port 7000 liftime 3600');
      const b = await client('natpmpc', '-g', '127.0.0.3', '-a', '7001', '7001', 'tcp', '1200');
      expect(b.output).toContain('Public IP address : 203.0.113.20');
      expect(b.output).toContain('Mapped public port 7001 protocol TCP to local port 7001 liftime 1200');
      const c = await client('natpmpc', '-g', '127.0.0.1', '-a', '7002', '7002', 'udp', '600');
      expect(c.output).toContain('Public IP address : 198.51.100.1');
      expect(c.output).toContain('Mapped public port 7002 protocol UDP to local port 7002 liftime 600');
      expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    });

    it('the log names the router of every mapping: each landed where it was asked for', async () => {
      await s.lines(10);
      expect(s.stdout.slice(5)).toEqual([
        'natsim: home-a: mapping created TCP 40000 → 192.168.1.2:5000 (lease 3600 s, "libminiupnpc", upnp)',
        'natsim: home-b: mapping created TCP 40000 → 192.168.2.2:6000 (lease 600 s, "libminiupnpc", upnp)',
        // upnpc -l reads until the index past the last entry: a fault at each router.
        'natsim: home-a: fault 713 SpecifiedArrayIndexInvalid for GetGenericPortMappingEntry from 192.168.1.2',
        'natsim: home-b: fault 713 SpecifiedArrayIndexInvalid for GetGenericPortMappingEntry from 192.168.2.2',
        'natsim: home-a: mapping created UDP 7000 → 192.168.1.2:7000 (lease 3600 s, "NAT-PMP udp 7000", natpmp)',
        'natsim: home-b: mapping created TCP 7001 → 192.168.2.2:7001 (lease 1200 s, "NAT-PMP tcp 7001", natpmp)',
        'natsim: carrier: mapping created UDP 7002 → 100.64.0.2:7002 (lease 600 s, "NAT-PMP udp 7002", natpmp)',
      ]);
      expect(s.stderr).toEqual([]);
    });

    it('the guard asks the address of a named router that offers nothing too (served as an IGD): plain on 127.0.0.2 is refused, exit 3', async () => {
      // carrier (PCP only: no SSDP; its port-control port free, not the first's 5351) on 127.0.0.1, plain (no service: an IGD) on 127.0.0.2, where home-a answers SSDP.
      const second = serveProcess('--scenario', FIXTURE, '--router', 'carrier,plain', '--natpmp-port', '0');
      const ended = await Promise.race([second.exit, new Promise<'still serving'>((r) => setTimeout(() => r('still serving'), 5000))]);
      if (ended === 'still serving') await second.stop();
      expect(ended).toEqual({ code: 3, signal: null });
      expect(second.stderr).toEqual([
        `error: SSDP port 127.0.0.2:1900 is already served by another gateway (${A}, OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.7), which would keep answering searches; stop it or choose another --ssdp-port`,
      ]);
      expect(s.child.exitCode).toBeNull();
    });

    it('a second natsim serve whose router would take 127.0.0.2:1900 is refused there (exit 3); the first keeps serving', async () => {
      const second = serveProcess('--scenario', WM02);
      expect((await second.exit).code).toBe(3);
      expect(second.stderr).toEqual([
        `error: SSDP port 127.0.0.2:1900 is already served by another gateway (${A}, OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.7), which would keep answering searches; stop it or choose another --ssdp-port`,
      ]);
      expect(s.child.exitCode).toBeNull();
      expect((await s.stop()).code).toBe(0);
    });
  });

  describe('one router offering PCP only, named alone', () => {
    it('is served as before (an IGD, with the warning), and on 5351 by default, where natpmpc reaches it', async () => {
      const s = serveProcess('--scenario', FIXTURE, '--router', 'carrier', '--json');
      const ready = JSON.parse((await s.lines(1))[0]!) as { router: string; natpmp?: string; routers: Array<{ pcp?: string }> };
      expect([ready.router, ready.natpmp, ready.routers[0]!.pcp]).toEqual(['carrier', '127.0.0.1:5351', '127.0.0.1:5351']);
      const c = await client('natpmpc', '-g', '127.0.0.1');
      expect(c.output).toContain('Public IP address : 198.51.100.1');
      expect((await s.stop()).code).toBe(0);
      expect(s.stderr).toEqual([
        `natsim: warning: router carrier of ${FIXTURE} does not offer UPnP (services: { upnp: true } is not set); serving it as an IGD anyway`,
      ]);
    });
  });

  describe('--multicast on loopback: one search finds every served IGD', () => {
    it('upnpc -m lo and natsim discover see home-a and home-b of wm-02, each with its own external address', async () => {
      const s = serveProcess('--scenario', WM02, '--multicast', '--json');
      const ready = JSON.parse((await s.lines(1))[0]!) as { routers: Array<{ router: string; descriptionUrl: string }> };
      const [a, b] = ready.routers.map((r) => r.descriptionUrl);
      expect(ready.routers.map((r) => r.router)).toEqual(['home-a', 'home-b']);
      const upnpc = await client('upnpc', '-m', 'lo', '-s');
      expect(
        upnpc.output
          .split('\n')
          .filter((l) => l.startsWith(' desc: '))
          .sort(),
      ).toEqual([` desc: ${a}`, ` desc: ${b}`]);
      const found = await client(process.execPath, 'bin/natsim.js', 'discover', '--timeout', '2', '--json');
      const gateways = JSON.parse(found.output.split('\n')[0]!) as Array<{ location: string; externalIp?: string }>;
      expect(gateways.map((g) => [g.location, g.externalIp]).sort()).toEqual([
        [a, '203.0.113.10'],
        [b, '203.0.113.20'],
      ]);
      expect((await s.stop()).code).toBe(0);
    });
  });
}
