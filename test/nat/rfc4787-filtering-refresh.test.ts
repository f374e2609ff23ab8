/**
 * RFC 4787 §5 / REQ-8 with REQ-6: a filtering permission belongs to one remote and lasts the
 * protocol's timer from the last packet sent to it. Traffic to other remotes keeps the mapping
 * alive but does not keep admitting a remote the host stopped talking to.
 */
import { describe, expect, it } from 'vitest';
import { type FilteringBehavior, MAX_REMOTES_PER_MAPPING } from '../../src/nat/index.js';
import { A, ep, home, natPolicy, PEER, SERVER, sec, srcOf, udp, WAN } from './helpers.js';

const toServer = () => udp(ep(A, 5000), ep(SERVER, 3478));
const toPeer = () => udp(ep(A, 5000), ep(PEER, 7000));
const fromServer = () => udp(ep(SERVER, 3478), ep(WAN, 5000));
const FAR = '198.51.100.100';

for (const filtering of ['address-dependent', 'address-and-port-dependent'] as FilteringBehavior[]) {
  describe(`RFC 4787 REQ-8 (${filtering} filtering): permissions expire per remote`, () => {
    function keptAliveByPeer() {
      const t = home(natPolicy('full-cone', { filtering }));
      t.network.send('a', toServer()); // t = 0: the server is admitted
      for (let s = 100; s <= 400; s += 100) {
        t.clock.advance(sec(100));
        expect(srcOf(t.network.send('a', toPeer()))).toBe('203.0.113.1:5000'); // the mapping is refreshed by the peer traffic
      }
      return t; // t = 400 s
    }

    it('REQ-6: a remote admitted once is no longer admitted after the UDP timer without traffic to it', () => {
      const t = home(natPolicy('full-cone', { filtering }));
      t.network.send('a', toServer());
      t.clock.advance(sec(200));
      t.network.send('a', toPeer());
      t.clock.advance(sec(99)); // t = 299 s: the server's permission still holds
      expect(t.network.send('server', fromServer()).to).toBe('a');
      t.clock.advance(sec(1)); // t = 300 s: 300 s since the last packet to the server
      const d = t.network.send('server', fromServer());
      expect(d.drop?.code).toBe('filtered');
      expect(d.drop?.message).toBe(
        `dropped at nat: mapping 203.0.113.1:5000 → 192.168.1.10:5000 exists, but ${filtering} filtering admits only what 192.168.1.10:5000 has sent to ` +
          `(198.51.100.20:7000), not ${filtering === 'address-dependent' ? 'address 198.51.100.5' : 'endpoint 198.51.100.5:3478'}: ` +
          'its permission ran out at 300 s, one timer after the last packet sent to it',
      );
      expect(t.router.listMappings(t.clock.now())).toHaveLength(1); // the mapping itself lives on
    });

    it('REQ-6: refreshing the mapping by traffic to others for 400 s does not keep the first remote admitted', () => {
      const t = keptAliveByPeer();
      expect(t.network.send('server', fromServer()).drop?.code).toBe('filtered');
      expect(t.network.send('peer', udp(ep(PEER, 7000), ep(WAN, 5000))).to).toBe('a');
    });

    it('sending to the remote again renews its permission', () => {
      const t = keptAliveByPeer();
      t.network.send('a', toServer());
      expect(t.network.send('server', fromServer()).to).toBe('a');
      t.clock.advance(sec(299));
      expect(t.network.send('server', fromServer()).to).toBe('a');
    });

    it('the permission uses the policy UDP timer', () => {
      const t = home(natPolicy('full-cone', { filtering, timers: { udp: 60 } }));
      t.network.send('a', toServer());
      t.clock.advance(sec(30));
      t.network.send('a', toPeer());
      t.clock.advance(sec(30)); // t = 60 s
      expect(t.network.send('server', fromServer()).drop?.code).toBe('filtered');
      expect(t.network.send('peer', udp(ep(PEER, 7000), ep(WAN, 5000))).to).toBe('a');
    });
  });
}

describe('the per-remote table is bounded', () => {
  it(`keeps at most ${MAX_REMOTES_PER_MAPPING} remotes besides the first; the soonest to expire goes first`, () => {
    const t = home(natPolicy('port-restricted-cone'));
    t.network.send('a', toServer());
    const n = MAX_REMOTES_PER_MAPPING + 50;
    for (let i = 0; i < n; i++) {
      t.clock.advance(10);
      t.network.send('a', udp(ep(A, 5000), ep(FAR, 10000 + i)), { trace: false });
    }
    const [m] = t.router.nat!.mappings(t.clock.now());
    expect(m!.peers!.size).toBe(MAX_REMOTES_PER_MAPPING);
    const now = t.clock.now();
    expect(t.router.nat!.admits(m!, ep(FAR, 10000), now)).toBe(false); // the oldest peer was forgotten
    expect(t.router.nat!.admits(m!, ep(FAR, 10000 + n - 1), now)).toBe(true);
    expect(t.router.nat!.admits(m!, ep(SERVER, 3478), now)).toBe(true); // the first remote is kept in the mapping
  });
});

describe('endpoint-independent filtering is unaffected', () => {
  it('anyone is admitted while the mapping lives', () => {
    const t = home(natPolicy('full-cone'));
    t.network.send('a', toServer());
    t.clock.advance(sec(200));
    t.network.send('a', toPeer());
    t.clock.advance(sec(250));
    expect(t.network.send('server', fromServer()).to).toBe('a');
  });
});
