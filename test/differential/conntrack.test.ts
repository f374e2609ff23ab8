/**
 * Differential test of the model's timers against Linux netfilter (nftables masquerade and
 * conntrack), the NAT most home routers run. conntrack-lab.sh builds lan/router/wan namespaces
 * (unique names, always deleted) with the router's conntrack timers shortened (UDP 2 s, TCP
 * established 4 s, close 1 s); conntrack-driver.py plays one timeline through it and reports when
 * each event really happened and what arrived. The model, with the same timers, replays the
 * same events at the same times, and every outcome must match:
 *
 * - RFC 4787 filtering per remote: the server, contacted once at 0 s, is admitted at 1 s and no
 *   longer at 4.5 s, although traffic to the peer keeps the mapping alive (conntrack keeps one
 *   entry per remote; the model a permission per remote).
 * - RFC 5382 REQ-5: two TCP connections from the same local port; an RST on the peer connection
 *   at 0.6 s leaves the server connection established (delivered at 2 s), which then expires
 *   on its own established timer (gone at 7 s, 5 s after its last packet).
 *
 * Needs root, iproute2, nftables and python3; without them it fails, naming what is missing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ep, FakeClock, formatEndpoint, Network, natPolicy, type Packet, SeededRng, TCP } from '../../src/nat/index.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOST = '10.78.0.2';
const SERVER = '100.65.0.2';
const PEER = '100.65.0.3';
const WAN = '100.65.0.1';

interface LabEvent {
  readonly t: number;
  readonly event: string;
  readonly delivered?: boolean;
}
interface LabRun {
  readonly udpExternal: string | null;
  readonly tcpExternal: string;
  readonly events: readonly LabEvent[];
}

function runLinux(): LabRun {
  const r = spawnSync('bash', ['test/differential/conntrack-lab.sh'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`conntrack-lab.sh failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as LabRun;
}

/** The model with the lab router's timers, the same events at the same times. */
function replay(run: LabRun): { udpExternal: string | undefined; tcpExternal: string | undefined; events: LabEvent[] } {
  const clock = new FakeClock();
  const net = new Network({ clock, rng: new SeededRng(1) });
  // conntrack refreshes an entry on packets both ways, hence refreshOnInbound.
  net.addRouter({
    id: 'linux',
    wan: WAN,
    lan: '10.78.0.0/24',
    nat: natPolicy('port-restricted-cone', { timers: { udp: 2, tcpEstablished: 4, tcpTransitory: 1 }, refreshOnInbound: true }),
  });
  net.addHost({ id: 'host', address: HOST, on: 'linux' });
  net.addHost({ id: 'server', address: SERVER });
  net.addHost({ id: 'peer', address: PEER });
  let udpExternal: string | undefined;
  let tcpExternal: string | undefined;
  const ext = ep(WAN, 5000);
  const send = (from: string, p: Packet) => net.send(from, p);
  const tcp = (src: ReturnType<typeof ep>, dst: ReturnType<typeof ep>, flags: number): Packet => ({ proto: 'tcp', src, dst, flags });
  const open = (remote: ReturnType<typeof ep>, who: string) => {
    const syn = send('host', tcp(ep(HOST, 5000), remote, TCP.SYN));
    tcpExternal ??= formatEndpoint(syn.packet.src);
    send(who, tcp(remote, syn.packet.src, TCP.SYN | TCP.ACK));
    send('host', tcp(ep(HOST, 5000), remote, TCP.ACK));
  };
  const out: LabEvent[] = [];
  for (const e of run.events) {
    clock.set(Math.round(e.t * 1000));
    let delivered: boolean | undefined;
    switch (e.event) {
      case 'tcp-open-server':
        open(ep(SERVER, 443), 'server');
        break;
      case 'tcp-open-peer':
        open(ep(PEER, 6000), 'peer');
        break;
      case 'udp-to-server':
        udpExternal = formatEndpoint(send('host', { proto: 'udp', src: ep(HOST, 5000), dst: ep(SERVER, 3478) }).packet.src);
        break;
      case 'udp-to-peer':
        send('host', { proto: 'udp', src: ep(HOST, 5000), dst: ep(PEER, 7000) });
        break;
      case 'tcp-rst-peer':
        send('host', tcp(ep(HOST, 5000), ep(PEER, 6000), TCP.RST));
        break;
      case 'udp-probe-server-1':
      case 'udp-probe-server-2':
        delivered = send('server', { proto: 'udp', src: ep(SERVER, 3478), dst: ext }).to === 'host';
        break;
      case 'udp-probe-peer':
        delivered = send('peer', { proto: 'udp', src: ep(PEER, 7000), dst: ext }).to === 'host';
        break;
      case 'tcp-data-server-1':
      case 'tcp-data-server-2':
        delivered = send('server', tcp(ep(SERVER, 443), ext, TCP.ACK)).to === 'host';
        if (delivered) send('host', tcp(ep(HOST, 5000), ep(SERVER, 443), TCP.ACK)); // the host's kernel acknowledges
        break;
      default:
        throw new Error(`unknown lab event ${e.event}`);
    }
    out.push(delivered === undefined ? { t: e.t, event: e.event } : { t: e.t, event: e.event, delivered });
  }
  return { udpExternal, tcpExternal, events: out };
}

const row = (e: LabEvent) =>
  `${e.t.toFixed(2)} s ${e.event}${e.delivered === undefined ? '' : e.delivered ? ': delivered' : ': not delivered'}`;

describe('the model against Linux netfilter (conntrack) in namespaces', () => {
  it('RFC 4787 per-remote filtering and RFC 5382 REQ-5 per-connection TCP state: the same outcomes, event by event', {
    timeout: 90_000,
  }, () => {
    const linux = runLinux();
    const model = replay(linux);
    const linuxRows = linux.events.filter((e) => e.delivered !== undefined).map(row);
    // What Linux did (if this fails, the lab's timeline slipped or the kernel behaves otherwise):
    expect(linuxRows.map((r) => r.replace(/^[\d.]+ s /, ''))).toEqual([
      'udp-probe-server-1: delivered',
      'tcp-data-server-1: delivered',
      'udp-probe-server-2: not delivered',
      'udp-probe-peer: delivered',
      'tcp-data-server-2: not delivered',
    ]);
    expect(model.events.filter((e) => e.delivered !== undefined).map(row)).toEqual(linuxRows);
    expect(model.udpExternal).toBe(linux.udpExternal);
    expect(model.tcpExternal).toBe(linux.tcpExternal);
  });
});
