import { describe, expect, it } from 'vitest';
import { parsePrefix } from '../../src/nat/address.js';
import type { SearchOutcome } from '../../src/ssdp/responder.js';
import { SsdpResponder } from '../../src/ssdp/responder.js';
import {
  allUsns,
  description,
  expectedResponse,
  IGD,
  L3F,
  msearch,
  NOW,
  prng,
  ROOT,
  responder,
  search,
  WAN,
  WAND,
  WANIP,
  WCD,
  WCDT,
  WCIC,
} from './fixtures.js';

const CP = { address: '192.168.1.50', port: 50000 };
const zero = (): number => 0;

function pairs(o: SearchOutcome): Array<[string, string]> {
  return o.replies.map((r) => [r.st, r.usn]);
}

describe('SsdpResponder: search targets', () => {
  const r = responder();

  it('answers ssdp:all with one reply per USN (root 3, embedded devices 2 each, services 1 each)', () => {
    const o = r.handleSearch(search('ssdp:all'), CP, zero, NOW);
    expect(o.ignored).toBeUndefined();
    expect(o.st).toBe('ssdp:all');
    expect(pairs(o)).toEqual(allUsns(2));
    expect(o.replies.map((x) => x.message)).toEqual(allUsns(2).map(([st, usn]) => expectedResponse(st, usn)));
    expect(o.replies.every((x) => x.delayMs === 0 && x.to.address === CP.address && x.to.port === CP.port)).toBe(true);
  });

  it('answers upnp:rootdevice with the root USN, byte for byte', () => {
    const o = r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW);
    expect(o.replies).toEqual([
      {
        delayMs: 0,
        to: CP,
        st: 'upnp:rootdevice',
        usn: `${ROOT}::upnp:rootdevice`,
        message: expectedResponse('upnp:rootdevice', `${ROOT}::upnp:rootdevice`),
      },
    ]);
  });

  it.each([ROOT, WAN, WCD])('answers uuid search %s with ST = the UDN and USN = the UDN', (udn) => {
    const o = r.handleSearch(search(udn), CP, zero, NOW);
    expect(pairs(o)).toEqual([[udn, udn]]);
    expect(o.replies[0]!.message).toBe(expectedResponse(udn, udn));
  });

  it('matches UUIDs case-insensitively, echoing the ST as asked', () => {
    const upper = `uuid:${ROOT.slice(5).toUpperCase()}`;
    expect(pairs(r.handleSearch(search(upper), CP, zero, NOW))).toEqual([[upper, ROOT]]);
  });

  it('does not answer an unknown uuid', () => {
    expect(r.handleSearch(search('uuid:99999999-9999-4999-8999-999999999999'), CP, zero, NOW)).toEqual({
      st: 'uuid:99999999-9999-4999-8999-999999999999',
      mx: 2,
      replies: [],
      ignored: 'no-match',
    });
  });

  it.each([
    [IGD(2), ROOT],
    [IGD(1), ROOT],
    [WAND(2), WAN],
    [WAND(1), WAN],
    [WCDT(2), WCD],
    [WCDT(1), WCD],
    [WANIP(2), WCD],
    [WANIP(1), WCD],
    [WCIC, WAN],
    [L3F, ROOT],
  ])('IGD:2 answers %s; ST and USN carry the version asked for (miniupnpd 2.3.1)', (st, udn) => {
    const o = r.handleSearch(search(st), CP, zero, NOW);
    expect(pairs(o)).toEqual([[st, `${udn}::${st}`]]);
    expect(o.replies[0]!.message).toBe(expectedResponse(st, `${udn}::${st}`));
  });

  it.each([
    IGD(3),
    WANIP(3),
    'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:2',
    'urn:schemas-upnp-org:service:Layer3Forwarding:2',
    'urn:schemas-upnp-org:service:WANPPPConnection:1',
    'urn:schemas-upnp-org:device:InternetGatewayDevice',
    'urn:schemas-upnp-org:device:InternetGatewayDevice:0',
    'urn:schemas-upnp-org:device:InternetGatewayDevice:1x',
    'urn:schemas-upnp-org:device:InternetGatewayDevice:',
    'urn:schemas-upnp-org:device:internetgatewaydevice:1',
    'urn:schemas-upnp-org:service:InternetGatewayDevice:1',
    'urn:dslforum-org:device:InternetGatewayDevice:1',
    'ssdp:ALL',
    'upnp:rootdevices',
    'uuid:',
  ])('IGD:2 does not answer %s', (st) => {
    const o = r.handleSearch(search(st), CP, zero, NOW);
    expect(o.ignored).toBe('no-match');
    expect(o.replies).toEqual([]);
  });

  it('an IGD:1 gateway answers version 1 searches only and advertises version 1 types', () => {
    const r1 = responder({ igdVersion: 1 });
    expect(pairs(r1.handleSearch(search(IGD(1)), CP, zero, NOW))).toEqual([[IGD(1), `${ROOT}::${IGD(1)}`]]);
    expect(pairs(r1.handleSearch(search(WANIP(1)), CP, zero, NOW))).toEqual([[WANIP(1), `${WCD}::${WANIP(1)}`]]);
    for (const st of [IGD(2), WAND(2), WCDT(2), WANIP(2)]) {
      expect(r1.handleSearch(search(st), CP, zero, NOW).ignored).toBe('no-match');
    }
    expect(pairs(r1.handleSearch(search('ssdp:all'), CP, zero, NOW))).toEqual(allUsns(1));
  });
});

describe('SsdpResponder: MAN and MX rules', () => {
  const r = responder();

  it.each([
    [undefined, 'bad-man'],
    ['ssdp:discover', 'bad-man'],
    ['"ssdp:Discover"', 'bad-man'],
    ['"ssdp:alive"', 'bad-man'],
    ['', 'bad-man'],
  ])('ignores MAN %j', (man, why) => {
    const o = r.handleSearch(msearch({ HOST: '239.255.255.250:1900', MAN: man, MX: '1', ST: 'ssdp:all' }), CP, zero, NOW);
    expect(o).toEqual({ st: 'ssdp:all', replies: [], ignored: why });
  });

  it('ignores a multicast search without MX', () => {
    expect(r.handleSearch(search('ssdp:all', null), CP, zero, NOW)).toEqual({ st: 'ssdp:all', replies: [], ignored: 'missing-mx' });
  });

  it.each(['0', '-1', '1.5', 'abc', '', ' 2x', '0x2', '1e1', '9999999999'])('ignores a multicast search with MX %j', (mx) => {
    const o = r.handleSearch(search('upnp:rootdevice', mx), CP, zero, NOW);
    expect(o.ignored).toBe('invalid-mx');
    expect(o.replies).toEqual([]);
  });

  it('accepts MX 1..5 and clamps larger values to 5', () => {
    for (const [mx, eff] of [
      ['1', 1],
      ['5', 5],
      ['6', 5],
      ['120', 5],
      ['007', 5],
      ['03', 3],
    ] as const) {
      const o = r.handleSearch(search('upnp:rootdevice', mx), CP, zero, NOW);
      expect(o.mx).toBe(eff);
      expect(o.replies).toHaveLength(1);
    }
  });

  it('answers a unicast search without MX at once', () => {
    const rr = responder({}, { mxDelay: 'random' });
    const o = rr.handleSearch(search('upnp:rootdevice', null), CP, () => 0.9, NOW, 'unicast');
    expect(o.mx).toBeUndefined();
    expect(o.replies.map((x) => x.delayMs)).toEqual([0]);
  });

  it('answers a unicast search at once even when it carries an MX (valid or not)', () => {
    const rr = responder({}, { mxDelay: 'random' });
    expect(rr.handleSearch(search('upnp:rootdevice', '3'), CP, () => 0.9, NOW, 'unicast').replies[0]!.delayMs).toBe(0);
    expect(rr.handleSearch(search('upnp:rootdevice', 'junk'), CP, () => 0.9, NOW, 'unicast').replies).toHaveLength(1);
  });
});

describe('SsdpResponder: reply delays', () => {
  it('delays multicast replies at random within MX (each reply drawn separately)', () => {
    const rr = responder({}, { mxDelay: 'random' });
    const draws = [0, 0.5, 0.25, 0.999999];
    let i = 0;
    const o = rr.handleSearch(search('ssdp:all', '2'), CP, () => draws[i++ % draws.length]!, NOW);
    expect(o.replies.map((x) => x.delayMs)).toEqual([0, 1000, 500, 1999, 0, 1000, 500, 1999, 0, 1000]);
  });

  it('uses the clamped MX as the window', () => {
    const rr = responder({}, { mxDelay: 'random' });
    expect(rr.handleSearch(search('upnp:rootdevice', '100'), CP, () => 0.5, NOW).replies[0]!.delayMs).toBe(2500);
  });

  it('keeps every delay inside [0, MX) over many draws', () => {
    const rr = responder({}, { mxDelay: 'random' });
    const rand = prng(7);
    for (let i = 0; i < 200; i++) {
      for (const rep of rr.handleSearch(search('ssdp:all', '3'), CP, rand, NOW).replies) {
        expect(rep.delayMs).toBeGreaterThanOrEqual(0);
        expect(rep.delayMs).toBeLessThan(3000);
        expect(Number.isInteger(rep.delayMs)).toBe(true);
      }
    }
  });

  it('survives a random source out of range', () => {
    const rr = responder({}, { mxDelay: 'random' });
    for (const bad of [1, -0.5, Number.NaN, 7]) {
      expect(rr.handleSearch(search('upnp:rootdevice', '2'), CP, () => bad, NOW).replies[0]!.delayMs).toBe(0);
    }
  });

  it('mxDelay fixed (miniupnpd): every reply after 50 ms whatever the MX, multicast or unicast', () => {
    const rr = responder({}, { mxDelay: 'fixed' });
    for (const mx of ['1', '2', '5', '100']) {
      const o = rr.handleSearch(search('ssdp:all', mx), CP, () => 0.9, NOW);
      expect(o.replies.map((x) => x.delayMs)).toEqual(o.replies.map(() => 50));
    }
    expect(rr.handleSearch(search('upnp:rootdevice', null), CP, () => 0.9, NOW, 'unicast').replies[0]!.delayMs).toBe(50);
    expect(responder({}, { mxDelay: 'fixed', fixedDelayMs: 7 }).handleSearch(search(IGD(1)), CP, zero, NOW).replies[0]!.delayMs).toBe(7);
  });

  it('refuses a fixed delay outside 0..5000 ms', () => {
    for (const bad of [-1, 5001, 1.5, Number.NaN]) {
      expect(() => responder({}, { mxDelay: 'fixed', fixedDelayMs: bad })).toThrow(/fixedDelayMs/);
    }
  });

  it('mxDelay none answers multicast searches at once', () => {
    expect(
      responder()
        .handleSearch(search('ssdp:all', '5'), CP, () => 0.7, NOW)
        .replies.every((x) => x.delayMs === 0),
    ).toBe(true);
  });

  it('takes the DATE from the injected time (Date or ms)', () => {
    const r = responder();
    const a = r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW).replies[0]!.message;
    const b = r.handleSearch(search('upnp:rootdevice'), CP, zero, new Date(NOW)).replies[0]!.message;
    expect(a).toBe(b);
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, 0).replies[0]!.message).toContain(
      '\r\nDATE: Thu, 01 Jan 1970 00:00:00 GMT\r\n',
    );
  });
});

describe('SsdpResponder: LAN filter, input hygiene', () => {
  const r = responder({}, { lanPrefix: parsePrefix('192.168.1.0/24') });

  it('answers senders inside the LAN prefix (IPv4 and IPv4-mapped IPv6)', () => {
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW).replies).toHaveLength(1);
    expect(r.handleSearch(search('upnp:rootdevice'), { address: '::ffff:192.168.1.9', port: 1 }, zero, NOW).replies).toHaveLength(1);
  });

  it.each(['10.0.0.5', '192.168.2.1', '127.0.0.1', 'fe80::1', '', 'not-an-ip'])('ignores a sender at %j', (address) => {
    expect(r.handleSearch(search('upnp:rootdevice'), { address, port: 1900 }, zero, NOW)).toEqual({ replies: [], ignored: 'outside-lan' });
  });

  it('answers anyone when no LAN prefix is set', () => {
    expect(responder().handleSearch(search('upnp:rootdevice'), { address: '203.0.113.9', port: 1 }, zero, NOW).replies).toHaveLength(1);
  });

  it('ignores NOTIFYs and responses', () => {
    const rr = responder();
    const alive = rr.notifications('ssdp:alive')[0]!.message;
    expect(rr.handleSearch(alive, CP, zero, NOW)).toEqual({ replies: [], ignored: 'not-search' });
    const resp = rr.handleSearch(search('upnp:rootdevice'), CP, zero, NOW).replies[0]!.message;
    expect(rr.handleSearch(resp, CP, zero, NOW)).toEqual({ replies: [], ignored: 'not-search' });
  });

  it('ignores a search without ST', () => {
    const rr = responder();
    expect(rr.handleSearch(msearch({ MAN: '"ssdp:discover"', MX: '1' }), CP, zero, NOW)).toEqual({ replies: [], ignored: 'missing-st' });
    expect(rr.handleSearch(msearch({ MAN: '"ssdp:discover"', MX: '1', ST: '' }), CP, zero, NOW).ignored).toBe('missing-st');
  });

  it('reports malformed input (garbage, huge datagrams) without throwing', () => {
    const rr = responder();
    expect(rr.handleSearch(Buffer.from([0, 1, 2, 3, 255]), CP, zero, NOW)).toEqual({
      replies: [],
      ignored: 'malformed',
      detail: 'control character in start line',
    });
    expect(rr.handleSearch('GET / HTTP/1.1\r\n\r\n', CP, zero, NOW)).toEqual({
      replies: [],
      ignored: 'malformed',
      detail: 'not an SSDP start line',
    });
    const huge = Buffer.concat([Buffer.from(search('ssdp:all')), Buffer.alloc(70000, 0x41)]);
    expect(rr.handleSearch(huge, CP, zero, NOW)).toEqual({
      replies: [],
      ignored: 'malformed',
      detail: `datagram too large (${huge.length} > 4096 bytes)`,
    });
    expect(rr.handleSearch('', CP, zero, NOW).ignored).toBe('malformed');
    const rand = prng(3);
    for (let i = 0; i < 1000; i++) {
      const buf = Buffer.alloc(Math.floor(rand() * 300), 0);
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256);
      const o = rr.handleSearch(
        Buffer.concat([Buffer.from('M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'), buf]),
        CP,
        rand,
        NOW,
      );
      expect(Array.isArray(o.replies)).toBe(true);
    }
  });

  it('turns an exception from the injected random source into an outcome', () => {
    const rr = responder({}, { mxDelay: 'random' });
    const o = rr.handleSearch(
      search('ssdp:all'),
      CP,
      () => {
        throw new Error('boom');
      },
      NOW,
    );
    expect(o).toEqual({ replies: [], ignored: 'malformed', detail: 'internal error: boom' });
  });

  it('accepts Buffers like strings and LF-only searches', () => {
    const rr = responder();
    const a = rr.handleSearch(search('ssdp:all'), CP, zero, NOW);
    expect(rr.handleSearch(Buffer.from(search('ssdp:all')), CP, zero, NOW)).toEqual(a);
    expect(rr.handleSearch(search('ssdp:all').replaceAll('\r\n', '\n'), CP, zero, NOW)).toEqual(a);
    expect(rr.handleSearch('m-search * HTTP/1.1\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n', CP, zero, NOW).ignored).toBe(
      'malformed',
    );
  });
});

describe('SsdpResponder: quirks', () => {
  it('searchMode multicast-only ignores unicast searches', () => {
    const r = responder({}, { quirks: { searchMode: 'multicast-only' } });
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'multicast').replies).toHaveLength(1);
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'unicast')).toEqual({
      st: 'upnp:rootdevice',
      replies: [],
      ignored: 'search-mode',
    });
  });

  it('searchMode unicast-only ignores multicast searches', () => {
    const r = responder({}, { quirks: { searchMode: 'unicast-only' } });
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'unicast').replies).toHaveLength(1);
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'multicast')).toEqual({
      st: 'upnp:rootdevice',
      replies: [],
      ignored: 'search-mode',
    });
  });

  it('searchMode both (the default) answers both', () => {
    const r = responder({}, { quirks: { searchMode: 'both' } });
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'unicast').replies).toHaveLength(1);
    expect(r.handleSearch(search('upnp:rootdevice'), CP, zero, NOW, 'multicast').replies).toHaveLength(1);
  });

  it('ssdpAllRootOnly answers ssdp:all with the root device USNs only; other targets unchanged', () => {
    const r = responder({}, { quirks: { ssdpAllRootOnly: true } });
    expect(pairs(r.handleSearch(search('ssdp:all'), CP, zero, NOW))).toEqual([
      ['upnp:rootdevice', `${ROOT}::upnp:rootdevice`],
      [ROOT, ROOT],
      [IGD(2), `${ROOT}::${IGD(2)}`],
      [L3F, `${ROOT}::${L3F}`],
    ]);
    expect(pairs(r.handleSearch(search(WANIP(1)), CP, zero, NOW))).toEqual([[WANIP(1), `${WCD}::${WANIP(1)}`]]);
    expect(r.notifications('ssdp:alive')).toHaveLength(10);
  });

  it('replyFromOtherPort does not change the messages (the socket layer applies it)', () => {
    const r = responder({}, { quirks: { replyFromOtherPort: true } });
    expect(r.quirks.replyFromOtherPort).toBe(true);
    expect(r.handleSearch(search('ssdp:all'), CP, zero, NOW)).toEqual(responder().handleSearch(search('ssdp:all'), CP, zero, NOW));
  });
});

describe('SsdpResponder: notifications', () => {
  const r = responder();

  it('alive: one NOTIFY per USN with HOST, CACHE-CONTROL, LOCATION, NT, NTS, SERVER, USN, BOOTID, CONFIGID', () => {
    const n = r.notifications('ssdp:alive');
    expect(n.map((x) => [x.nt, x.usn])).toEqual(allUsns(2));
    expect(n.map((x) => x.message)).toEqual(
      allUsns(2).map(
        ([nt, usn]) =>
          'NOTIFY * HTTP/1.1\r\n' +
          'HOST: 239.255.255.250:1900\r\n' +
          'CACHE-CONTROL: max-age=1800\r\n' +
          'LOCATION: http://192.168.1.1:49000/rootDesc.xml\r\n' +
          `NT: ${nt}\r\n` +
          'NTS: ssdp:alive\r\n' +
          'SERVER: Linux/5.10 UPnP/1.1 natsim/0.1\r\n' +
          `USN: ${usn}\r\n` +
          'BOOTID.UPNP.ORG: 7\r\n' +
          'CONFIGID.UPNP.ORG: 1\r\n' +
          '\r\n',
      ),
    );
    expect(n.every((x) => x.nts === 'ssdp:alive')).toBe(true);
  });

  it('byebye: one NOTIFY per USN with HOST, NT, NTS, USN, BOOTID, CONFIGID only', () => {
    const n = r.notifications('ssdp:byebye');
    expect(n.map((x) => x.message)).toEqual(
      allUsns(2).map(
        ([nt, usn]) =>
          'NOTIFY * HTTP/1.1\r\n' +
          'HOST: 239.255.255.250:1900\r\n' +
          `NT: ${nt}\r\n` +
          'NTS: ssdp:byebye\r\n' +
          `USN: ${usn}\r\n` +
          'BOOTID.UPNP.ORG: 7\r\n' +
          'CONFIGID.UPNP.ORG: 1\r\n' +
          '\r\n',
      ),
    );
  });

  it('every advertised USN is also what a search for its NT returns', () => {
    for (const a of r.advertisements()) {
      expect(pairs(r.handleSearch(search(a.nt), CP, zero, NOW))).toEqual([[a.nt, a.usn]]);
    }
  });
});

describe('SsdpResponder: description validation', () => {
  it('normalizes UDNs given without the uuid: prefix', () => {
    const r = responder({ rootUdn: ROOT.slice(5) });
    expect(r.description.rootUdn).toBe(ROOT);
    expect(r.advertisements()[0]!.usn).toBe(`${ROOT}::upnp:rootdevice`);
  });

  it.each([
    [{ rootUdn: 'uuid:' }, /rootUdn/],
    [{ wanDeviceUdn: 'uuid:a b' }, /wanDeviceUdn/],
    [{ wanConnectionDeviceUdn: ROOT }, /differ/],
    [{ igdVersion: 3 as unknown as 1 }, /igdVersion/],
    [{ location: 'http://x/\r\nX: y' }, /location/],
    [{ server: '' }, /server/],
    [{ bootId: -1 }, /bootId/],
    [{ maxAge: 1.5 }, /maxAge/],
  ])('refuses a bad description %j', (over, why) => {
    expect(() => new SsdpResponder(description(over), { mxDelay: 'none' })).toThrow(why);
  });
});

describe("SsdpResponder: WANPPPConnection:1 (miniupnpd's ADVERTISE_WANPPPCONN)", () => {
  const PPP = 'urn:schemas-upnp-org:service:WANPPPConnection:1';

  it('answers a WANPPPConnection:1 search from the WANConnectionDevice, as miniupnpd does', () => {
    const rr = responder({}, { quirks: { advertiseWanPpp: true } });
    expect(pairs(rr.handleSearch(search(PPP), CP, zero, NOW))).toEqual([[PPP, `${WCD}::${PPP}`]]);
    expect(rr.handleSearch(search(PPP), CP, zero, NOW).replies[0]!.message).toBe(expectedResponse(PPP, `${WCD}::${PPP}`));
  });

  it('lists it in ssdp:all and in the NOTIFY set (11 USNs)', () => {
    const rr = responder({}, { quirks: { advertiseWanPpp: true } });
    const all = pairs(rr.handleSearch(search('ssdp:all'), CP, zero, NOW));
    expect(all).toHaveLength(11);
    expect(all).toContainEqual([PPP, `${WCD}::${PPP}`]);
    expect(rr.notifications('ssdp:alive').map((n) => n.nt)).toContain(PPP);
  });

  it('is not answered without the quirk', () => {
    expect(responder().handleSearch(search(PPP), CP, zero, NOW).ignored).toBe('no-match');
  });
});
