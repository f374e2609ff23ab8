/**
 * Router services inside the lab: real UPnP and NAT-PMP clients on a LAN host find and use their
 * own router at its LAN address — SSDP by multicast, SOAP over HTTP, GENA NOTIFY back to the
 * host, NAT-PMP on 5351 — and the mappings they get are the ones the lab's packets meet: a TCP
 * client on the Internet reaches a server behind the NAT only while the mapping exists. Two
 * routers with the same LAN prefix (and a host at the same address behind each) each answer
 * their own LAN. The file re-runs itself inside a sealed network namespace; the lab makes its own
 * namespaces inside that.
 *
 * Real programs: upnpc and natpmpc (Debian miniupnpc, natpmpc), a python3-libtorrent session
 * (PCP), socat, python3.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LabDrop } from '../../src/lab/relay.js';
import { ROUTER_SOCKETS_SOURCE } from '../../src/lab/router-sockets-source.js';
import { type LabHandle, startLab } from '../../src/lab/start-lab.js';
import type { ModelEvent } from '../../src/nat/events.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { assertSealed, IN_NETNS, REPO, reexecInNamespace, requireTool } from '../interop/netns.js';

reexecInNamespace('test/lab/services.ns.test.ts', 'lab: router services (upnpc, natpmpc) and the data plane they map');

const PROGRAMS = join(REPO, 'test/lab/programs');
const PYTHON = '/usr/bin/python3';
/**
 * Public-looking WAN addresses (miniupnpc ranks a gateway with a reserved external address "not
 * connected?"); they exist only inside the lab's model, no packet is ever sent to them elsewhere.
 */
const WAN_A = '81.2.69.160';
const WAN_B = '81.2.69.161';
const SCENARIO = parseScenario(
  `
name: lab test — two home routers with the same LAN, both with UPnP and NAT-PMP, one with PCP too
routers:
  home-a: { wan: ${WAN_A}, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true, natpmp: true } }
  home-b: { wan: ${WAN_B}, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true, natpmp: true, pcp: true } }
hosts:
  alice: { router: home-a, address: 192.168.1.10 }
  carol: { router: home-b, address: 192.168.1.10 }
  dave: { router: home-b, address: 192.168.1.11 }
  bob: { address: 198.51.100.20 }
`,
  'services.yaml',
);

/** A TCP server (tcp-answer.py) in a lab host, once it listens, and the lines it prints. */
async function answerServer(lab: LabHandle, host: string, port: number): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = lab.spawn(host, PYTHON, [join(PROGRAMS, 'tcp-answer.py'), String(port), '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      if (l === 'listening') resolve();
    });
    child.once('exit', (c) => reject(new Error(`tcp-answer.py in ${host} exited ${c}`)));
  });
  return { child, lines };
}

if (IN_NETNS) {
  let lab: LabHandle;
  const events: ModelEvent[] = [];
  const drops: LabDrop[] = [];
  const servers: ChildProcess[] = [];

  /** bob's socat: one line to `address:port`, the answer (or socat's error) back. */
  const connectFromBob = (address: string, port: number, line: string) =>
    lab.exec('bob', `echo ${line} | socat -t 2 - TCP:${address}:${port},connect-timeout=2`, { timeoutMs: 15_000 });

  beforeAll(async () => {
    assertSealed(['lo']);
    for (const t of ['unshare', 'nsenter', 'setpriv']) requireTool(t, 'util-linux');
    requireTool('socat', 'socat');
    requireTool('upnpc', 'miniupnpc');
    requireTool('natpmpc', 'natpmpc');
    lab = await startLab({ scenario: SCENARIO, trace: true, onDrop: (d) => drops.push(d) });
    lab.events.onAny((e) => events.push(e));
  });

  afterAll(async () => {
    for (const s of servers) s.kill();
    await lab?.stop();
  });

  it('serves both routers, each on its LAN address 192.168.1.1 in its own namespace', () => {
    expect(lab.services?.routers).toEqual(['home-a', 'home-b']);
    for (const id of ['home-a', 'home-b']) {
      expect(lab.services!.router(id).descriptionUrl).toMatch(/^http:\/\/192\.168\.1\.1:\d+\/rootDesc\.xml$/);
      expect(lab.services!.router(id).ssdpAddress).toEqual({ address: '192.168.1.1', port: 1900 });
      expect(lab.services!.router(id).natpmpAddress).toEqual({ address: '192.168.1.1', port: 5351 });
    }
  });

  it('upnpc -l from each LAN finds its own router by SSDP multicast: its description URL and its external address', async () => {
    const searches = { 'home-a': 0, 'home-b': 0 };
    for (const id of ['home-a', 'home-b'] as const)
      lab.services!.router(id).events.on('ssdp-search', (e) => e.via === 'multicast' && searches[id]++);
    const a = await lab.exec('alice', ['upnpc', '-l'], { timeoutMs: 20_000 });
    expect(a.code, a.output).toBe(0);
    expect(a.stdout).toContain(` desc: ${lab.services!.router('home-a').descriptionUrl}`);
    expect(a.stdout).toContain(
      `Found valid IGD : http://192.168.1.1:${new URL(lab.services!.router('home-a').descriptionUrl!).port}/ctl/IPConn`,
    );
    expect(a.stdout).toMatch(/^Local LAN ip address : 192\.168\.1\.10$/m);
    expect(a.stdout).toContain(`ExternalIPAddress = ${WAN_A}`);
    expect(searches).toMatchObject({ 'home-a': expect.any(Number), 'home-b': 0 });
    expect(searches['home-a']).toBeGreaterThan(0);

    const c = await lab.exec('carol', ['upnpc', '-l'], { timeoutMs: 20_000 });
    expect(c.code, c.output).toBe(0);
    expect(c.stdout).toContain(` desc: ${lab.services!.router('home-b').descriptionUrl}`);
    expect(c.stdout).toContain(`ExternalIPAddress = ${WAN_B}`);
    expect(c.stdout).not.toContain(WAN_A);
    expect(searches['home-b']).toBeGreaterThan(0);
  });

  it('without a mapping, bob’s TCP connection to the external port is dropped at home-a with the model’s reason', async () => {
    const before = events.length;
    const r = await connectFromBob(WAN_A, 8080, 'too-early');
    expect(r.code, r.output).not.toBe(0);
    expect(r.stderr).toMatch(/Connection timed out/);
    const dropped = events.slice(before).filter((e) => e.type === 'packet-dropped');
    expect(dropped.map((e) => (e.type === 'packet-dropped' ? [e.router, e.reason, e.from, e.packet.proto] : []))).toContainEqual([
      'home-a',
      'no-mapping',
      'bob',
      'tcp',
    ]);
    expect(drops).toContainEqual(
      expect.objectContaining({
        from: 'bob',
        stage: 'model',
        code: 'no-mapping',
        node: 'home-a',
        message: expect.stringContaining(`no mapping for ${WAN_A}:8080 (TCP`),
      }),
    );
  });

  it('upnpc -a maps TCP 8080; bob then reaches the server in alice through it, data both ways; upnpc -d takes it back', async () => {
    const { child, lines } = await answerServer(lab, 'alice', 8080);
    servers.push(child);
    const add = await lab.exec('alice', ['upnpc', '-a', '192.168.1.10', '8080', '8080', 'TCP'], { timeoutMs: 20_000 });
    expect(add.code, add.output).toBe(0);
    expect(add.stdout).toContain(`external ${WAN_A}:8080 TCP is redirected to internal 192.168.1.10:8080`);
    const forward = lab.network
      .router('home-a')
      .forwards.list()
      .find((e) => e.protocol === 'tcp' && e.externalPort === 8080);
    expect(forward?.description).toBe('libminiupnpc');
    const list = await lab.exec('alice', ['upnpc', '-l'], { timeoutMs: 20_000 });
    expect(list.stdout).toMatch(/^ 0 TCP\s+8080->192\.168\.1\.10:8080\s+'libminiupnpc'/m);

    const r = await connectFromBob(WAN_A, 8080, 'hello-from-bob');
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toBe('re: hello-from-bob\n');
    // No source NAT on the way in: alice sees bob's own address.
    expect(lines).toContainEqual(expect.stringMatching(/^got hello-from-bob from 198\.51\.100\.20:\d+$/));

    const del = await lab.exec('alice', ['upnpc', '-d', '8080', 'TCP'], { timeoutMs: 20_000 });
    expect(del.code, del.output).toBe(0);
    expect(del.stdout).toMatch(/UPNP_DeletePortMapping\(\) returned : 0/);
    expect(
      lab.network
        .router('home-a')
        .forwards.list()
        .some((e) => e.externalPort === 8080),
    ).toBe(false);
    const before = events.length;
    const again = await connectFromBob(WAN_A, 8080, 'after-delete');
    expect(again.stderr).toMatch(/Connection timed out/);
    expect(events.slice(before).some((e) => e.type === 'packet-dropped' && e.router === 'home-a' && e.reason === 'no-mapping')).toBe(true);
  });

  it('natpmpc -g 192.168.1.1 from carol maps through home-b (the other 192.168.1.0/24), and bob reaches carol', async () => {
    const { child, lines } = await answerServer(lab, 'carol', 9000);
    servers.push(child);
    const r = await lab.exec('carol', ['natpmpc', '-g', '192.168.1.1', '-a', '9000', '9000', 'tcp', '600'], { timeoutMs: 20_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toContain(`Public IP address : ${WAN_B}`);
    expect(r.stdout).toContain('Mapped public port 9000 protocol TCP to local port 9000 liftime 600');
    expect(
      lab.network
        .router('home-b')
        .forwards.list()
        .some((e) => e.protocol === 'tcp' && e.externalPort === 9000),
    ).toBe(true);
    expect(
      lab.network
        .router('home-a')
        .forwards.list()
        .some((e) => e.externalPort === 9000),
    ).toBe(false);

    const c = await connectFromBob(WAN_B, 9000, 'hello-carol');
    expect(c.code, c.output).toBe(0);
    expect(c.stdout).toBe('re: hello-carol\n');
    expect(lines).toContainEqual(expect.stringMatching(/^got hello-carol from 198\.51\.100\.20:\d+$/));
    // The same port at home-a's address is not mapped.
    const a = await connectFromBob(WAN_A, 9000, 'wrong-router');
    expect(a.stderr).toMatch(/Connection timed out/);
  });

  it('a python3-libtorrent session in dave maps its listen port with PCP at home-b; bob connects to it; its shutdown deletes the mapping', {
    timeout: 60_000,
  }, async () => {
    requireTool({ cmd: PYTHON, args: ['-c', 'import libtorrent'] }, 'python3-libtorrent');
    const before = await connectFromBob(WAN_B, 6881, 'before');
    expect(before.stderr).toMatch(/Connection timed out/);
    const client = lab.spawn('dave', PYTHON, [join(REPO, 'test/interop/clients/libtorrent_natpmp_client.py'), '192.168.1.11', '6881'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    servers.push(client);
    const lines: string[] = [];
    const done = await new Promise<Record<string, number>>((resolve, reject) => {
      createInterface({ input: client.stdout! }).on('line', (l) => {
        lines.push(l);
        const m = JSON.parse(l) as { done?: Record<string, number> };
        if (m.done) resolve(m.done);
      });
      client.once('exit', (c) => reject(new Error(`the libtorrent client exited ${c}: ${lines.join('\n')}`)));
    });
    expect(done, lines.join('\n')).toEqual({ tcp: 6881, udp: 6881 });
    expect(lines.join('\n')).toMatch(/PCP/);
    const pcp = lab.network
      .router('home-b')
      .forwards.list()
      .filter((e) => e.origin === 'pcp' && e.internalClient === '192.168.1.11');
    expect(pcp.map((e) => `${e.protocol} ${e.externalPort}`).sort()).toEqual(['tcp 6881', 'udp 6881']);
    // libtorrent accepts the connection (and closes it on the junk it reads).
    const r = await connectFromBob(WAN_B, 6881, 'not-bittorrent');
    expect(r.stderr).not.toMatch(/Connection timed out/);
    expect(r.code, r.output).toBe(0);
    client.stdin!.write('\n');
    await new Promise((resolve) => client.once('close', resolve));
    expect(
      lab.network
        .router('home-b')
        .forwards.list()
        .some((e) => e.internalClient === '192.168.1.11'),
    ).toBe(false);
  });

  it('a GENA subscriber in alice gets its initial NOTIFY from home-a over a connection the router opens on its LAN', async () => {
    const evt = new URL('/evt/IPConn', lab.services!.router('home-a').descriptionUrl).href;
    const r = await lab.exec('alice', [PYTHON, join(PROGRAMS, 'gena-subscribe.py'), evt, '5555'], { timeoutMs: 20_000 });
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/^subscribed 200 uuid:/m);
    expect(r.stdout).toMatch(
      new RegExp(`^notify from 192\\.168\\.1\\.1 NOTIFY SEQ=0 ExternalIPAddress=${WAN_A.replace(/\./g, '\\.')}$`, 'm'),
    );
  });

  it('runs rootless too: nobody, in a user namespace, maps with upnpc and natpmpc through the router in its namespace', async () => {
    expect(process.geteuid?.(), 'this test makes an unprivileged user: it needs root').toBe(0);
    // The machine's /dev/net/tun may be 0600; a private mount namespace gives this run a 0666 node.
    const dir = mkdtempSync('/tmp/natsim-lab-services-');
    try {
      chmodSync(dir, 0o755);
      const file = join(dir, 'home.yaml');
      writeFileSync(
        file,
        `name: rootless services\nrouters:\n  home: { wan: ${WAN_A}, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true, natpmp: true } }\nhosts:\n  alice: { router: home, address: 192.168.1.10 }\n`,
      );
      const command = 'upnpc -a 192.168.1.10 8080 8080 TCP && natpmpc -g 192.168.1.1 -a 9000 9000 udp 60';
      const script = [
        `mkdir ${dir}/dev`,
        `mount -t tmpfs none ${dir}/dev`,
        `mknod -m 666 ${dir}/dev/tun c 10 200`,
        `mount --bind ${dir}/dev/tun /dev/net/tun`,
        `exec setpriv --reuid=65534 --regid=65534 --clear-groups -- env HOME=${dir}/dev ${process.execPath} --import tsx ${join(PROGRAMS, 'lab-run.ts')} ${file} alice '${command}'`,
      ].join(' && ');
      const out = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn('unshare', ['--mount', 'sh', '-c', script], { cwd: REPO });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        child.on('close', (code) => resolve({ code, output }));
      });
      expect(out.code, out.output).toBe(0);
      expect(out.output).toMatch(/^mode rootless$/m);
      expect(out.output).toContain(`external ${WAN_A}:8080 TCP is redirected to internal 192.168.1.10:8080`);
      expect(out.output).toContain('Mapped public port 9000 protocol UDP to local port 9000 liftime 60');
      expect(out.output).toMatch(/^exit 0$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('stop() ends every process of the lab, the two router socket helpers included', async () => {
    const pidNs = readlinkSync(`/proc/${lab.pid('alice')}/ns/pid`);
    const inLab = (): number[] =>
      readdirSync('/proc')
        .filter((n) => /^\d+$/.test(n))
        .filter((n) => {
          try {
            return readlinkSync(`/proc/${n}/ns/pid`) === pidNs;
          } catch {
            return false;
          }
        })
        .map(Number);
    const helpers = inLab().filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(ROUTER_SOCKETS_SOURCE));
    expect(helpers).toHaveLength(2);
    await lab.stop();
    expect(inLab()).toEqual([]);
  });
}
