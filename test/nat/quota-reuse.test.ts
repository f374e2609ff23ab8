/** RFC 6888 REQ-4 port quota and REQ-8 port reuse delay. */
import { describe, expect, it } from 'vitest';
import { A, B, C, ep, home, natPolicy, SERVER, sec, srcOf, udp, WAN } from './helpers.js';

describe('port quota', () => {
  it('refuses the third mapping of one internal address, not other hosts', () => {
    const { network } = home(natPolicy('full-cone', { portQuota: 2 }));
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
    expect(srcOf(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
    const third = network.send('a', udp(ep(A, 5002), ep(SERVER, 3478)));
    expect(third.delivered).toBe(false);
    expect(third.drop?.code).toBe('port-quota');
    expect(third.drop?.node).toBe('nat');
    expect(third.drop?.message).toBe('dropped at nat: 192.168.1.10 has used its quota of 2 mappings at nat');
    // Existing mappings keep working; another host is unaffected.
    expect(network.send('a', udp(ep(A, 5001), ep(SERVER, 3479))).delivered).toBe(true);
    expect(srcOf(network.send('b', udp(ep(B, 5002), ep(SERVER, 3478))))).toBe('203.0.113.1:5002');
  });

  it('counts mappings per destination under symmetric (APDM) mapping', () => {
    const { network } = home(natPolicy('symmetric', { portQuota: 2 }));
    expect(network.send('a', udp(ep(A, 5000), ep(SERVER, 1))).delivered).toBe(true);
    expect(network.send('a', udp(ep(A, 5000), ep(SERVER, 2))).delivered).toBe(true);
    expect(network.send('a', udp(ep(A, 5000), ep(SERVER, 3))).drop?.code).toBe('port-quota');
  });

  it('frees quota when a mapping expires', () => {
    const { network, clock } = home(natPolicy('full-cone', { portQuota: 1 }));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))).drop?.code).toBe('port-quota');
    clock.advance(sec(300));
    expect(srcOf(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
  });

  it('a hairpinned packet does not count expired mappings against the quota', () => {
    // Outbound sweeps expired mappings before creating one; the hairpin path does not.
    const { network, clock } = home(natPolicy('full-cone', { portQuota: 1 }), {
      forwards: [{ protocol: 'udp', externalPort: 7000, internalClient: B, internalPort: 7000 }],
    });
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    clock.advance(sec(300)); // A's only mapping has expired; nothing has swept it yet
    const d = network.send('a', udp(ep(A, 5001), ep(WAN, 7000)));
    expect(d.drop?.code).toBeUndefined(); // today: 'port-quota'
    expect(d.to).toBe('b');
  });

  it('the cgnat preset carries a 2000-port quota and a 120 s reuse delay', () => {
    const p = natPolicy('cgnat');
    expect(p.portQuota).toBe(2000);
    expect(p.portReuseDelay).toBe(120);
  });
});

describe('port reuse delay', () => {
  // A holds 203.0.113.1:5000 (preserve) from t = 0; the mapping expires at t = 300 s.
  function aHeld5000() {
    const t = home(natPolicy('full-cone', { portReuseDelay: 120 }));
    expect(srcOf(t.network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
    t.clock.advance(sec(300));
    t.network.expire(); // freed at 300 s
    return t;
  }

  it('does not give a freed port to another internal host within 120 s', () => {
    const { network, clock } = aHeld5000();
    clock.advance(sec(119));
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
  });

  it('gives it to another host after 120 s', () => {
    const { network, clock } = aHeld5000();
    clock.advance(sec(120));
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
  });

  it('lets the same internal host have it back at once', () => {
    const { network, clock } = aHeld5000();
    clock.advance(sec(10));
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
  });

  it('without a delay the port is reusable immediately', () => {
    const { network, clock } = home(natPolicy('full-cone'));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    clock.advance(sec(300));
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
  });

  it('inbound to the freed port is dropped during the delay (nobody holds it)', () => {
    const { network, clock } = aHeld5000();
    clock.advance(sec(60));
    expect(network.send('server', udp(ep(SERVER, 3478), ep(WAN, 5000))).drop?.code).toBe('no-mapping');
    expect(srcOf(network.send('c', udp(ep(C, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
  });

  it('the delay runs from the mapping expiry, not from when a sweep happened to notice it', () => {
    // Same traffic as "gives it to another host after 120 s", but without the sweep at 300 s:
    // the lazy removal at 430 s stamps the port as freed at 430 s and blocks it until 550 s.
    const { network, clock } = home(natPolicy('full-cone', { portReuseDelay: 120 }));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    clock.advance(sec(430)); // expired at 300 s, i.e. 130 s ago
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
  });
});
