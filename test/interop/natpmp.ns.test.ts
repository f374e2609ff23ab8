/**
 * natsim's NAT-PMP server against real clients on a LAN host — `natpmpc` (libnatpmp, Debian package
 * natpmpc), the npm `nat-pmp` 1.0.0, @achingbrain/nat-port-mapper's `pmpNat`, a python3-libtorrent
 * session and transmission-daemon (libnatpmp) — and its address
 * announcements received there, all inside private namespaces (see netns.ts): the gateway serves
 * UDP 5351 on 10.99.0.1, the clients run in the lan namespace (10.99.0.2, default route via
 * 10.99.0.1, which is how libnatpmp finds its gateway).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../src/gateway/start-gateway.js';
import { FakeClock } from '../../src/nat/clock.js';
import { parseNatpmpResponse } from '../../src/natpmp/codec.js';
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
} from './netns.js';

reexecInNamespace('test/interop/natpmp.ns.test.ts', 'natsim NAT-PMP with natpmpc, nat-pmp, nat-port-mapper, libtorrent and Transmission');

const WAN = '81.2.69.160';
const SCENARIO = `name: natpmp interop
routers:
  gw: { wan: ${WAN}, lan: 10.99.0.0/24, lanAddress: ${GW_ADDRESS}, services: { natpmp: true } }
hosts:
  h: { router: gw, address: ${LAN_ADDRESS} }
`;

/** Listens on UDP `port` in the lan namespace and prints the first datagram as hex. */
const RECEIVER = `const s=require('node:dgram').createSocket({type:'udp4',reuseAddr:true});
s.on('message',(m,r)=>{console.log(r.address+':'+r.port+' '+m.toString('hex'));process.exit(0)});
s.bind(Number(process.argv[1]),()=>console.log('listening'));setTimeout(()=>process.exit(2),8000);`;

/** Prints every datagram on UDP `port` in the lan namespace (until killed). */
const RECEIVER_ALL = `const s=require('node:dgram').createSocket({type:'udp4',reuseAddr:true});
s.on('message',(m,r)=>console.log(r.address+':'+r.port+' '+m.toString('hex')));
s.bind(Number(process.argv[1]),()=>console.log('listening'));setTimeout(()=>process.exit(2),8000);`;

if (IN_NETNS) {
  // One lan host for both gateways (the veth pair goes only when the namespace does).
  let lan: Lan;
  beforeAll(async () => {
    lan = await createLan();
  });
  afterAll(async () => {
    await lan?.close();
  });

  describe('natpmpc (libnatpmp) against the served gateway', () => {
    let gw: GatewayHandle;
    const natpmpc = async (...args: string[]): Promise<string> => (await lan.run('natpmpc', args, 20_000)).output;
    const rows = (): string[] =>
      gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}->${m.internalClient}:${m.internalPort} ${m.origin} ${m.leaseDuration}`);

    beforeAll(async () => {
      requireTool('natpmpc', 'natpmpc');
      const { parseScenario } = await import('../../src/scenario/loader.js');
      gw = await startGateway({
        scenario: parseScenario(SCENARIO, 'natpmp-interop.yaml'),
        listen: GW_ADDRESS,
        natpmp: { port: 5351 },
        ssdpPort: 0,
        multicast: true,
      });
    });

    afterAll(async () => {
      await gw?.stop();
    });

    it('serves on 10.99.0.1:5351', () => {
      expect(gw.natpmpAddress).toEqual({ address: GW_ADDRESS, port: 5351 });
      expect(rows()).toEqual([]);
    });

    it('natpmpc (gateway from the default route) prints the public address', async () => {
      const out = await natpmpc();
      expect(out).toContain(`using gateway : ${GW_ADDRESS}`);
      expect(out).toContain(`Public IP address : ${WAN}`);
      expect(out).toMatch(/epoch = \d+/);
    });

    it('-g GW -a 6000 5000 udp 3600 maps, and the table shows it with origin natpmp', async () => {
      const out = await natpmpc('-g', GW_ADDRESS, '-a', '6000', '5000', 'udp', '3600');
      expect(out).toContain(`Mapped public port 6000 protocol UDP to local port 5000 liftime 3600`);
      expect(rows()).toEqual([`UDP 6000->${LAN_ADDRESS}:5000 natpmp 3600`]);
    });

    it("-a 8080 8080 tcp maps TCP (natpmpc's default lifetime, 3600)", async () => {
      const out = await natpmpc('-g', GW_ADDRESS, '-a', '8080', '8080', 'tcp');
      expect(out).toContain('Mapped public port 8080 protocol TCP to local port 8080 liftime 3600');
      expect(rows()).toEqual([`UDP 6000->${LAN_ADDRESS}:5000 natpmp 3600`, `TCP 8080->${LAN_ADDRESS}:8080 natpmp 3600`]);
    });

    it('-a 0 5000 udp 0 deletes that mapping', async () => {
      const out = await natpmpc('-g', GW_ADDRESS, '-a', '0', '5000', 'udp', '0');
      expect(out).toContain('Mapped public port 0 protocol UDP to local port 5000 liftime 0');
      expect(rows()).toEqual([`TCP 8080->${LAN_ADDRESS}:8080 natpmp 3600`]);
    });

    it("-a 0 0 tcp 0 deletes all of the client's TCP mappings", async () => {
      await natpmpc('-g', GW_ADDRESS, '-a', '9000', '9000', 'tcp', '600');
      expect(rows()).toHaveLength(2);
      const out = await natpmpc('-g', GW_ADDRESS, '-a', '0', '0', 'tcp', '0');
      expect(out).toContain('Mapped public port 0 protocol TCP to local port 0 liftime 0');
      expect(rows()).toEqual([]);
    });

    it('a WAN address change is announced to 224.0.0.1:5350 and :5351 from the gateway, with a new epoch', async () => {
      for (const port of [5350, 5351]) {
        const rx = lan.spawn(NODE, ['-e', RECEIVER, String(port)]);
        let out = '';
        rx.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await new Promise<void>((resolve) => rx.stdout.once('data', () => resolve()));
        gw.router.setWanAddress(port === 5350 ? '81.2.69.161' : '81.2.69.162', gw.clock.now());
        await new Promise<void>((resolve) => rx.once('exit', () => resolve()));
        const line = out.split('\n').find((l) => l.startsWith(GW_ADDRESS))!;
        expect(line, out).toMatch(new RegExp(`^${GW_ADDRESS.replace(/\./g, '\\.')}:5351 `));
        const msg = parseNatpmpResponse(Buffer.from(line.split(' ')[1]!, 'hex'));
        expect(msg).toEqual({ version: 0, opcode: 128, result: 0, epoch: 0, address: port === 5350 ? '81.2.69.161' : '81.2.69.162' });
      }
      expect(await natpmpc()).toContain('Public IP address : 81.2.69.162');
    });
  });

  describe('npm NAT-PMP clients against a served gateway (multicast off, so no announcement races a reply on 5350)', () => {
    let gw: GatewayHandle;
    const rows = (): string[] =>
      gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}->${m.internalClient}:${m.internalPort} ${m.origin} ${m.leaseDuration}`);

    beforeAll(async () => {
      const { parseScenario } = await import('../../src/scenario/loader.js');
      gw = await startGateway({
        scenario: parseScenario(SCENARIO, 'natpmp-interop.yaml'),
        listen: GW_ADDRESS,
        natpmp: { port: 5351 },
        ssdpPort: 0,
        multicast: false,
      });
    });

    afterAll(async () => {
      await gw?.stop();
    });

    afterEach(() => gw.reset());

    it('nat-pmp 1.0.0: external address, maps, result 2 for internal port 0, unmap, delete-all', async () => {
      const r = await lan.run(NODE, [`${CLIENTS}nat-pmp-client.cjs`, GW_ADDRESS], 40_000);
      const steps = jsonLines(r.stdout);
      const map = (type: string, internal: number, external: number, ttl: number) => ({
        vers: 0,
        op: type === 'udp' ? 129 : 130,
        resultCode: 0,
        resultMessage: 'Success',
        epoch: 'number',
        private: internal,
        internal,
        public: external,
        external,
        ttl,
        type,
      });
      expect(steps, r.output).toEqual([
        {
          step: 'externalIp',
          ok: true,
          value: { vers: 0, op: 128, resultCode: 0, resultMessage: 'Success', epoch: 'number', ip: [81, 2, 69, 160] },
        },
        { step: 'mapTcp', ok: true, value: map('tcp', 4001, 4001, 3600) },
        { step: 'mapUdp', ok: true, value: map('udp', 4002, 4002, 600) },
        { step: 'mapPort0', ok: false, error: 'Not Authorized/Refused (gateway may have NAT-PMP disabled)', code: 2 },
        { step: 'unmapTcp', ok: true, value: map('tcp', 4001, 0, 0) },
        { step: 'unmapAllUdp', ok: true, value: map('udp', 0, 0, 0) },
        { step: 'done' },
      ]);
      expect(rows()).toEqual([]);
    });

    it('python3-libtorrent 2.0.8 with NAT-PMP on maps its listen port (TCP and UDP), as its portmap alerts say', {
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
      // It tries PCP first; natsim answers NAT-PMP's "unsupported version" and it falls back.
      expect(lines.map((l) => l['message'])).toContain('NAT-PMP [10.99.0.2]: unsupported version');
      expect(lines.filter((l) => l['alert'] === 'portmap_alert').map((l) => l['message'])).toEqual([
        `successfully mapped port using NAT-PMP. local: ${LAN_ADDRESS} external port: TCP/6881`,
        `successfully mapped port using NAT-PMP. local: ${LAN_ADDRESS} external port: UDP/6881`,
      ]);
      expect(rows().sort()).toEqual([`TCP 6881->${LAN_ADDRESS}:6881 natpmp 3600`, `UDP 6881->${LAN_ADDRESS}:6881 natpmp 3600`]);
      child.stdin.write('stop\n');
      await waitFor('"stopped"');
      expect(out.slice(-300)).toContain('{"stopped": true}');
      expect(rows()).toEqual([]);
    });

    it('transmission-daemon 3.00 (libnatpmp) with --portmap maps its peer port over NAT-PMP', { timeout: 60_000 }, async () => {
      requireTool('transmission-daemon', 'transmission-daemon');
      const dir = mkdtempSync(join(tmpdir(), 'natsim-transmission-'));
      const child = lan.spawn('transmission-daemon', [
        '-f',
        '-g',
        dir,
        '--portmap',
        '-P',
        '51413',
        '-O',
        '-Y',
        '--log-info',
        '-T',
        '-p',
        '9091',
        '-r',
        '127.0.0.1',
      ]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        // Transmission polls its NAT-PMP state every few seconds, so the first reply is read late.
        for (let i = 0; i < 300 && !out.includes('Port 51413 forwarded successfully'); i++) await new Promise((r) => setTimeout(r, 100));
        expect(out).toContain('Port Forwarding (NAT-PMP) Found public address "81.2.69.160"');
        expect(out).toContain('Port Forwarding (NAT-PMP) Port 51413 forwarded successfully');
        expect(out).toContain('Port Forwarding State changed from "Starting" to "Forwarded"');
        const m = gw.listMappings();
        expect(m.map((e) => `${e.protocol} ${e.externalPort}->${e.internalClient}:${e.internalPort} ${e.origin}`)).toEqual([
          `TCP 51413->${LAN_ADDRESS}:51413 natpmp`,
        ]);
        // It asks for 3600 s; a few seconds have run off since.
        expect(m[0]!.leaseDuration).toBeGreaterThan(3500);
        expect(m[0]!.leaseDuration).toBeLessThanOrEqual(3600);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('@achingbrain/nat-port-mapper (pmpNat): external address, TCP and UDP maps, unmap', async () => {
      const ext = gw.externalIp;
      expect(ext).toBe(WAN);
      const r = await lan.run(NODE, [`${CLIENTS}nat-port-mapper-pmp-client.mjs`, GW_ADDRESS, LAN_ADDRESS], 30_000);
      const steps = jsonLines(r.stdout);
      expect(steps, r.output).toEqual([
        { step: 'externalIp', ok: true, value: ext },
        {
          step: 'mapTcp',
          ok: true,
          value: { externalHost: ext, externalPort: 4001, internalHost: LAN_ADDRESS, internalPort: 4001, protocol: 'TCP' },
        },
        // nat-port-mapper 4.0.5 drops its externalPort option (it suggests the local port): 4002, not 4102.
        {
          step: 'mapUdp',
          ok: true,
          value: { externalHost: ext, externalPort: 4002, internalHost: LAN_ADDRESS, internalPort: 4002, protocol: 'UDP' },
        },
        { step: 'unmap', ok: true },
        { step: 'stop', ok: true },
        { step: 'done' },
      ]);
      expect(rows()).toEqual([`UDP 4002->${LAN_ADDRESS}:4002 natpmp 600`]);
    });
  });

  describe('announcements at start-up and on reset', () => {
    /** Starts a receiver on UDP 5350 in the lan namespace; resolves with the first datagram once `trigger` has run. */
    const firstAnnouncement = async (
      trigger: () => Promise<void> | void,
    ): Promise<{ from: string; msg: ReturnType<typeof parseNatpmpResponse> }> => {
      const rx = lan.spawn(NODE, ['-e', RECEIVER, '5350']);
      let out = '';
      rx.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise<void>((resolve) => rx.stdout.once('data', () => resolve()));
      await trigger();
      await new Promise<void>((resolve) => rx.once('exit', () => resolve()));
      const line = out.split('\n').find((l) => l.startsWith(GW_ADDRESS));
      expect(line, out).toBeDefined();
      const [from, hex] = line!.split(' ');
      return { from: from!, msg: parseNatpmpResponse(Buffer.from(hex!, 'hex')) };
    };

    it('a gateway starting up announces its address and epoch 0 from 10.99.0.1:5351; reset() announces a new epoch', async () => {
      const { parseScenario } = await import('../../src/scenario/loader.js');
      let gw: GatewayHandle | undefined;
      try {
        const boot = await firstAnnouncement(async () => {
          gw = await startGateway({
            scenario: parseScenario(SCENARIO, 'natpmp-interop.yaml'),
            listen: GW_ADDRESS,
            natpmp: { port: 5351 },
            ssdpPort: 0,
            multicast: true,
            clock: new FakeClock(0),
          });
        });
        expect(boot).toEqual({ from: `${GW_ADDRESS}:5351`, msg: { version: 0, opcode: 128, result: 0, epoch: 0, address: WAN } });
        // reset() starts a new epoch and a new series: after 5 s of (fake) time the start-up series
        // still says epoch 5, the reset's first announcement says 0.
        const rx = lan.spawn(NODE, ['-e', RECEIVER_ALL, '5350']);
        let out = '';
        rx.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await new Promise<void>((resolve) => rx.stdout.once('data', () => resolve()));
        gw!.advance(5000);
        gw!.reset();
        const epochs = (): number[] =>
          out
            .split('\n')
            .filter((l) => l.startsWith(`${GW_ADDRESS}:5351 `))
            .map((l) => parseNatpmpResponse(Buffer.from(l.split(' ')[1]!, 'hex')).epoch);
        for (let i = 0; i < 30 && !epochs().includes(0); i++) await new Promise((r) => setTimeout(r, 100));
        rx.kill();
        expect(epochs(), out).toContain(0);
        expect(
          epochs().every((e) => e === 0 || e === 5),
          out,
        ).toBe(true);
      } finally {
        await gw?.stop();
      }
    });
  });
}
