import { describe, expect, it } from 'vitest';
import { type DeliverFn, GenaPublisher, type GenaRequest, propertySet, selectCallback } from '../../src/soap/gena.js';
import { GENA_LIMITS } from '../../src/soap/soap-constants.js';
import { call, makeFixture, mapping } from './helpers.js';

interface Sent {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
}

function recorder(fail = false): { deliver: DeliverFn; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    deliver: async (url, headers, body) => {
      sent.push({ url, headers, body });
      if (fail) throw new Error('connection refused');
    },
  };
}

const PEER = '192.168.1.20';
const sub = (over: Partial<GenaRequest> = {}): GenaRequest => ({
  method: 'SUBSCRIBE',
  path: '/evt/IPConn',
  peer: PEER,
  nt: 'upnp:event',
  callback: `<http://${PEER}:4000/notify>`,
  timeout: 'Second-3600',
  ...over,
});

describe('SUBSCRIBE', () => {
  it('creates a subscription, answers SID and TIMEOUT, then sends the initial NOTIFY with SEQ 0', async () => {
    const rec = recorder();
    const { igd } = makeFixture({ deliver: rec.deliver });
    const r = igd.gena.handle(sub());
    expect(r.status).toBe(200);
    expect(r.headers.Timeout).toBe('Second-3600');
    expect(r.headers.SID).toMatch(/^uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rec.sent).toHaveLength(0);
    r.afterResponse!();
    await igd.gena.flush();
    expect(rec.sent).toHaveLength(1);
    const n = rec.sent[0]!;
    expect(n.url).toBe(`http://${PEER}:4000/notify`);
    expect(n.headers).toMatchObject({
      Host: `${PEER}:4000`,
      'Content-Type': 'text/xml; charset="utf-8"',
      NT: 'upnp:event',
      NTS: 'upnp:propchange',
      SID: r.headers.SID,
      SEQ: '0',
      Connection: 'close',
      'Cache-Control': 'no-cache',
    });
    expect(n.body).toBe(
      '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">' +
        '<e:property><PossibleConnectionTypes>IP_Routed</PossibleConnectionTypes></e:property>' +
        '<e:property><ConnectionStatus>Connected</ConnectionStatus></e:property>' +
        '<e:property><ExternalIPAddress>81.2.69.160</ExternalIPAddress></e:property>' +
        '<e:property><PortMappingNumberOfEntries>0</PortMappingNumberOfEntries></e:property>' +
        '<e:property><SystemUpdateID>1</SystemUpdateID></e:property></e:propertyset>\r\n',
    );
    expect(n.headers['Content-Length']).toBe(String(Buffer.byteLength(n.body)));
  });

  it('status codes: Callback+SID 400, neither 412, bad NT 412, unknown path 412', () => {
    const { igd } = makeFixture();
    expect(igd.gena.handle(sub({ sid: 'uuid:x' })).status).toBe(400);
    expect(igd.gena.handle(sub({ callback: undefined, nt: undefined })).status).toBe(412);
    expect(igd.gena.handle(sub({ nt: 'upnp:propchange' })).status).toBe(412);
    expect(igd.gena.handle(sub({ nt: undefined })).status).toBe(412);
    expect(igd.gena.handle(sub({ path: '/evt/Nope' })).status).toBe(412);
    const r = igd.gena.handle(sub({ sid: 'uuid:x' }));
    expect(r.statusText).toBe('Incompatible header fields');
  });

  it('CallStranger: callbacks to another host are refused (412); the first own-address URL is used', async () => {
    const rec = recorder();
    const { igd } = makeFixture({ deliver: rec.deliver });
    expect(igd.gena.handle(sub({ callback: '<http://203.0.113.9/evil>' })).status).toBe(412);
    expect(igd.gena.handle(sub({ callback: '<http://192.168.1.21:80/x>' })).status).toBe(412);
    expect(igd.gena.handle(sub({ callback: '<https://192.168.1.20/x>' })).status).toBe(412);
    const r = igd.gena.handle(sub({ callback: `<http://203.0.113.9/evil><http://${PEER}/cb>` }));
    expect(r.status).toBe(200);
    r.afterResponse!();
    await igd.gena.flush();
    expect(rec.sent.map((s) => s.url)).toEqual([`http://${PEER}/cb`]);
    expect(rec.sent[0]!.headers.Host).toBe(PEER);
  });

  it('TIMEOUT: below 1800, infinite or absent become 1800; subscriptions expire on the clock', () => {
    const { igd, clock } = makeFixture();
    expect(igd.gena.handle(sub({ timeout: 'Second-60' })).headers.Timeout).toBe('Second-1800');
    expect(igd.gena.handle(sub({ timeout: 'Second-infinite' })).headers.Timeout).toBe('Second-1800');
    const r = igd.gena.handle(sub({ timeout: undefined }));
    expect(r.headers.Timeout).toBe('Second-1800');
    expect(igd.gena.subscriptions()).toHaveLength(3);
    clock.advance(1800_000);
    expect(igd.gena.subscriptions()).toHaveLength(3);
    clock.advance(1);
    expect(igd.gena.subscriptions()).toHaveLength(0);
    expect(
      igd.gena.handle({ method: 'SUBSCRIBE', path: '/evt/IPConn', peer: PEER, sid: r.headers.SID, timeout: 'Second-1800' }).status,
    ).toBe(412);
  });

  it('renewal with SID only; NT with SID is 400; unknown SID 412', () => {
    const { igd, clock } = makeFixture();
    const r = igd.gena.handle(sub());
    const sid = r.headers.SID!;
    clock.advance(3000_000);
    const renew = igd.gena.handle({ method: 'SUBSCRIBE', path: '/evt/IPConn', peer: PEER, sid, timeout: 'Second-7200' });
    expect(renew).toMatchObject({ status: 200, headers: { SID: sid, Timeout: 'Second-7200' } });
    clock.advance(7000_000);
    expect(igd.gena.subscriptions()).toHaveLength(1);
    expect(igd.gena.handle({ method: 'SUBSCRIBE', path: '/evt/IPConn', peer: PEER, sid, nt: 'upnp:event' }).status).toBe(400);
    expect(
      igd.gena.handle({ method: 'SUBSCRIBE', path: '/evt/IPConn', peer: PEER, sid: 'uuid:00000000-0000-0000-0000-000000000000' }).status,
    ).toBe(412);
  });

  it('UNSUBSCRIBE: removes; missing SID 412; NT/CALLBACK 400; unknown 412', () => {
    const { igd } = makeFixture();
    const sid = igd.gena.handle(sub()).headers.SID!;
    const un = (over: Partial<GenaRequest>): number =>
      igd.gena.handle({ method: 'UNSUBSCRIBE', path: '/evt/IPConn', peer: PEER, ...over }).status;
    expect(un({})).toBe(412);
    expect(un({ sid, nt: 'upnp:event' })).toBe(400);
    expect(un({ sid, callback: '<http://x/>' })).toBe(400);
    expect(un({ sid })).toBe(200);
    expect(un({ sid })).toBe(412);
    expect(igd.gena.subscriptions()).toHaveLength(0);
  });
});

describe('NOTIFY on changes', () => {
  it('mapping added/removed/expired → WANIPConnection NOTIFY with SEQ incrementing; refresh sends nothing', async () => {
    const rec = recorder();
    const { igd, clock, router } = makeFixture({ deliver: rec.deliver });
    const r = igd.gena.handle(sub());
    r.afterResponse!();
    await igd.gena.flush();
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 60 }));
    await igd.gena.flush();
    call(igd, 'AddPortMapping', mapping({ NewLeaseDuration: 120 }));
    await igd.gena.flush();
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001, NewLeaseDuration: 10 }));
    await igd.gena.flush();
    clock.advance(10_000);
    router.expire(clock.now());
    await igd.gena.flush();
    call(igd, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    await igd.gena.flush();
    expect(rec.sent.map((s) => s.headers.SEQ)).toEqual(['0', '1', '2', '3', '4']);
    const counts = rec.sent.map((s) => /<PortMappingNumberOfEntries>(\d+)</.exec(s.body)![1]);
    expect(counts).toEqual(['0', '1', '2', '1', '0']);
  });

  it("GENA is a subscriber of the model: a NAT-PMP mapping made through the mapping service notifies; another router's does not", async () => {
    const rec = recorder();
    const { igd, router, network, clock } = makeFixture({ deliver: rec.deliver });
    const other = network.addRouter({ id: 'r2', wan: '81.2.69.161', lan: '192.168.2.0/24' });
    igd.gena.handle(sub()).afterResponse!();
    await igd.gena.flush();
    rec.sent.length = 0;
    const req = (client: string) => ({
      requester: client,
      protocol: 'udp' as const,
      internalClient: client,
      internalPort: 7000,
      externalPort: 7000,
      lifetime: 60,
      origin: 'natpmp' as const,
    });
    expect(other.mappings.request(req('192.168.2.20'), clock.now()).ok).toBe(true);
    await igd.gena.flush();
    expect(rec.sent).toEqual([]);
    expect(router.mappings.request(req('192.168.1.20'), clock.now()).ok).toBe(true);
    await igd.gena.flush();
    expect(rec.sent.map((s) => /<PortMappingNumberOfEntries>(\d+)</.exec(s.body)![1])).toEqual(['1']);
  });

  it('WAN address and status changes notify the right services', async () => {
    const rec = recorder();
    const { igd, router } = makeFixture({ deliver: rec.deliver });
    const ipc = igd.gena.handle(sub());
    const cfg = igd.gena.handle(sub({ path: '/evt/CmnIfCfg', callback: `<http://${PEER}:4000/cfg>` }));
    const l3f = igd.gena.handle(sub({ path: '/evt/L3F', callback: `<http://${PEER}:4000/l3f>` }));
    for (const r of [ipc, cfg, l3f]) r.afterResponse!();
    await igd.gena.flush();
    expect(rec.sent.find((s) => s.url.endsWith('/cfg'))!.body).toContain('<PhysicalLinkStatus>Up</PhysicalLinkStatus>');
    expect(rec.sent.find((s) => s.url.endsWith('/l3f'))!.body).toContain(
      `<DefaultConnectionService>${igd.udns.wanConnectionDevice}:WANConnectionDevice:2,urn:upnp-org:serviceId:WANIPConn1</DefaultConnectionService>`,
    );
    rec.sent.length = 0;
    router.setWanAddress('81.2.69.170');
    await igd.gena.flush();
    expect(rec.sent.map((s) => s.url)).toEqual([`http://${PEER}:4000/notify`]);
    expect(rec.sent[0]!.body).toContain('<ExternalIPAddress>81.2.69.170</ExternalIPAddress>');
    rec.sent.length = 0;
    router.setWanUp(false);
    await igd.gena.flush();
    expect(rec.sent.map((s) => s.url).sort()).toEqual([`http://${PEER}:4000/cfg`, `http://${PEER}:4000/notify`]);
    expect(rec.sent.find((s) => s.url.endsWith('/cfg'))!.body).toContain('<PhysicalLinkStatus>Down</PhysicalLinkStatus>');
    expect(rec.sent.find((s) => s.url.endsWith('/notify'))!.body).toContain('<ConnectionStatus>Disconnected</ConnectionStatus><');
    expect(rec.sent.find((s) => s.url.endsWith('/notify'))!.body).toContain('<ExternalIPAddress>0.0.0.0</ExternalIPAddress>');
  });

  it('a failed delivery drops the subscription (miniupnpd)', async () => {
    const rec = recorder(true);
    const { igd, events } = makeFixture({ deliver: rec.deliver });
    igd.gena.handle(sub()).afterResponse!();
    await igd.gena.flush();
    expect(igd.gena.subscriptions()).toHaveLength(0);
    expect(events.some((e) => e.type === 'notify' && !e.ok)).toBe(true);
  });

  it('changes during an in-flight NOTIFY are sent once it completes, one event per change with its values', async () => {
    let release: () => void = () => {};
    const sent: string[] = [];
    const counts: string[] = [];
    const deliver: DeliverFn = (_u, h, body) => {
      sent.push(h.SEQ!);
      counts.push(/<PortMappingNumberOfEntries>(\d+)</.exec(body)![1]!);
      return new Promise<void>((res) => {
        release = res;
      });
    };
    const { igd } = makeFixture({ deliver });
    igd.gena.handle(sub()).afterResponse!();
    call(igd, 'AddPortMapping', mapping());
    call(igd, 'AddPortMapping', mapping({ NewExternalPort: 5001 }));
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['0']);
    release();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['0', '1']);
    release();
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['0', '1', '2']);
    release();
    await igd.gena.flush();
    expect(sent).toEqual(['0', '1', '2']);
    expect(counts).toEqual(['0', '1', '2']);
  });

  it('a subscriber that falls behind gets at most GENA_LIMITS.queuedEvents queued events, the last with the newest values', async () => {
    let release: () => void = () => {};
    const counts: string[] = [];
    const deliver: DeliverFn = (_u, _h, body) => {
      counts.push(/<PortMappingNumberOfEntries>(\d+)</.exec(body)![1]!);
      return new Promise<void>((res) => {
        release = res;
      });
    };
    const { igd } = makeFixture({ deliver });
    igd.gena.handle(sub()).afterResponse!();
    await new Promise((r) => setImmediate(r));
    for (let p = 6000; p < 6040; p++) call(igd, 'AddPortMapping', mapping({ NewExternalPort: p }));
    for (let i = 0; i < 60; i++) {
      release();
      await new Promise((r) => setImmediate(r));
    }
    await igd.gena.flush();
    expect(counts).toHaveLength(1 + GENA_LIMITS.queuedEvents);
    expect(counts.slice(0, 4)).toEqual(['0', '1', '2', '3']);
    expect(counts.at(-1)).toBe('40');
  });

  it('close() detaches from the router', async () => {
    const rec = recorder();
    const { igd, router } = makeFixture({ deliver: rec.deliver });
    igd.gena.handle(sub());
    igd.close();
    router.setWanAddress('81.2.69.171');
    await igd.gena.flush();
    expect(rec.sent).toHaveLength(0);
  });
});

describe('helpers', () => {
  it('selectCallback', () => {
    expect(selectCallback('<http://10.0.0.2:1/a>', '10.0.0.2')).toBe('http://10.0.0.2:1/a');
    expect(selectCallback('<http://10.0.0.2.evil.com/a>', '10.0.0.2')).toBeUndefined();
    expect(selectCallback('http://10.0.0.2/a', '10.0.0.2')).toBeUndefined();
    expect(selectCallback('<http://[::1]:5/a>', '::1')).toBe('http://[::1]:5/a');
  });

  it('propertySet escapes values', () => {
    expect(propertySet([['A', 'x<y']])).toBe(
      '<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0"><e:property><A>x&lt;y</A></e:property></e:propertyset>',
    );
  });

  it('a publisher without deliver still counts SEQ', () => {
    const clock = { now: () => 0 };
    const g = new GenaPublisher({ clock, properties: () => [['A', '1']] });
    const r = g.handle(sub());
    r.afterResponse!();
    g.notify('WANIPConnection');
    expect(g.subscriptions()[0]!.seq).toBe(2);
  });
});
