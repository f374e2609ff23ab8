/**
 * Hop.admission: what let an inbound packet into a router's LAN — the NAT mapping, a forward (and
 * whose), a 1:1 entry, an excluded destination, plain routing — and, behind a firewall, the rule,
 * the connection state or the default policy that allowed it. Explanations of successes read it.
 */
import { describe, expect, it } from 'vitest';
import type { FirewallConfig } from '../../src/nat/index.js';
import { A, ep, home, hopAt, natPolicy, net, PEER, SERVER, udp, WAN } from './helpers.js';

const WEB = '192.0.2.10';

function firewalled(config: FirewallConfig) {
  const t = net();
  const router = t.network.addRouter({ id: 'fw', wan: WAN, lan: '192.0.2.0/24', nat: null, firewall: config });
  t.network.addHost({ id: 'web', address: WEB, on: 'fw' });
  t.network.addHost({ id: 'server', address: SERVER });
  return { ...t, router };
}

describe('Hop.admission on inbound hops', () => {
  it('a reply through a NAT mapping: by mapping, no firewall verdict', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const back = network.send('server', udp(ep(SERVER, 3478), ep(WAN, 5000)));
    expect(back.to).toBe('a');
    expect(hopAt(back, 'nat').admission).toEqual({ by: 'mapping' });
  });

  it('a port forward names its origin and description; outbound hops carry none', () => {
    const { network, router } = home(natPolicy('port-restricted-cone'));
    expect(
      router.forwards.add(
        { protocol: 'udp', externalPort: 7000, internalClient: A, internalPort: 7000, origin: 'upnp', description: 'game' },
        0,
      ).ok,
    ).toBe(true);
    const d = network.send('peer', udp(ep(PEER, 9), ep(WAN, 7000)));
    expect(d.to).toBe('a');
    expect(hopAt(d, 'nat').admission).toEqual({ by: 'forward', origin: 'upnp', description: 'game', internal: A });
    const out = network.send('a', udp(ep(A, 5001), ep(SERVER, 3478)));
    expect(hopAt(out, 'nat').admission).toBeUndefined();
  });

  it('a firewall rule names the rule, in the admission and in the hop sentence', () => {
    const { network } = firewalled({
      defaultInbound: 'deny',
      defaultOutbound: 'allow',
      rules: [{ action: 'allow', direction: 'in', protocol: 'udp', dstPorts: { from: 5004, to: 5010 }, name: 'RTP in' }],
    });
    const d = network.send('server', udp(ep(SERVER, 9), ep(WEB, 5005)));
    expect(d.to).toBe('web');
    const h = hopAt(d, 'fw');
    expect(h.admission).toEqual({ by: 'routed', firewall: 'rule', rule: 'RTP in' });
    expect(h.message).toBe('forwarded by fw: UDP 198.51.100.5:9 → 192.0.2.10:5005 (admitted by the firewall rule "RTP in")');
  });

  it('a reply the firewall tracked: state; an open default: default', () => {
    const strict = firewalled({ defaultInbound: 'deny', defaultOutbound: 'allow', rules: [] });
    strict.network.send('web', udp(ep(WEB, 5000), ep(SERVER, 3478)));
    const reply = strict.network.send('server', udp(ep(SERVER, 3478), ep(WEB, 5000)));
    expect(hopAt(reply, 'fw').admission).toEqual({ by: 'routed', firewall: 'state' });
    expect(hopAt(reply, 'fw').message).toMatch(/admitted by the firewall as a reply to an outbound flow\)$/);
    const open = firewalled({ defaultInbound: 'allow', defaultOutbound: 'allow', rules: [] });
    const d = open.network.send('server', udp(ep(SERVER, 1), ep(WEB, 80)));
    expect(hopAt(d, 'fw').admission).toEqual({ by: 'routed', firewall: 'default' });
  });

  it('a plain router without a firewall: routed; untraced sends carry no admission', () => {
    const t = net();
    t.network.addRouter({ id: 'r', wan: WAN, lan: '192.0.2.0/24', nat: null });
    t.network.addHost({ id: 'web', address: WEB, on: 'r' });
    t.network.addHost({ id: 'server', address: SERVER });
    expect(hopAt(t.network.send('server', udp(ep(SERVER, 1), ep(WEB, 80))), 'r').admission).toEqual({ by: 'routed' });
    const quiet = home(natPolicy('full-cone'));
    quiet.network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const back = quiet.network.send('server', udp(ep(SERVER, 3478), ep(WAN, 5000)), { trace: false });
    expect(back.to).toBe('a');
    expect(back.hops.every((h) => h.admission === undefined)).toBe(true);
  });
});
