/**
 * SSDP multicast end to end, inside a private network namespace only.
 *
 * Run normally, this file re-executes itself under `unshare --net` (loopback up, multicast on,
 * 239.0.0.0/8 routed to lo) with NATSIM_NETNS=1 and asserts that the child run passed. The real
 * assertions run only in that sealed namespace, so no multicast ever leaves it or touches the
 * machine's own namespace. Inside, a veth pair (no traffic is sent to it) gives node-ssdp's Client
 * the non-loopback interface it insists on; every datagram goes over lo.
 */
import { execFile, spawnSync } from 'node:child_process';
import type { RemoteInfo, Socket } from 'node:dgram';
import dgram from 'node:dgram';
import ssdp from 'node-ssdp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMSearch, parseSsdpMessage } from '../../src/ssdp/message.js';
import { SsdpResponder } from '../../src/ssdp/responder.js';
import type { SsdpEvent, SsdpServer } from '../../src/ssdp/server.js';
import { startSsdpServer } from '../../src/ssdp/server.js';
import { assertSealed, IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';
import { allUsns, description, IGD, ROOT, WANIP, WCD } from './fixtures.js';

const SELF = 'test/ssdp/multicast.ns.test.ts';
const GROUP = '239.255.255.250';
/** Interfaces the sealed namespace may have: lo and the veth pair made below. */
const NS_IFACES = ['lo', 'nsv0', 'nsv1'];
const NS_EXTRA_SETUP = [
  // node-ssdp's Client only uses non-internal IPv4 interfaces; give it one that carries nothing.
  'ip link add nsv0 type veth peer name nsv1',
  'ip addr add 127.0.0.2/32 dev nsv0',
  'ip link set nsv1 up',
  'ip link set nsv0 up',
];

reexecInNamespace(SELF, 'SSDP multicast', NS_EXTRA_SETUP);

if (IN_NETNS) {
  // ----------------------------------------------------------------------------------------------
  // Inside the namespace.
  const LOCATION = 'http://127.0.0.1:49000/rootDesc.xml';
  const desc = description({ location: LOCATION });

  interface Rx {
    msg: string;
    rinfo: RemoteInfo;
  }

  function collector(socket: Socket): { all: Rx[]; waitFor(pred: (all: Rx[]) => boolean, ms?: number): Promise<Rx[]> } {
    const all: Rx[] = [];
    const waiters = new Set<() => void>();
    socket.on('message', (msg, rinfo) => {
      all.push({ msg: msg.toString('latin1'), rinfo });
      for (const w of waiters) w();
    });
    return {
      all,
      waitFor: (pred, ms = 5000) =>
        new Promise((resolve) => {
          const done = (): void => {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(all.slice());
          };
          const timer = setTimeout(done, ms);
          const check = (): void => {
            if (pred(all)) done();
          };
          waiters.add(check);
          check();
        }),
    };
  }

  const nts = (r: Rx): string | undefined => {
    const p = parseSsdpMessage(r.msg);
    return p.ok ? p.message.headers.get('nts') : undefined;
  };

  function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(cmd, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  const hasCommand = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

  describe('SSDP multicast inside the namespace', () => {
    let srv: SsdpServer;
    let listener: Socket;
    let notifies: ReturnType<typeof collector>;
    const events: SsdpEvent[] = [];
    const responder = new SsdpResponder(desc, { mxDelay: 'none' });

    beforeAll(async () => {
      assertSealed(NS_IFACES);
      // A plain multicast listener, like a control point's NOTIFY listener.
      listener = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      notifies = collector(listener);
      await new Promise<void>((resolve) => listener.bind(1900, GROUP, resolve));
      listener.addMembership(GROUP, '127.0.0.1');
      srv = await startSsdpServer({
        responder,
        address: '127.0.0.1',
        port: 1900,
        multicast: true,
        notifyIntervalMs: 400,
        onEvent: (e) => events.push(e),
      });
    });

    afterAll(async () => {
      await srv?.stop();
      listener?.close();
    });

    it('sends NOTIFY ssdp:alive for every USN at start, from the SSDP port', async () => {
      const got = await notifies.waitFor((all) => all.filter((r) => nts(r) === 'ssdp:alive').length >= 10);
      const alive = got.filter((r) => nts(r) === 'ssdp:alive').slice(0, 10);
      expect(alive.map((r) => r.msg)).toEqual(responder.notifications('ssdp:alive').map((n) => n.message));
      expect(alive.every((r) => r.rinfo.address === '127.0.0.1' && r.rinfo.port === 1900)).toBe(true);
    });

    it('repeats NOTIFY ssdp:alive every interval', async () => {
      const got = await notifies.waitFor((all) => all.filter((r) => nts(r) === 'ssdp:alive').length >= 20, 3000);
      expect(got.filter((r) => nts(r) === 'ssdp:alive').length).toBeGreaterThanOrEqual(20);
      expect(srv.stats.notifiesSent).toBeGreaterThanOrEqual(20);
    });

    it('is discovered by node-ssdp’s Client (IGD:1 search answered by the IGD:2 gateway)', async () => {
      const client = new ssdp.Client({ interfaces: ['nsv0'] });
      const responses: Array<Record<string, string>> = [];
      client.on('response', (headers) => responses.push(headers));
      try {
        await client.start();
        await client.search(IGD(1));
        await client.search('ssdp:all');
        await client.search(WANIP(2));
        for (let i = 0; i < 50 && responses.length < 12; i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        client.stop();
      }
      const igd = responses.find((h) => h.ST === IGD(1));
      expect(igd).toMatchObject({
        ST: IGD(1),
        USN: `${ROOT}::${IGD(1)}`,
        LOCATION,
        'BOOTID.UPNP.ORG': '7',
        'CONFIGID.UPNP.ORG': '1',
        EXT: '',
      });
      expect(responses.find((h) => h.ST === WANIP(2))).toMatchObject({ USN: `${WCD}::${WANIP(2)}`, LOCATION });
      expect(new Set(responses.map((h) => h.USN))).toEqual(new Set([...allUsns(2).map(([, usn]) => usn), `${ROOT}::${IGD(1)}`]));
      expect(responses).toHaveLength(12);
      expect(events.some((e) => e.type === 'search' && e.via === 'multicast' && e.st === IGD(1) && e.answered === 1)).toBe(true);
    });

    it('applies the multicast rules (MX required, clamped) and answers unicast without MX', async () => {
      const sock = dgram.createSocket('udp4');
      const rx = collector(sock);
      await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
      const send = (text: string, address: string): Promise<void> =>
        new Promise((resolve, reject) => sock.send(text, 1900, address, (e) => (e ? reject(e) : resolve())));
      try {
        await send(buildMSearch({ st: 'upnp:rootdevice' }), GROUP); // multicast, no MX: ignored
        await new Promise((r) => setTimeout(r, 200));
        expect(rx.all).toEqual([]);
        await send(buildMSearch({ st: 'upnp:rootdevice', mx: 30 }), GROUP); // clamped to 5, answered
        await send(buildMSearch({ st: ROOT, host: '127.0.0.1:1900' }), '127.0.0.1'); // unicast, no MX
        const got = await rx.waitFor((all) => all.length >= 2);
        expect(
          got
            .map((r) => parseSsdpMessage(r.msg))
            .map((p) => p.ok && p.message.headers.get('usn'))
            .sort(),
        ).toEqual([ROOT, `${ROOT}::upnp:rootdevice`].sort());
        expect(got.every((r) => r.rinfo.port === 1900)).toBe(true);
        const mine = events.filter((e) => e.type === 'search' && e.from.port === sock.address().port);
        expect(mine.map((e) => e.type === 'search' && [e.via, e.ignored ?? e.answered])).toEqual([
          ['multicast', 'missing-mx'],
          ['multicast', 1],
          ['unicast', 1],
        ]);
      } finally {
        sock.close();
      }
    });

    it('delays multicast replies within MX when asked to (second responder on its own port)', async () => {
      const delayed = await startSsdpServer({
        responder: new SsdpResponder(desc, { mxDelay: 'random' }),
        address: '127.0.0.1',
        port: 0,
        multicast: true,
        notifyIntervalMs: 0,
        random: () => 0.5,
      });
      const sock = dgram.createSocket('udp4');
      const rx = collector(sock);
      try {
        await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
        const t0 = performance.now();
        sock.send(buildMSearch({ st: 'upnp:rootdevice', mx: 1 }), delayed.port, GROUP);
        const got = await rx.waitFor((all) => all.length >= 1, 3000);
        expect(got).toHaveLength(1);
        expect(performance.now() - t0).toBeGreaterThanOrEqual(450);
        // A reply still pending at stop() is dropped.
        sock.send(buildMSearch({ st: 'upnp:rootdevice', mx: 2 }), delayed.port, GROUP);
        await new Promise((r) => setTimeout(r, 100));
        await delayed.stop();
        await new Promise((r) => setTimeout(r, 1200));
        expect(rx.all).toHaveLength(1);
      } finally {
        sock.close();
        await delayed.stop();
      }
    });

    it('is found by miniupnpc’s upnpc (multicast discovery on lo)', async () => {
      if (!hasCommand('upnpc')) return expect.fail('upnpc (Debian miniupnpc) is not installed');
      const { stdout, stderr } = await run('upnpc', ['-m', 'lo', '-s'], 20_000);
      // Discovery succeeds; fetching the description then fails (nothing serves LOCATION here).
      expect(stdout + stderr).toContain(`desc: ${LOCATION}`);
      expect(stdout + stderr).toMatch(/st: urn:schemas-upnp-org:device:InternetGatewayDevice:1/);
    }, 30_000);

    // GSSDP (the library behind gssdp-discover, which Debian bookworm's gssdp-tools no longer ships)
    // is exercised against the whole gateway in test/interop/suites/gssdp.ts.

    it('sends NOTIFY ssdp:byebye for every USN on stop', async () => {
      const before = notifies.all.length;
      await srv.stop();
      const got = await notifies.waitFor((all) => all.slice(before).filter((r) => nts(r) === 'ssdp:byebye').length >= 10);
      const bye = got.slice(before).filter((r) => nts(r) === 'ssdp:byebye');
      expect(bye.map((r) => r.msg)).toEqual(responder.notifications('ssdp:byebye').map((n) => n.message));
      // Nothing after byebye: the interval is cleared.
      await new Promise((r) => setTimeout(r, 600));
      expect(notifies.all.slice(before).filter((r) => nts(r) === 'ssdp:alive')).toEqual([]);
    });
  });
}
