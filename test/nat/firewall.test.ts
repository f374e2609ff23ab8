/** The stateful firewall, with and without NAT. */
import { describe, expect, it } from 'vitest';
import { type FirewallConfig, type NatPolicy, parsePrefix } from '../../src/nat/index.js';
import { A, dstOf, ep, home, natPolicy, net, PEER, SERVER, sec, srcOf, TCP, tcp, udp, WAN } from './helpers.js';

const WEB = '192.0.2.10';
const BAD = '1.2.3.4';

/** A routed (no NAT) gateway `fw` with a public LAN 192.0.2.0/24 and host `web`. */
function plain(firewall: FirewallConfig, nat: NatPolicy | null = null) {
  const t = net();
  const router = t.network.addRouter({ id: 'fw', wan: WAN, lan: '192.0.2.0/24', nat, firewall });
  t.network.addHost({ id: 'web', address: WEB, on: 'fw' });
  t.network.addHost({ id: 'server', address: SERVER });
  t.network.addHost({ id: 'peer', address: PEER });
  t.network.addHost({ id: 'bad', address: BAD });
  return { ...t, router };
}

const denyIn: FirewallConfig = { defaultInbound: 'deny', defaultOutbound: 'allow', rules: [] };

describe('firewall on a plain router', () => {
  for (const [label, nat] of [
    ['nat: null', null],
    ["natPolicy('open')", natPolicy('open')],
  ] as const) {
    it(`${label}: unsolicited inbound is dropped by the default policy`, () => {
      const { network } = plain(denyIn, nat);
      const d = network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000)));
      expect(d.delivered).toBe(false);
      expect(d.drop?.code).toBe('firewall-default');
      expect(d.drop?.node).toBe('fw');
      expect(d.drop?.message).toBe(
        'dropped at fw: the firewall of fw denied inbound UDP to 192.0.2.10:5000: no rule allows it and the default inbound policy is deny',
      );
    });
  }

  it('routes outbound untranslated and admits the return traffic of that flow only', () => {
    const { network } = plain(denyIn);
    const out = network.send('web', udp(ep(WEB, 5000), ep(SERVER, 3478)));
    expect(out.delivered).toBe(true);
    expect(srcOf(out)).toBe('192.0.2.10:5000');
    expect(out.hops[0]!.code).toBe('routed');
    expect(out.hops[0]!.message).toBe('forwarded by fw: UDP 192.0.2.10:5000 → 198.51.100.5:3478');
    const back = network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000)));
    expect(back.to).toBe('web');
    expect(back.hops.map((h) => h.code)).toEqual(['routed', 'delivered']);
    // Another remote, or another port of the same remote, is not part of the flow.
    expect(network.send('peer', udp(ep(PEER, 3478), ep(WEB, 5000))).drop?.code).toBe('firewall-default');
    expect(network.send('server', udp(ep(SERVER, 3479), ep(WEB, 5000))).drop?.code).toBe('firewall-default');
  });

  it('tracked flows time out (UDP 300 s)', () => {
    const { network, clock } = plain(denyIn);
    network.send('web', udp(ep(WEB, 5000), ep(SERVER, 3478)));
    clock.advance(sec(299));
    expect(network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000))).to).toBe('web'); // refreshes
    clock.advance(sec(300));
    expect(network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000))).drop?.code).toBe('firewall-default');
  });

  it('stateful: false does not admit return traffic', () => {
    const { network } = plain({ ...denyIn, stateful: false });
    network.send('web', udp(ep(WEB, 5000), ep(SERVER, 3478)));
    expect(network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000))).drop?.code).toBe('firewall-default');
  });

  it('an allow rule for TCP 1503 admits exactly that port', () => {
    const { network } = plain({
      ...denyIn,
      rules: [{ action: 'allow', direction: 'in', protocol: 'tcp', dst: parsePrefix('192.0.2.0/24'), dstPorts: { from: 1503, to: 1503 } }],
    });
    const ok = network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 1503), TCP.SYN));
    expect(ok.to).toBe('web');
    expect(network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 1504), TCP.SYN)).drop?.code).toBe('firewall-default');
    expect(network.send('peer', udp(ep(PEER, 40000), ep(WEB, 1503))).drop?.code).toBe('firewall-default');
  });

  it('first match wins: a deny rule before an allow rule drops with firewall-rule naming the rule', () => {
    const { network } = plain({
      ...denyIn,
      rules: [
        {
          action: 'deny',
          direction: 'in',
          protocol: 'tcp',
          src: parsePrefix('1.2.3.0/24'),
          dstPorts: { from: 1500, to: 1510 },
          name: 'block 1.2.3.0/24',
        },
        { action: 'allow', direction: 'in', protocol: 'tcp', dstPorts: { from: 1503, to: 1503 } },
      ],
    });
    const d = network.send('bad', tcp(ep(BAD, 40000), ep(WEB, 1503), TCP.SYN));
    expect(d.drop?.code).toBe('firewall-rule');
    expect(d.drop?.message).toBe('dropped at fw: the firewall of fw denied inbound TCP to 192.0.2.10:1503 (rule: block 1.2.3.0/24)');
    expect(network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 1503), TCP.SYN)).to).toBe('web');
  });

  it('an unnamed rule is described in the message', () => {
    const { network } = plain({
      ...denyIn,
      rules: [{ action: 'deny', direction: 'in', protocol: 'tcp', src: parsePrefix('1.2.3.0/24'), dstPorts: { from: 1500, to: 1510 } }],
    });
    const d = network.send('bad', tcp(ep(BAD, 40000), ep(WEB, 1503), TCP.SYN));
    expect(d.drop?.message).toBe(
      'dropped at fw: the firewall of fw denied inbound TCP to 192.0.2.10:1503 (rule: deny in tcp from 1.2.3.0/24 dport 1500-1510)',
    );
  });

  it('outbound deny rule and outbound default deny', () => {
    const { network } = plain({
      defaultInbound: 'deny',
      defaultOutbound: 'allow',
      rules: [{ action: 'deny', direction: 'out', protocol: 'udp', dstPorts: { from: 53, to: 53 }, name: 'no DNS' }],
    });
    const d = network.send('web', udp(ep(WEB, 5000), ep(SERVER, 53)));
    expect(d.drop?.code).toBe('firewall-rule');
    expect(d.drop?.message).toBe('dropped at fw: the firewall of fw denied outbound UDP to 198.51.100.5:53 (rule: no DNS)');
    expect(network.send('web', udp(ep(WEB, 5000), ep(SERVER, 54))).delivered).toBe(true);

    const closed = plain({ defaultInbound: 'deny', defaultOutbound: 'deny', rules: [] });
    const e = closed.network.send('web', udp(ep(WEB, 5000), ep(SERVER, 54)));
    expect(e.drop?.code).toBe('firewall-default');
    expect(e.drop?.message).toBe(
      'dropped at fw: the firewall of fw denied outbound UDP to 198.51.100.5:54: no rule allows it and the default outbound policy is deny',
    );
  });

  it('a pinhole forward entry opens the firewall on a no-NAT router', () => {
    const { network, router, clock } = plain(denyIn);
    const r = router.forwards.add(
      { protocol: 'tcp', externalPort: 8080, internalClient: WEB, internalPort: 8080, origin: 'pinhole', leaseSeconds: 60 },
      clock.now(),
    );
    expect(r.ok).toBe(true);
    expect(network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 8080), TCP.SYN)).to).toBe('web');
    expect(network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 8081), TCP.SYN)).drop?.code).toBe('firewall-default');
    clock.advance(sec(60));
    expect(network.send('peer', tcp(ep(PEER, 40000), ep(WEB, 8080), TCP.SYN)).drop?.code).toBe('firewall-default');
  });

  it('a pinhole restricted to a remote host admits only that host', () => {
    const { network, router } = plain(denyIn);
    router.forwards.add(
      { protocol: 'udp', externalPort: 9000, internalClient: WEB, internalPort: 9000, origin: 'pinhole', remoteHost: PEER },
      0,
    );
    expect(network.send('peer', udp(ep(PEER, 1), ep(WEB, 9000))).to).toBe('web');
    expect(network.send('server', udp(ep(SERVER, 1), ep(WEB, 9000))).drop?.code).toBe('firewall-default');
  });
});

describe('NAT and firewall together', () => {
  const fw: FirewallConfig = { defaultInbound: 'deny', defaultOutbound: 'allow', rules: [] };

  it('return traffic passes both the mapping and the firewall', () => {
    const { network } = home(natPolicy('full-cone'), { firewall: fw });
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
    const back = network.send('server', udp(ep(SERVER, 3478), ep(WAN, 5000)));
    expect(back.to).toBe('a');
    expect(dstOf(back)).toBe('192.168.1.10:5000');
  });

  it('a full-cone mapping admits a stranger at the NAT, but the firewall (which sees the translated packet) drops it', () => {
    const { network } = home(natPolicy('full-cone'), { firewall: fw });
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const d = network.send('peer', udp(ep(PEER, 1), ep(WAN, 5000)));
    expect(d.drop?.code).toBe('firewall-default');
    expect(d.drop?.message).toBe(
      'dropped at nat: the firewall of nat denied inbound UDP to 192.168.1.10:5000: no rule allows it and the default inbound policy is deny',
    );
  });

  it('an allow rule on the internal address admits what the mapping admits', () => {
    const { network } = home(natPolicy('full-cone'), {
      firewall: { ...fw, rules: [{ action: 'allow', direction: 'in', dst: parsePrefix(`${A}/32`), dstPorts: { from: 5000, to: 5000 } }] },
    });
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(network.send('peer', udp(ep(PEER, 1), ep(WAN, 5000))).to).toBe('a');
  });

  it('the NAT drop comes first when there is no mapping', () => {
    const { network } = home(natPolicy('port-restricted-cone'), { firewall: fw });
    expect(network.send('peer', udp(ep(PEER, 1), ep(WAN, 5000))).drop?.code).toBe('no-mapping');
  });

  it('a static forward is a hole in the firewall', () => {
    const { network } = home(natPolicy('port-restricted-cone'), {
      firewall: fw,
      forwards: [{ protocol: 'tcp', externalPort: 8443, internalClient: A, internalPort: 443 }],
    });
    const d = network.send('peer', tcp(ep(PEER, 40000), ep(WAN, 8443), TCP.SYN));
    expect(d.to).toBe('a');
    expect(dstOf(d)).toBe('192.168.1.10:443');
  });

  it('an outbound deny stops the packet before a mapping is made', () => {
    const { network, router } = home(natPolicy('full-cone'), {
      firewall: { ...fw, rules: [{ action: 'deny', direction: 'out', src: parsePrefix(A) }] },
    });
    expect(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))).drop?.code).toBe('firewall-rule');
    expect(router.listMappings(0)).toEqual([]);
  });
});
