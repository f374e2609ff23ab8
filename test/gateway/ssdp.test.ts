/**
 * SSDP of a running gateway, over unicast on 127.0.0.1 only (multicast stays off on loopback):
 * LOCATION and USN match the served description, events, ssdp:all, and the SSDP quirks of the
 * router profiles.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { headerOf, IGD1, IGD2, mSearch, type UdpClient, udpClient } from './helpers.js';

const PPP = 'urn:schemas-upnp-org:service:WANPPPConnection:1';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function gateway(profile?: string): Promise<GatewayHandle> {
  const gw = await startGateway({
    scenario: 'scenarios/default.yaml',
    mxDelay: 'none',
    clock: new FakeClock(0),
    ...(profile ? { profile } : {}),
  });
  cleanups.push(() => gw.stop());
  return gw;
}

async function client(): Promise<UdpClient> {
  const c = await udpClient();
  cleanups.push(() => c.close());
  return c;
}

/** UDNs of the root, WANDevice and WANConnectionDevice, in description order. */
async function udns(gw: GatewayHandle): Promise<string[]> {
  const doc = await (await fetch(gw.descriptionUrl)).text();
  return [...doc.matchAll(/<UDN>([^<]+)<\/UDN>/g)].map((m) => m[1]!);
}

/** Waits until no datagram has arrived for a while (to see that nothing more comes). */
const settle = (c: UdpClient, n: number): Promise<unknown> => c.waitFor(n + 1, 300);

describe('gateway SSDP (unicast, loopback)', () => {
  it("answers a unicast M-SEARCH with LOCATION = descriptionUrl and the description's UDN in USN", async () => {
    const gw = await gateway();
    const [root] = await udns(gw);
    expect(root).toMatch(/^uuid:/);
    const searches: unknown[] = [];
    gw.events.on('ssdp-search', (e) => searches.push(e));
    const c = await client();

    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port);
    const [reply] = await c.waitFor(1);
    expect(reply).toBeDefined();
    const msg = reply!.msg;
    expect(msg.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(headerOf(msg, 'LOCATION')).toBe(gw.descriptionUrl);
    // An IGD:2 answers a search for IGD:1 with the version asked for.
    expect(headerOf(msg, 'ST')).toBe(IGD1);
    expect(headerOf(msg, 'USN')).toBe(`${root}::${IGD1}`);
    expect(headerOf(msg, 'CACHE-CONTROL')).toBe('max-age=1800');
    expect(headerOf(msg, 'SERVER')).toBe('OpenWRT/23.05 UPnP/1.1 MiniUPnPd/2.3.7');
    expect(headerOf(msg, 'EXT')).toBe('');
    expect(headerOf(msg, 'BOOTID.UPNP.ORG')).toBe('0');
    expect(headerOf(msg, 'CONFIGID.UPNP.ORG')).toBe('1337');
    expect(reply!.rinfo.address).toBe('127.0.0.1');
    expect(reply!.rinfo.port).toBe(gw.ssdpAddress.port);
    expect(searches).toEqual([
      {
        type: 'search',
        st: IGD1,
        from: { address: '127.0.0.1', port: c.port },
        via: 'unicast',
        answered: 1,
      },
    ]);

    await settle(c, 1);
    expect(c.received).toHaveLength(1);
  });

  it('answers upnp:rootdevice and uuid:<root UDN> with the root UDN', async () => {
    const gw = await gateway();
    const [root] = await udns(gw);
    const c = await client();
    await c.send(mSearch('upnp:rootdevice', gw.ssdpAddress), gw.ssdpAddress.port);
    await c.send(mSearch(root!, gw.ssdpAddress), gw.ssdpAddress.port);
    const replies = await c.waitFor(2);
    const pairs = replies.map((r) => [headerOf(r.msg, 'ST'), headerOf(r.msg, 'USN')]).sort();
    expect(pairs).toEqual(
      [
        [root, root],
        ['upnp:rootdevice', `${root}::upnp:rootdevice`],
      ].sort(),
    );
  });

  it('answers ssdp:all with one reply per USN: 3 for the root, 2 per embedded device, 1 per service (WANPPPConnection:1 too, as miniupnpd)', async () => {
    const gw = await gateway();
    const [root, wan, wcd] = await udns(gw);
    const c = await client();
    await c.send(mSearch('ssdp:all', gw.ssdpAddress), gw.ssdpAddress.port);
    const replies = await c.waitFor(11);
    await settle(c, 11);
    expect(c.received).toHaveLength(11);
    const usns = replies.map((r) => headerOf(r.msg, 'USN')).sort();
    expect(usns).toEqual(
      [
        `${root}::upnp:rootdevice`,
        root,
        `${root}::${IGD2}`,
        wan,
        `${wan}::urn:schemas-upnp-org:device:WANDevice:2`,
        wcd,
        `${wcd}::urn:schemas-upnp-org:device:WANConnectionDevice:2`,
        `${root}::urn:schemas-upnp-org:service:Layer3Forwarding:1`,
        `${wan}::urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1`,
        `${wcd}::urn:schemas-upnp-org:service:WANIPConnection:2`,
        `${wcd}::${PPP}`,
      ].sort(),
    );
    for (const r of replies) expect(headerOf(r.msg, 'LOCATION')).toBe(gw.descriptionUrl);
  });

  it('miniupnpd profile answers a WANPPPConnection:1 search (ST echoed, USN of the WANConnectionDevice); strict-miniupnpd does not', async () => {
    const gw = await gateway();
    const [, , wcd] = await udns(gw);
    const c = await client();
    await c.send(mSearch(PPP, gw.ssdpAddress), gw.ssdpAddress.port);
    const [r] = await c.waitFor(1);
    expect([headerOf(r!.msg, 'ST'), headerOf(r!.msg, 'USN'), headerOf(r!.msg, 'LOCATION')]).toEqual([
      PPP,
      `${wcd}::${PPP}`,
      gw.descriptionUrl,
    ]);
    const strict = await gateway('strict-miniupnpd');
    const d = await client();
    await d.send(mSearch(PPP, strict.ssdpAddress), strict.ssdpAddress.port);
    await settle(d, 0);
    expect(d.received).toEqual([]);
  });

  it("miniupnpd profile (its own timing, no mxDelay given): no reply before miniupnpd's fixed 50 ms, whatever the MX", async () => {
    const gw = await startGateway({ scenario: 'scenarios/default.yaml', clock: new FakeClock(0) });
    cleanups.push(() => gw.stop());
    const c = await client();
    for (const mx of [1, 5]) {
      const before = c.received.length;
      const sent = performance.now();
      await c.send(mSearch(IGD1, gw.ssdpAddress, mx), gw.ssdpAddress.port);
      await c.waitFor(before + 1);
      expect(c.received).toHaveLength(before + 1);
      // A lower bound only (timers never fire early); how soon after is the benchmark's business.
      expect(performance.now() - sent).toBeGreaterThanOrEqual(45);
    }
  });

  it('does not answer an unknown ST, a bad MAN or garbage, and reports why', async () => {
    const gw = await gateway();
    const searches: Array<{ ignored?: string; answered: number }> = [];
    gw.events.on('ssdp-search', (e) => searches.push(e));
    const c = await client();
    await c.send(mSearch('urn:schemas-upnp-org:device:Printer:1', gw.ssdpAddress), gw.ssdpAddress.port);
    await c.send(mSearch(IGD1, gw.ssdpAddress).replace('"ssdp:discover"', 'ssdp:discover'), gw.ssdpAddress.port);
    await c.send('\x00\x01garbage\r\n\r\n', gw.ssdpAddress.port);
    // A good search afterwards still gets its answer.
    await c.send(mSearch(IGD2, gw.ssdpAddress), gw.ssdpAddress.port);
    const replies = await c.waitFor(1);
    expect(replies.map((r) => headerOf(r.msg, 'ST'))).toEqual([IGD2]);
    await settle(c, 1);
    expect(c.received).toHaveLength(1);
    expect(searches.map((s) => [s.ignored, s.answered])).toEqual([
      ['no-match', 0],
      ['bad-man', 0],
      ['malformed', 0],
      [undefined, 1],
    ]);
  });

  it('serves an IGD:1 profile with IGD:1 types and does not answer a search for IGD:2', async () => {
    const gw = await gateway('miniupnpd-igd1');
    const [root] = await udns(gw);
    const c = await client();
    await c.send(mSearch(IGD2, gw.ssdpAddress), gw.ssdpAddress.port);
    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port);
    const replies = await c.waitFor(1);
    await settle(c, 1);
    expect(c.received.map((r) => headerOf(r.msg, 'USN'))).toEqual([`${root}::${IGD1}`]);
    expect(replies).toHaveLength(1);
  });
});

describe('SSDP quirks of the router profiles', () => {
  it('ssdp-other-port: replies leave from a port other than the SSDP port', async () => {
    const gw = await gateway('ssdp-other-port');
    const c = await client();
    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port);
    const [reply] = await c.waitFor(1);
    expect(reply).toBeDefined();
    expect(headerOf(reply!.msg, 'LOCATION')).toBe(gw.descriptionUrl);
    expect(reply!.rinfo.address).toBe('127.0.0.1');
    expect(reply!.rinfo.port).not.toBe(gw.ssdpAddress.port);
    expect(reply!.rinfo.port).toBeGreaterThan(0);
  });

  it('ssdp-multicast-only: a unicast search is ignored (search-mode)', async () => {
    const gw = await gateway('ssdp-multicast-only');
    const searches: unknown[] = [];
    gw.events.on('ssdp-search', (e) => searches.push(e));
    const c = await client();
    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port);
    await c.send(mSearch('ssdp:all', gw.ssdpAddress, 1), gw.ssdpAddress.port);
    await settle(c, 0);
    expect(c.received).toEqual([]);
    expect(searches).toEqual([
      { type: 'search', st: IGD1, from: { address: '127.0.0.1', port: c.port }, via: 'unicast', answered: 0, ignored: 'search-mode' },
      { type: 'search', st: 'ssdp:all', from: { address: '127.0.0.1', port: c.port }, via: 'unicast', answered: 0, ignored: 'search-mode' },
    ]);
  });

  it('ssdp-unicast-only: a unicast search is answered as usual', async () => {
    const gw = await gateway('ssdp-unicast-only');
    const c = await client();
    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port);
    const replies = await c.waitFor(1);
    expect(replies.map((r) => headerOf(r.msg, 'LOCATION'))).toEqual([gw.descriptionUrl]);
  });

  it("ssdp-all-root-only: ssdp:all gets the root device's 4 USNs only; typed searches still reach embedded devices", async () => {
    const gw = await gateway('ssdp-all-root-only');
    const [root, , wcd] = await udns(gw);
    const c = await client();
    await c.send(mSearch('ssdp:all', gw.ssdpAddress), gw.ssdpAddress.port);
    await c.waitFor(4);
    await settle(c, 4);
    expect(c.received.map((r) => headerOf(r.msg, 'USN')).sort()).toEqual(
      [`${root}::upnp:rootdevice`, root, `${root}::${IGD2}`, `${root}::urn:schemas-upnp-org:service:Layer3Forwarding:1`].sort(),
    );
    const ipc = 'urn:schemas-upnp-org:service:WANIPConnection:1';
    await c.send(mSearch(ipc, gw.ssdpAddress), gw.ssdpAddress.port);
    const all = await c.waitFor(5);
    expect(headerOf(all[4]!.msg, 'USN')).toBe(`${wcd}::${ipc}`);
  });

  it('after stop() the SSDP port is closed: no answers, no events', async () => {
    const gw = await startGateway({ scenario: 'scenarios/default.yaml', mxDelay: 'none', clock: new FakeClock(0) });
    const searches: unknown[] = [];
    gw.events.on('ssdp-search', (e) => searches.push(e));
    await gw.stop();
    const c = await client();
    await c.send(mSearch(IGD1, gw.ssdpAddress), gw.ssdpAddress.port).catch(() => undefined);
    await settle(c, 0);
    expect(c.received).toEqual([]);
    expect(searches).toEqual([]);
  });
});
