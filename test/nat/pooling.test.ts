/** RFC 4787 REQ-2 IP address pooling with several external addresses. */
import { describe, expect, it } from 'vitest';
import { A, B, C, dstOf, ep, home, natPolicy, SERVER, srcOf, udp } from './helpers.js';

const POOL = ['203.0.113.1', '203.0.113.2'];

describe('paired pooling', () => {
  it('gives every mapping of one internal host the same external address and spreads hosts', () => {
    const { network } = home(natPolicy('full-cone', { pooling: 'paired' }), { wan: POOL });
    const aOut = [5000, 5001, 5002].map((p) => srcOf(network.send('a', udp(ep(A, p), ep(SERVER, 3478)))));
    expect(aOut).toEqual(['203.0.113.1:5000', '203.0.113.1:5001', '203.0.113.1:5002']);
    const bOut = [5000, 6000].map((p) => srcOf(network.send('b', udp(ep(B, p), ep(SERVER, 3478)))));
    expect(bOut).toEqual(['203.0.113.2:5000', '203.0.113.2:6000']);
    // Round-robin: the third host is paired with the first address again.
    expect(srcOf(network.send('c', udp(ep(C, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5003');
  });

  it('delivers inbound traffic on the secondary address', () => {
    const { network } = home(natPolicy('full-cone'), { wan: POOL });
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    network.send('b', udp(ep(B, 5000), ep(SERVER, 3478)));
    const back = network.send('server', udp(ep(SERVER, 3478), ep('203.0.113.2', 5000)));
    expect(back.delivered).toBe(true);
    expect(back.to).toBe('b');
    expect(dstOf(back)).toBe('192.168.1.11:5000');
    const wrong = network.send('server', udp(ep(SERVER, 3478), ep('203.0.113.2', 5001)));
    expect(wrong.drop?.code).toBe('no-mapping');
  });
});

describe('arbitrary pooling', () => {
  const addresses = (seed: number): string[] => {
    const { network } = home(natPolicy('full-cone', { pooling: 'arbitrary' }), { wan: POOL }, seed);
    return [5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007].map(
      (p) => srcOf(network.send('a', udp(ep(A, p), ep(SERVER, 3478)))).split(':')[0]!,
    );
  };

  it('varies the external address between mappings of one host', () => {
    const got = addresses(3);
    expect(new Set(got)).toEqual(new Set(POOL));
  });

  it('is deterministic for a seed', () => {
    expect(addresses(3)).toEqual(addresses(3));
    expect(addresses(9)).toEqual(addresses(9));
    expect(addresses(3)).not.toEqual(addresses(4));
  });
});
