/**
 * startLab(): real programs in the lab's host namespaces, every packet through the model. The
 * file re-runs itself inside a sealed network namespace (sealed-namespace.ts), and the lab makes
 * its own private namespaces inside that: nothing here can reach a real interface.
 *
 * Scenario: alice (192.168.1.10) behind a symmetric home NAT (203.0.113.10, random ports), bob
 * on the Internet (198.51.100.20).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabHandle, startLab } from '../../src/lab/start-lab.js';
import type { ModelEvent } from '../../src/nat/events.js';
import { assertSealed, IN_NETNS, REPO, reexecInNamespace, requireTool } from '../interop/netns.js';
import { interfaces } from '../support/sealed-namespace.js';

reexecInNamespace('test/lab/start-lab.ns.test.ts', 'startLab: ping, UDP and ICMP errors through a home NAT');

const PROGRAMS = join(REPO, 'test/lab/programs');
const PYTHON = '/usr/bin/python3';
const SCENARIO = `
name: lab test — one symmetric home NAT
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: symmetric }
hosts:
  alice: { router: home, address: 192.168.1.10 }
  bob: { address: 198.51.100.20 }
`;

/** Processes (by PID) whose network or PID namespace is one of `links` (as /proc/PID/ns/* reads). */
function processesIn(links: ReadonlySet<string>): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    for (const kind of ['net', 'pid']) {
      try {
        if (links.has(readlinkSync(`/proc/${name}/ns/${kind}`))) {
          out.push(Number(name));
          break;
        }
      } catch {
        /* gone, or not ours to read */
      }
    }
  }
  return out;
}

/** The namespaces (network and PID) of the given host-holder PIDs. */
function namespacesOf(pids: readonly number[]): Set<string> {
  return new Set(pids.flatMap((p) => [readlinkSync(`/proc/${p}/ns/net`), readlinkSync(`/proc/${p}/ns/pid`)]));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (IN_NETNS) {
  let lab: LabHandle;
  let dir: string;
  const events: ModelEvent[] = [];
  const ownInterfaces = (): string[] => interfaces(readFileSync('/proc/self/net/dev', 'utf8')).sort();

  beforeAll(async () => {
    assertSealed(['lo']);
    for (const t of ['unshare', 'nsenter', 'setpriv']) requireTool(t, 'util-linux');
    requireTool('socat', 'socat');
    requireTool('ping', 'iputils-ping');
    dir = mkdtempSync('/tmp/natsim-lab-');
    chmodSync(dir, 0o755); // the rootless test's unprivileged user reads the scenario
    writeFileSync(join(dir, 'home.yaml'), SCENARIO);
    lab = await startLab({ scenario: join(dir, 'home.yaml'), trace: true });
    lab.events.onAny((e) => events.push(e));
  });

  afterAll(async () => {
    await lab?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives each host only lo and eth0 with its address, and a default route out of eth0; the test namespace gets nothing', async () => {
    expect(ownInterfaces()).toEqual(['lo']);
    const dev = await lab.exec('alice', 'cat /proc/net/dev');
    expect(interfaces(dev.stdout).sort()).toEqual(['eth0', 'lo']);
    const addr = await lab.exec('alice', 'ip -4 -o addr');
    expect(addr.stdout).toMatch(/eth0\s+inet 192\.168\.1\.10\/24/);
    const route = await lab.exec('alice', 'ip route show table all');
    expect(route.code, route.output).toBe(0);
    expect(route.stdout).toMatch(/^default via 192\.168\.1\.1 dev eth0/m);
    const routes = route.stdout.split('\n').filter(Boolean);
    // Every route of every table leads out of eth0, or is lo's own.
    expect(
      routes.every((l) => l.includes('dev eth0') || l.includes('dev lo')),
      routes.join('\n'),
    ).toBe(true);
    const bob = await lab.exec('bob', 'ip -4 -o addr; ip route');
    expect(bob.stdout).toMatch(/eth0\s+inet 198\.51\.100\.20\/32/);
    expect(bob.stdout).toMatch(/^default dev eth0/m);
  });

  it('ping -c 3 from alice reaches bob through the NAT (3 received, TTL one lower), as an ICMP session of the home router', async () => {
    const r = await lab.exec('alice', ['ping', '-c', '3', '-i', '0.2', '-W', '2', '198.51.100.20']);
    expect(r.code, r.output).toBe(0);
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    expect(r.stdout).toMatch(/from 198\.51\.100\.20: icmp_seq=1 ttl=63/);
    expect(lab.listMappings('home').some((m) => m.protocol === 'icmp' && m.remote.startsWith('198.51.100.20:'))).toBe(true);
    const gw = await lab.exec('alice', ['ping', '-c', '1', '-W', '2', '192.168.1.1']);
    expect(gw.stdout, gw.output).toMatch(/1 received/);
  });

  it('a UDP round trip: bob sees the NAT’s address and the port the mapping holds, alice gets the answer', async () => {
    const server = lab.spawn('bob', PYTHON, [join(PROGRAMS, 'udp-echo.py'), '5000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: server.stdout! });
      await new Promise<void>((resolve, reject) => {
        lines.once('line', (l) => (l === 'listening' ? resolve() : reject(new Error(l))));
        server.once('exit', (c) => reject(new Error(`udp-echo.py exited ${c}`)));
      });
      const r = await lab.exec('alice', [PYTHON, join(PROGRAMS, 'udp-send.py'), '198.51.100.20', '5000', '40000']);
      expect(r.code, r.output).toBe(0);
      const m = r.stdout.match(/^reply from (\d+\.\d+\.\d+\.\d+):(\d+)$/m);
      expect(m, r.output).not.toBeNull();
      expect(m![1]).toBe('203.0.113.10');
      const mapping = lab.listMappings('home').find((x) => x.protocol === 'udp' && x.internal === '192.168.1.10:40000');
      expect(mapping?.external).toBe(`203.0.113.10:${m![2]}`);
      expect(events.some((e) => e.type === 'session-created' && e.session.internal === '192.168.1.10:40000')).toBe(true);
    } finally {
      server.kill();
    }
    await new Promise((r) => (server.exitCode !== null || server.signalCode !== null ? r(null) : server.once('close', r)));
    expect(server.signalCode).toBe('SIGTERM');
  });

  it('a UDP send to a closed port on the Internet comes back as "connection refused" behind the NAT', async () => {
    const r = await lab.exec('alice', [PYTHON, join(PROGRAMS, 'udp-send.py'), '198.51.100.20', '5999']);
    expect(r.stdout, r.output).toMatch(/^ConnectionRefusedError \[Errno 111\] Connection refused$/m);
    expect(r.code).toBe(1);
  });

  it('a datagram to bob at a port no mapping holds is dropped at the router with the model’s reason', async () => {
    const drops = events.filter((e) => e.type === 'packet-dropped').length;
    const r = await lab.exec('bob', [PYTHON, join(PROGRAMS, 'udp-send.py'), '203.0.113.10', '41000', '0', '1']);
    expect(r.stdout, r.output).toMatch(/^TimeoutError timed out$/m);
    const dropped = events.filter((e) => e.type === 'packet-dropped').slice(drops);
    expect(dropped.map((e) => (e.type === 'packet-dropped' ? [e.router, e.reason] : []))).toContainEqual(['home', 'no-mapping']);
  });

  it('stop() leaves no process in the lab’s namespaces and is safe twice; the lab is then gone', async () => {
    const links = namespacesOf(lab.hosts.map((h) => lab.pid(h)));
    expect(processesIn(links).length).toBeGreaterThan(0);
    await lab.stop();
    await lab.stop();
    expect(processesIn(links)).toEqual([]);
    expect(ownInterfaces()).toEqual(['lo']);
  });

  describe('without root', () => {
    it('runs in a user namespace: an unprivileged user (nobody) pings through the NAT', async () => {
      expect(process.geteuid?.(), 'this test makes an unprivileged user: it needs root').toBe(0);
      // The machine's /dev/net/tun may be 0600; a private mount namespace gives this run a 0666 node.
      const dev = mkdtempSync('/tmp/natsim-lab-dev-');
      try {
        const script = [
          `mount -t tmpfs none ${dev}`,
          `mknod -m 666 ${dev}/tun c 10 200`,
          `mount --bind ${dev}/tun /dev/net/tun`,
          `exec setpriv --reuid=65534 --regid=65534 --clear-groups -- env HOME=${dev} ${process.execPath} --import tsx ${join(PROGRAMS, 'lab-ping.ts')} ${join(dir, 'home.yaml')} alice 198.51.100.20`,
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
        expect(out.output).toMatch(/2 packets transmitted, 2 received/);
      } finally {
        rmSync(dev, { recursive: true, force: true });
      }
    });
  });

  describe('when natsim is killed with SIGKILL', () => {
    it('the kernel takes the whole lab down with it: no process, so no namespace, is left', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(PROGRAMS, 'lab-child.ts'), join(dir, 'home.yaml')], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (c) => reject(new Error(`lab-child exited ${c}`)));
      });
      const { pids } = JSON.parse(line) as { pids: number[] };
      const links = namespacesOf(pids);
      await sleep(200); // the sleep spawned in bob exists by now
      expect(processesIn(links).length).toBeGreaterThanOrEqual(pids.length * 2 + 2); // holders, bridges, helper, sleep
      child.kill('SIGKILL');
      let left = processesIn(links);
      for (let i = 0; i < 100 && left.length > 0; i++) {
        await sleep(20);
        left = processesIn(links);
      }
      expect(left).toEqual([]);
    });
  });
}
