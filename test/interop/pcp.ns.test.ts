/**
 * natsim's PCP server (and the port-control port it shares with NAT-PMP) against real clients on
 * a LAN host, and its unsolicited ANNOUNCE received there — all inside private namespaces (see
 * netns.ts): the gateway serves UDP 5351 on 10.99.0.1 with `services: { natpmp: true, pcp: true }`,
 * the clients run in the lan namespace (10.99.0.2, default route via 10.99.0.1).
 *
 * Clients: a python3-libtorrent session (its NAT-PMP module speaks PCP first, so here it maps with
 * PCP), the npm `nat-api` 0.3 (NAT-PMP first, then UPnP). @achingbrain/nat-port-mapper 4.0.5 (the
 * newest release) has no PCP client — its package holds only `pmp/` and `upnp/` — so it is run
 * against NAT-PMP in natpmp.ns.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PCP_OPCODE } from '../../src/constants.js';
import { type GatewayHandle, startGateway } from '../../src/gateway/start-gateway.js';
import { FakeClock } from '../../src/nat/clock.js';
import { parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import {
  CLIENTS,
  createLan,
  GW_ADDRESS,
  IN_NETNS,
  jsonLines,
  LAN_ADDRESS,
  type Lan,
  NODE,
  PYTHON,
  reexecInNamespace,
  requireTool,
  stepper,
} from './netns.js';

reexecInNamespace('test/interop/pcp.ns.test.ts', 'natsim PCP with libtorrent and nat-api, and unsolicited ANNOUNCE');

const WAN = '81.2.69.160';
const scenario = (profile = 'miniupnpd') => `name: pcp interop
routers:
  gw: { wan: ${WAN}, lan: 10.99.0.0/24, lanAddress: ${GW_ADDRESS}, profile: ${profile}, services: { natpmp: true, pcp: true } }
hosts:
  h: { router: gw, address: ${LAN_ADDRESS} }
`;

/** Prints every datagram on UDP `port` in the lan namespace (until killed or 8 s). */
const RECEIVER_ALL = `const s=require('node:dgram').createSocket({type:'udp4',reuseAddr:true});
s.on('message',(m,r)=>console.log(r.address+':'+r.port+' '+m.toString('hex')));
s.bind(Number(process.argv[1]),()=>console.log('listening'));setTimeout(()=>process.exit(2),8000);`;

if (IN_NETNS) {
  let lan: Lan;
  beforeAll(async () => {
    lan = await createLan();
  });
  afterAll(async () => {
    await lan?.close();
  });

  const serve = async (multicast: boolean, profile?: string, clock?: FakeClock): Promise<GatewayHandle> => {
    const { parseScenario } = await import('../../src/scenario/loader.js');
    return startGateway({
      scenario: parseScenario(scenario(profile), 'pcp-interop.yaml'),
      listen: GW_ADDRESS,
      natpmp: { port: 5351 },
      ssdpPort: 0,
      multicast,
      ...(clock ? { clock } : {}),
    });
  };
  const rowsOf = (gw: GatewayHandle): string[] =>
    gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}->${m.internalClient}:${m.internalPort} ${m.origin} ${m.leaseDuration}`);

  describe('real clients against a gateway offering NAT-PMP and PCP (multicast off)', () => {
    let gw: GatewayHandle;
    const rows = () => rowsOf(gw).sort();
    /** What the port-control server answered (its `natpmp` events). */
    const served: Array<{ protocol: string; opcode: number; result: number }> = [];
    beforeAll(async () => {
      gw = await serve(false);
      gw.events.on('natpmp', (e) => {
        if (e.type === 'natpmp-request') served.push({ protocol: e.protocol, opcode: e.opcode, result: e.result });
      });
    });
    afterAll(async () => {
      await gw?.stop();
    });
    afterEach(() => gw.reset());

    it('python3-libtorrent 2.0.8 maps its listen port over PCP (TCP and UDP), as its log and portmap alerts say', {
      timeout: 60_000,
    }, async () => {
      requireTool({ cmd: PYTHON, args: ['-c', 'import libtorrent'] }, 'python3-libtorrent');
      const child = lan.spawn(PYTHON, [`${CLIENTS}libtorrent_natpmp_client.py`, LAN_ADDRESS, '6881']);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const waitFor = async (text: string): Promise<void> => {
        for (let i = 0; i < 150 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 100));
      };
      await waitFor('"done"');
      const lines = jsonLines(out);
      expect(lines.at(-1), out).toEqual({ done: { tcp: 6881, udp: 6881 } });
      const messages = lines.map((l) => l['message']);
      // Its NAT-PMP module sends PCP; natsim's PCP server answers, and it keeps the PCP transport.
      for (const proto of ['tcp', 'udp'])
        expect(messages).toContain(
          `NAT-PMP [${LAN_ADDRESS}]: <== port map [ transport: PCP protocol: ${proto} local: 6881 external: 6881 ttl: 3600 ]`,
        );
      expect(
        messages.some((m) => typeof m === 'string' && m.includes('unsupported version')),
        out,
      ).toBe(false);
      expect(lines.filter((l) => l['alert'] === 'portmap_alert').map((l) => l['message'])).toEqual([
        `successfully mapped port using NAT-PMP. local: ${LAN_ADDRESS} external port: TCP/6881`,
        `successfully mapped port using NAT-PMP. local: ${LAN_ADDRESS} external port: UDP/6881`,
      ]);
      expect(rows()).toEqual([`TCP 6881->${LAN_ADDRESS}:6881 pcp 3600`, `UDP 6881->${LAN_ADDRESS}:6881 pcp 3600`]);
      // The nonce stays with the mapping and out of every listing.
      expect(gw.router.forwards.list().every((e) => e.origin === 'pcp' && /^[0-9a-f]{24}$/.test(e.nonce ?? ''))).toBe(true);
      child.stdin.write('stop\n');
      await waitFor('"stopped"');
      expect(out.slice(-300)).toContain('{"stopped": true}');
      expect(rows()).toEqual([]);
    });

    it("nat-api 0.3.1 with NAT-PMP on crashes on natsim's first reply (its socket's message listener drops the datagram)", {
      timeout: 60_000,
    }, async () => {
      const c = stepper(lan.spawn(NODE, [`${CLIENTS}nat-api-client.cjs`, 'pmp']));
      // lib/pmp/index.js: socket.on('message', () => this.onMessage()) — onMessage(msg) then reads msg.readUInt8(0).
      await expect(c.next(20_000)).rejects.toThrow(
        /client exited early \(code 1\)[\s\S]*nat-api\/lib\/pmp\/index\.js:257[\s\S]*TypeError: Cannot read properties of undefined \(reading 'readUInt8'\)/,
      );
      // natsim did answer: the external-address request was served (NAT-PMP opcode 0, result 0).
      expect(served).toContainEqual({ protocol: 'natpmp', opcode: 0, result: 0 });
      expect(rows()).toEqual([]);
    });
  });

  describe('nat-api 0.3.1 over UPnP (NAT-PMP off), against the gateway served as IGD:1', () => {
    let gw: GatewayHandle;
    beforeAll(async () => {
      const { parseScenario } = await import('../../src/scenario/loader.js');
      gw = await startGateway({
        scenario: parseScenario(scenario('miniupnpd-igd1'), 'pcp-interop.yaml'),
        listen: GW_ADDRESS,
        httpPort: 0,
        ssdpPort: 1900,
        natpmp: false,
        multicast: true,
        mxDelay: 'none',
      });
    });
    afterAll(async () => {
      await gw?.stop();
    });
    it('externalIp, a TCP map, a map of both protocols, an unmap, destroy (which unmaps the rest)', { timeout: 60_000 }, async () => {
      const rows = () => rowsOf(gw).sort();
      const c = stepper(lan.spawn(NODE, [`${CLIENTS}nat-api-client.cjs`, 'upnp']));
      try {
        expect(await c.next(20_000)).toEqual({ step: 'externalIp', ok: true, value: WAN });
        expect(rows()).toEqual([]);
        c.proceed();
        expect(await c.next(20_000)).toEqual({ step: 'mapTcp', ok: true, value: null });
        expect(rows()).toEqual([`TCP 4001->${LAN_ADDRESS}:4001 upnp 1800`]);
        c.proceed();
        expect(await c.next(20_000)).toEqual({ step: 'mapBoth', ok: true, value: null });
        expect(rows()).toEqual([
          `TCP 4001->${LAN_ADDRESS}:4001 upnp 1800`,
          `TCP 4003->${LAN_ADDRESS}:4003 upnp 1800`,
          `UDP 4003->${LAN_ADDRESS}:4003 upnp 1800`,
        ]);
        c.proceed();
        expect(await c.next(20_000)).toEqual({ step: 'unmapTcp', ok: true, value: null });
        expect(rows()).toEqual([`TCP 4003->${LAN_ADDRESS}:4003 upnp 1800`, `UDP 4003->${LAN_ADDRESS}:4003 upnp 1800`]);
        c.proceed();
        expect(await c.next(20_000)).toEqual({ step: 'destroy', ok: true, value: null });
        expect(rows()).toEqual([]);
        expect(await c.next(20_000)).toEqual({ step: 'done' });
      } finally {
        c.kill();
      }
    });
  });

  describe('unsolicited ANNOUNCE (RFC 6887 §14.1.3), received on 224.0.0.1:5350 in the lan namespace', () => {
    /** Starts a receiver on 5350; returns the PCP and NAT-PMP datagrams seen so far. */
    const receiver = async () => {
      const rx = lan.spawn(NODE, ['-e', RECEIVER_ALL, '5350']);
      let out = '';
      rx.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve) => rx.stdout.once('data', () => resolve()));
      const datagrams = () =>
        out
          .split('\n')
          .filter((l) => l.startsWith(`${GW_ADDRESS}:5351 `))
          .map((l) => Buffer.from(l.split(' ')[1]!, 'hex'));
      return {
        pcp: () =>
          datagrams()
            .filter((d) => d[0] === 2)
            .map((d) => parsePcpResponse(d)),
        natpmp: () =>
          datagrams()
            .filter((d) => d[0] === 0)
            .map((d) => parseNatpmpResponse(d)),
        until: async (ok: () => boolean) => {
          for (let i = 0; i < 40 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
          expect(ok(), out).toBe(true);
        },
        kill: () => rx.kill(),
        text: () => out,
      };
    };

    it('at start-up (epoch 0), and again with a new epoch when the model reboots the router or changes its address', {
      timeout: 30_000,
    }, async () => {
      const rx = await receiver();
      const clock = new FakeClock(0);
      const gw = await serve(true, undefined, clock);
      try {
        await rx.until(() => rx.pcp().length > 0);
        expect(rx.pcp()[0]).toMatchObject({ version: 2, opcode: PCP_OPCODE.Announce, result: 0, lifetime: 0, epoch: 0, length: 24 });
        expect(rx.natpmp()[0]).toEqual({ version: 0, opcode: 128, result: 0, epoch: 0, address: WAN });
        // Time passes: the start-up series' later ANNOUNCEs carry the running epoch.
        clock.advance(5000);
        await rx.until(() => rx.pcp().some((m) => m.epoch === 5));
        // A reboot (a model event) starts the epoch again; the next ANNOUNCE says 0.
        const before = rx.pcp().length;
        gw.router.reboot(clock.now());
        await rx.until(() =>
          rx
            .pcp()
            .slice(before)
            .some((m) => m.epoch === 0),
        );
        clock.advance(7000);
        await rx.until(() => rx.pcp().some((m) => m.epoch === 7));
        const beforeWan = rx.pcp().length;
        gw.router.setWanAddress('81.2.69.161', clock.now());
        await rx.until(() =>
          rx
            .pcp()
            .slice(beforeWan)
            .some((m) => m.epoch === 0),
        );
        await rx.until(() => rx.natpmp().some((m) => m.address === '81.2.69.161' && m.epoch === 0));
      } finally {
        rx.kill();
        await gw.stop();
      }
    });

    it('epoch-kept: an address change is announced without resetting the epoch', { timeout: 30_000 }, async () => {
      const rx = await receiver();
      const clock = new FakeClock(0);
      const gw = await serve(true, 'epoch-kept', clock);
      try {
        await rx.until(() => rx.pcp().length > 0);
        clock.advance(9000);
        const before = rx.natpmp().length;
        gw.router.setWanAddress('81.2.69.162', clock.now());
        await rx.until(() =>
          rx
            .natpmp()
            .slice(before)
            .some((m) => m.address === '81.2.69.162'),
        );
        const after = rx
          .natpmp()
          .slice(before)
          .filter((m) => m.address === '81.2.69.162');
        expect(after.every((m) => m.epoch >= 9)).toBe(true);
        expect(rx.pcp().every((m) => m.epoch === 0 || m.epoch >= 9)).toBe(true);
      } finally {
        rx.kill();
        await gw.stop();
      }
    });

    it('natpmp-only: the NAT-PMP announcement goes out, no PCP ANNOUNCE', { timeout: 30_000 }, async () => {
      const rx = await receiver();
      const gw = await serve(true, 'natpmp-only', new FakeClock(0));
      try {
        await rx.until(() => rx.natpmp().length >= 2);
        expect(rx.pcp()).toEqual([]);
      } finally {
        rx.kill();
        await gw.stop();
      }
    });
  });
}
