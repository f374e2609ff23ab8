/** RFC 4787 §4.2.1 port assignment: preservation, sequential, random, range preservation, parity. */
import { describe, expect, it } from 'vitest';
import { NatTable, parseIPv4, type Rng, SeededRng } from '../../src/nat/index.js';
import { A, B, C, ep, home, natPolicy, SERVER, srcOf, udp, WAN } from './helpers.js';

describe('port preservation', () => {
  it('keeps the internal port and says so in the trace', () => {
    const { network } = home(natPolicy('port-restricted-cone'));
    const d = network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    expect(d.delivered).toBe(true);
    expect(srcOf(d)).toBe('203.0.113.1:5000');
    expect(d.hops[0]!.code).toBe('new-mapping');
    expect(d.hops[0]!.message).toBe(
      'outbound packet created a new mapping at nat: UDP 192.168.1.10:5000 → 198.51.100.5:3478 ⇒ UDP 203.0.113.1:5000 → 198.51.100.5:3478',
    );
  });

  it('falls back to the next free port above when another internal host holds the port', () => {
    const { network } = home(natPolicy('full-cone'));
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
    expect(srcOf(network.send('c', udp(ep(C, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5002');
    // c's own 5001 is held by b's mapping: next free above 5001 is 5003.
    expect(srcOf(network.send('c', udp(ep(C, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5003');
  });

  it('reuses the same mapping for the same internal endpoint (no new port)', () => {
    const { network } = home(natPolicy('full-cone'));
    network.send('a', udp(ep(A, 5000), ep(SERVER, 3478)));
    const again = network.send('a', udp(ep(A, 5000), ep('198.51.100.99', 53)));
    expect(srcOf(again)).toBe('203.0.113.1:5000');
    expect(again.hops[0]!.code).toBe('mapped');
  });
});

describe('sequential assignment', () => {
  it('hands out consecutive ports from 1024, whatever the internal port', () => {
    const { network } = home(natPolicy('full-cone', { portAssignment: 'sequential' }));
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:1024');
    expect(srcOf(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:1025');
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:1026');
    expect(srcOf(network.send('c', udp(ep(C, 40000), ep(SERVER, 3478))))).toBe('203.0.113.1:1027');
  });
});

describe('random assignment', () => {
  const ports = (seed: number): number[] => {
    const { network } = home(natPolicy('full-cone', { portAssignment: 'random' }), {}, seed);
    const out: number[] = [];
    for (let i = 0; i < 6; i++) out.push(network.send('a', udp(ep(A, 5000 + i), ep(SERVER, 3478))).packet.src.port);
    return out;
  };

  it('is determined by the seed', () => {
    const first = ports(7);
    expect(ports(7)).toEqual(first);
    expect(ports(8)).not.toEqual(first);
    expect(ports(1)).toEqual(ports(1));
  });

  it('picks distinct ports in 1024–65535', () => {
    const p = ports(7);
    expect(new Set(p).size).toBe(p.length);
    for (const port of p) {
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(port).toBeLessThanOrEqual(65535);
    }
  });

  it('never reuses a live port even when the RNG keeps proposing it', () => {
    const stuck: Rng = { next: () => 0, int: (lo) => lo };
    const t = new NatTable(natPolicy('full-cone', { portAssignment: 'random' }), [parseIPv4(WAN)], stuck);
    const made: string[] = [];
    for (const [ip, port] of [
      [A, 5000],
      [A, 5001],
      [B, 6000],
    ] as const) {
      const r = t.outbound('udp', ep(ip, port), ep(SERVER, 3478), 0, 0);
      if ('code' in r) throw new Error(r.code);
      made.push(`${r.mapping.extPort}`);
    }
    expect(made).toEqual(['1024', '1025', '1026']);
    expect(t.size).toBe(3);
  });

  it('uses the injected RNG only (same seed on a bare table gives the same ports)', () => {
    const run = (): number[] => {
      const t = new NatTable(natPolicy('full-cone', { portAssignment: 'random' }), [parseIPv4(WAN)], new SeededRng(42));
      return [0, 1, 2].map((i) => {
        const r = t.outbound('udp', ep(A, 7000 + i), ep(SERVER, 3478), 0, 0);
        if ('code' in r) throw new Error(r.code);
        return r.mapping.extPort;
      });
    };
    expect(run()).toEqual(run());
  });
});

describe('port range preservation (RFC 4787 REQ-3 a)', () => {
  it('random: a privileged internal port gets an external port below 1024, others stay ≥ 1024', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { network } = home(natPolicy('full-cone', { portAssignment: 'random' }), {}, seed);
      const low = network.send('a', udp(ep(A, 123), ep(SERVER, 123))).packet.src.port;
      const high = network.send('a', udp(ep(A, 5000), ep(SERVER, 123))).packet.src.port;
      expect(low).toBeGreaterThanOrEqual(1);
      expect(low).toBeLessThan(1024);
      expect(high).toBeGreaterThanOrEqual(1024);
    }
  });

  it('preserve: a taken privileged port falls back within 1–1023', () => {
    const { network } = home(natPolicy('full-cone'));
    expect(srcOf(network.send('a', udp(ep(A, 123), ep(SERVER, 123))))).toBe('203.0.113.1:123');
    expect(srcOf(network.send('b', udp(ep(B, 123), ep(SERVER, 123))))).toBe('203.0.113.1:124');
  });

  it('preserve: a taken 1023 wraps to the bottom of the privileged range, not to 1024', () => {
    const { network } = home(natPolicy('full-cone'));
    network.send('a', udp(ep(A, 1023), ep(SERVER, 123)));
    expect(srcOf(network.send('b', udp(ep(B, 1023), ep(SERVER, 123))))).toBe('203.0.113.1:1');
  });

  it('off: a privileged internal port is mapped into 1024–65535', () => {
    const { network } = home(natPolicy('full-cone', { portRangePreservation: false, portAssignment: 'sequential' }));
    expect(srcOf(network.send('a', udp(ep(A, 123), ep(SERVER, 123))))).toBe('203.0.113.1:1024');
  });
});

describe('port parity (RFC 4787 REQ-3 b)', () => {
  it('random: even stays even, odd stays odd', () => {
    const { network } = home(natPolicy('full-cone', { portAssignment: 'random', portParity: true }), {}, 11);
    for (let i = 0; i < 20; i++) {
      const port = network.send('a', udp(ep(A, 5000 + i), ep(SERVER, 3478))).packet.src.port;
      expect(port % 2).toBe(i % 2);
    }
  });

  it('preserve: the fallback skips ports of the wrong parity', () => {
    const { network } = home(natPolicy('full-cone', { portParity: true }));
    expect(srcOf(network.send('a', udp(ep(A, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5000');
    expect(srcOf(network.send('b', udp(ep(B, 5000), ep(SERVER, 3478))))).toBe('203.0.113.1:5002');
    expect(srcOf(network.send('b', udp(ep(B, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5001');
    expect(srcOf(network.send('c', udp(ep(C, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:5003');
  });

  it('sequential: the next port of the right parity', () => {
    const { network } = home(natPolicy('full-cone', { portAssignment: 'sequential', portParity: true }));
    expect(srcOf(network.send('a', udp(ep(A, 5001), ep(SERVER, 3478))))).toBe('203.0.113.1:1025');
    expect(srcOf(network.send('a', udp(ep(A, 5002), ep(SERVER, 3478))))).toBe('203.0.113.1:1026');
  });

  it('with range preservation, an even privileged port wraps and still finds an even port below 1024', () => {
    // Range 1–1023 has an odd size (1023): stepping by 2 from an even start wraps onto odd ports only.
    const { network } = home(natPolicy('full-cone', { portParity: true }));
    expect(srcOf(network.send('a', udp(ep(A, 1022), ep(SERVER, 123))))).toBe('203.0.113.1:1022');
    const d = network.send('b', udp(ep(B, 1022), ep(SERVER, 123)));
    expect(d.drop?.code).toBeUndefined(); // today: 'ports-exhausted' though 2, 4, … 1020 are free
    expect(d.delivered).toBe(true);
    expect(d.packet.src.port % 2).toBe(0);
    expect(d.packet.src.port).toBeLessThan(1024);
  });
});
