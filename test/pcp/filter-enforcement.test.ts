/**
 * FILTER enforcement (RFC 6887 §13.3): a MAP with FILTER options admits inbound packets only from
 * the filtered remote prefixes and ports. The rule is the model's (the forward table and the
 * router's inbound path), so packets sent through the network obey it, whatever made the mapping.
 */
import { describe, expect, it } from 'vitest';
import { PCP_RESULT as R } from '../../src/constants.js';
import { ep } from '../../src/nat/address.js';
import { filterOption } from '../../src/pcp/request.js';
import { HOST, pcpFixture, WAN } from './helpers.js';

const udp = (src: ReturnType<typeof ep>, dst: ReturnType<typeof ep>) => ({ proto: 'udp' as const, src, dst });

function withPeers(filters: Uint8Array[]) {
  const f = pcpFixture();
  f.network.addHost({ id: 'lan', address: HOST, on: 'r1' });
  f.network.addHost({ id: 'inside-prefix', address: '203.0.113.77' });
  f.network.addHost({ id: 'exact', address: '198.51.100.9' });
  f.network.addHost({ id: 'stranger', address: '192.0.2.50' });
  const r = f.map({ suggestedPort: 6000, options: filters });
  expect(r.result).toBe(R.SUCCESS);
  const from = (host: string, address: string, port: number) => f.network.send(host, udp(ep(address, port), ep(WAN, r.externalPort!)));
  return { ...f, from, externalPort: r.externalPort! };
}

describe('PCP FILTER on the data plane', () => {
  it('admits a peer inside a filtered prefix on the filtered port, and drops the others with pcp-filter', () => {
    const f = withPeers([filterOption('203.0.113.0', 24, 443), filterOption('198.51.100.9', 32)]);
    const ok = f.from('inside-prefix', '203.0.113.77', 443);
    expect(ok.delivered).toBe(true);
    expect(ok.to).toBe('lan');
    expect(ok.hops[0]!.code).toBe('port-forward');
    // The /32 filter has port 0: any source port of that peer.
    expect(f.from('exact', '198.51.100.9', 1).to).toBe('lan');
    expect(f.from('exact', '198.51.100.9', 65000).to).toBe('lan');

    const wrongPort = f.from('inside-prefix', '203.0.113.77', 444);
    expect(wrongPort.delivered).toBe(false);
    expect(wrongPort.drop?.code).toBe('pcp-filter');
    expect(wrongPort.drop?.message).toBe(
      `dropped at r1: r1's UDP ${f.externalPort} mapping admits only 203.0.113.0/24 port 443, 198.51.100.9/32 (PCP FILTER), not 203.0.113.77:444`,
    );
    const stranger = f.from('stranger', '192.0.2.50', 443);
    expect(stranger.drop?.code).toBe('pcp-filter');
  });

  it('a renewal with no FILTER lifts the filters; one with new filters replaces them', () => {
    const f = withPeers([filterOption('198.51.100.9', 32)]);
    expect(f.from('stranger', '192.0.2.50', 7).drop?.code).toBe('pcp-filter');
    expect(f.map({ suggestedPort: 6000, options: [filterOption('192.0.2.0', 24, 7)] }).result).toBe(R.SUCCESS);
    expect(f.from('stranger', '192.0.2.50', 7).to).toBe('lan');
    expect(f.from('exact', '198.51.100.9', 7).drop?.code).toBe('pcp-filter');
    expect(f.map({ suggestedPort: 6000 }).result).toBe(R.SUCCESS);
    expect(f.router.forwards.list()[0]!.filters).toBeUndefined();
    expect(f.from('exact', '198.51.100.9', 7).to).toBe('lan');
  });

  it('prefix length 0 admits everyone', () => {
    const f = withPeers([filterOption('0.0.0.0', 0)]);
    expect(f.from('stranger', '192.0.2.50', 9).to).toBe('lan');
  });

  it('publishes the drop on the model event stream with its reason', () => {
    const f = withPeers([filterOption('198.51.100.9', 32, 53)]);
    const reasons: string[] = [];
    f.network.events.on('packet-dropped', (e) => reasons.push(`${e.reason} ${e.from}`));
    f.from('exact', '198.51.100.9', 54);
    f.from('exact', '198.51.100.9', 53);
    expect(reasons).toEqual(['pcp-filter exact']);
  });

  it('after the mapping is deleted the port is simply unmapped (no-mapping)', () => {
    const f = withPeers([filterOption('198.51.100.9', 32)]);
    expect(f.map({ suggestedPort: 6000, lifetime: 0 }).result).toBe(R.SUCCESS);
    expect(f.from('exact', '198.51.100.9', 1).drop?.code).toBe('no-mapping');
  });
});
