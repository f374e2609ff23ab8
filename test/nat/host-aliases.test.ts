/** A host with several addresses (HostConfig.aliases): reached at each, sends from each, and refused when one is not its network's. */
import { describe, expect, it } from 'vitest';
import { formatIPv4, Network, natPolicy, parseIPv4 } from '../../src/nat/index.js';
import { ep, udp } from './helpers.js';

function network() {
  const n = new Network();
  n.addRouter({ id: 'home', wan: '203.0.113.1', lan: '192.168.1.0/24', nat: natPolicy('port-restricted-cone') });
  n.addHost({ id: 'a', address: '192.168.1.10', on: 'home' });
  n.addHost({ id: 'stun', address: '198.51.100.6', aliases: ['198.51.100.7'] });
  return n;
}

describe('hosts with aliases', () => {
  it('receives at its alias, answers from it through the NAT, and is not dropped as spoofed', () => {
    const n = network();
    const out = n.send('a', udp(ep(parseIPv4('192.168.1.10'), 5000), ep(parseIPv4('198.51.100.7'), 3478)));
    expect(out.to).toBe('stun');
    const back = n.send('stun', udp(ep(parseIPv4('198.51.100.7'), 3478), out.packet.src));
    expect(back.delivered, back.drop?.message).toBe(true);
    expect(back.to).toBe('a');
    // The port-restricted NAT admits the answer from the alias it was sent to, not one from the primary.
    const other = n.send('stun', udp(ep(parseIPv4('198.51.100.6'), 3478), out.packet.src));
    expect(other.drop?.code).toBe('filtered');
    expect(n.host('stun').aliases.map(formatIPv4)).toEqual(['198.51.100.7']);
  });

  it('a source that is none of its addresses is still dropped as spoofed', () => {
    const n = network();
    const r = n.send('stun', udp(ep(parseIPv4('198.51.100.8'), 3478), ep(parseIPv4('203.0.113.1'), 1)));
    expect(r.drop?.code).toBe('spoofed-source');
  });

  it.each([
    [{ id: 'x', address: '192.168.1.20', aliases: ['10.0.0.1'], on: 'home' }, "host x: 10.0.0.1 is not in home's LAN 192.168.1.0/24"],
    [
      { id: 'x', address: '198.51.100.20', aliases: ['198.51.100.20'] },
      'host x: an address is listed twice (198.51.100.20, 198.51.100.20)',
    ],
    [{ id: 'x', address: '198.51.100.20', aliases: ['198.51.100.7'] }, /198\.51\.100\.7.*stun/],
  ])('refuses %j', (config, message) => {
    expect(() => network().addHost(config)).toThrow(message);
  });
});
