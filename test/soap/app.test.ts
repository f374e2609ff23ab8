import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, SeededRng } from '../../src/nat/clock.js';
import { Network } from '../../src/nat/network.js';
import type { UpnpAppOptions } from '../../src/soap/app.js';
import { createUpnpApp } from '../../src/soap/express-app.js';
import { type DeliverFn, httpDeliver } from '../../src/soap/gena.js';
import { IPC2, mapping, PUBLIC_WAN, soapBody } from './helpers.js';

interface Reply {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(options: Partial<UpnpAppOptions> = {}) {
  const clock = new FakeClock(5_000_000);
  const network = new Network({ clock, rng: new SeededRng(1) });
  const router = network.addRouter({ id: 'gw', wan: PUBLIC_WAN, lan: '192.168.1.0/24' });
  const app = createUpnpApp({ router, clock, ...options });
  const server = http.createServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const request = (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, body: data }),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  const soap = (action: string, args: Record<string, string | number> = {}, serviceType = IPC2): Promise<Reply> =>
    request(
      'POST',
      '/ctl/IPConn',
      { SOAPAction: `"${serviceType}#${action}"`, 'Content-Type': 'text/xml; charset="utf-8"' },
      soapBody(action, serviceType, args),
    );
  return { app, router, clock, port, request, soap };
}

describe('HTTP: connections', () => {
  it('keeps a connection open for the next request when the client offers keep-alive', async () => {
    const { request, soap } = await start();
    const a = await request('GET', '/rootDesc.xml', { Connection: 'keep-alive' });
    expect(a.headers.connection).toBe('keep-alive');
    const b = await soap('GetExternalIPAddress');
    expect(b.status).toBe(200);
    expect(b.headers.connection).toBe('keep-alive');
  });

  it('closes when the client asks to (upnpc, python miniupnpc and nat-upnp do)', async () => {
    const { request } = await start();
    const r = await request('GET', '/rootDesc.xml', { Connection: 'close' });
    expect(r.headers.connection).toBe('close');
  });

  it('closes after every reply with keepAlive: false, as miniupnpd', async () => {
    const { request, soap } = await start({ keepAlive: false });
    expect((await request('GET', '/rootDesc.xml', { Connection: 'keep-alive' })).headers.connection).toBe('close');
    expect((await soap('GetExternalIPAddress')).headers.connection).toBe('close');
  });

  it('closes after refusing a body it did not read (413)', async () => {
    const { request } = await start({ bodyLimit: 100 });
    const r = await request('POST', '/ctl/IPConn', { Connection: 'keep-alive', SOAPAction: '"x#y"' }, 'x'.repeat(5000));
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
  });
});

describe('HTTP: descriptions and routing', () => {
  it("serves the root description with miniupnpd's headers", async () => {
    const { request } = await start();
    const r = await request('GET', '/rootDesc.xml');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/xml; charset="utf-8"');
    expect(r.headers.connection).toBe('keep-alive'); // the client offered it (see the next tests)
    expect(r.headers.server).toMatch(/MiniUPnPd/);
    expect(r.headers.ext).toBe('');
    expect(r.headers['x-powered-by']).toBeUndefined();
    expect(r.headers.etag).toBeUndefined();
    expect(r.headers.date).toBeUndefined();
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(r.body).toContain('<deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType>');
    for (const p of ['/WANIPCn.xml', '/WANCfg.xml', '/L3F.xml', '/wanipcn.XML']) expect((await request('GET', p)).status, p).toBe(200);
  });

  it('answers Content-Language from Accept-Language', async () => {
    const { request } = await start();
    expect((await request('GET', '/rootDesc.xml', { 'Accept-Language': 'fr-FR, en;q=0.5' })).headers['content-language']).toBe('fr-FR');
    expect((await request('GET', '/rootDesc.xml', { 'Accept-Language': '*' })).headers['content-language']).toBe('en');
  });

  it('405 for GET on control and event URLs, 404 elsewhere, 501 for other methods', async () => {
    const { request } = await start();
    const ctl = await request('GET', '/ctl/IPConn');
    expect(ctl.status).toBe(405);
    expect(ctl.headers.allow).toBe('POST');
    expect(ctl.headers['content-type']).toBe('text/html');
    const evt = await request('GET', '/evt/IPConn');
    expect(evt.status).toBe(405);
    expect(evt.headers.allow).toBe('SUBSCRIBE, UNSUBSCRIBE');
    const nf = await request('GET', '/nope');
    expect(nf.status).toBe(404);
    expect(nf.body).toContain('<TITLE>404 Not Found</TITLE>');
    expect((await request('PUT', '/ctl/IPConn', {}, 'x')).status).toBe(501);
    expect((await request('DELETE', '/rootDesc.xml')).status).toBe(501);
  });

  it('404 for a non-numeric Host header (DNS rebinding guard)', async () => {
    const { request } = await start();
    expect((await request('GET', '/rootDesc.xml', { Host: 'evil.example.com' })).status).toBe(404);
    expect((await request('GET', '/rootDesc.xml', { Host: '127.0.0.1:1234' })).status).toBe(200);
    const lax = await start({ checkHostHeader: false });
    expect((await lax.request('GET', '/rootDesc.xml', { Host: 'evil.example.com' })).status).toBe(200);
  });

  it("403 for requesters outside the router's LAN", async () => {
    const events: string[] = [];
    const { request } = await start({ trustLoopbackAs: '10.9.9.9', onEvent: (e) => events.push(e.type) });
    const r = await request('GET', '/rootDesc.xml');
    expect(r.status).toBe(403);
    expect(events).toContain('refused');
    const custom = await start({ clientAddress: () => '172.16.0.1' });
    expect((await custom.request('GET', '/rootDesc.xml')).status).toBe(403);
  });
});

describe('HTTP: SOAP control', () => {
  it('a loopback client (upnpc on 127.0.0.1) maps its LAN stand-in address', async () => {
    const { soap, router } = await start();
    const add = await soap('AddPortMapping', mapping({ NewInternalClient: '127.0.0.1' }));
    expect(add.status).toBe(200);
    expect(add.headers['content-type']).toBe('text/xml; charset="utf-8"');
    expect(add.body).toContain(`<u:AddPortMappingResponse xmlns:u="${IPC2}"/>`);
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.2');
    const get = await soap('GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'UDP' });
    expect(get.body).toContain('<NewInternalClient>192.168.1.2</NewInternalClient>');
    const other = await soap('AddPortMapping', mapping({ NewExternalPort: 5001, NewInternalClient: '192.168.1.77' }));
    expect(other.status).toBe(500);
    expect(other.statusMessage).toBe('Internal Server Error');
    expect(other.body).toContain('<errorCode>606</errorCode>');
  });

  it('trustLoopbackAs chooses the LAN address of loopback clients', async () => {
    const { soap, router } = await start({ trustLoopbackAs: '192.168.1.50' });
    await soap('AddPortMapping', mapping({ NewInternalClient: '127.0.0.1' }));
    expect(router.forwards.find('udp', 5000)?.internalClient).toBe('192.168.1.50');
  });

  it('POST without SOAPACTION is 400; an oversized body is 413; garbage is a 402 fault', async () => {
    const { request } = await start({ bodyLimit: 2048 });
    const noAction = await request('POST', '/ctl/IPConn', { 'Content-Type': 'text/xml' }, soapBody('GetStatusInfo', IPC2));
    expect(noAction.status).toBe(400);
    expect(noAction.body).toBe('<html><body>Bad request</body></html>');
    const big = await request(
      'POST',
      '/ctl/IPConn',
      { SOAPAction: `"${IPC2}#AddPortMapping"` },
      soapBody('AddPortMapping', IPC2, { NewPortMappingDescription: 'x'.repeat(5000) }),
    );
    expect(big.status).toBe(413);
    const garbage = await request('POST', '/ctl/IPConn', { SOAPAction: `"${IPC2}#AddPortMapping"` }, '<<<>>>');
    expect(garbage.status).toBe(500);
    expect(garbage.body).toContain('<errorCode>402</errorCode>');
    const empty = await request('POST', '/ctl/IPConn', { SOAPAction: `"${IPC2}#GetExternalIPAddress"` });
    expect(empty.status).toBe(200);
    expect(empty.body).toContain(`<NewExternalIPAddress>${PUBLIC_WAN}</NewExternalIPAddress>`);
  });

  it('expiry on the injected clock is visible over HTTP', async () => {
    const { soap, clock } = await start();
    await soap('AddPortMapping', mapping({ NewInternalClient: '127.0.0.1', NewLeaseDuration: 30 }));
    clock.advance(20_000);
    expect((await soap('GetGenericPortMappingEntry', { NewPortMappingIndex: 0 })).body).toContain(
      '<NewLeaseDuration>10</NewLeaseDuration>',
    );
    clock.advance(10_000);
    expect((await soap('GetGenericPortMappingEntry', { NewPortMappingIndex: 0 })).body).toContain('<errorCode>713</errorCode>');
  });
});

describe('HTTP: GENA', () => {
  it("SUBSCRIBE answers SID and TIMEOUT, then NOTIFYs the callback on the subscriber's own address", async () => {
    const sent: Array<{ url: string; seq: string }> = [];
    let notified!: () => void;
    const first = new Promise<void>((r) => (notified = r));
    const deliver: DeliverFn = async (url, headers) => {
      sent.push({ url, seq: headers.SEQ! });
      notified();
    };
    const { request, app } = await start({ deliver });
    const r = await request('SUBSCRIBE', '/evt/IPConn', { NT: 'upnp:event', CALLBACK: '<http://127.0.0.1:9/cb>', TIMEOUT: 'Second-300' });
    expect(r.status).toBe(200);
    expect(r.headers.timeout).toBe('Second-1800');
    expect(r.headers.sid).toMatch(/^uuid:/);
    expect(r.body).toBe('');
    await first;
    expect(sent).toEqual([{ url: 'http://127.0.0.1:9/cb', seq: '0' }]);
    expect(app.upnp.gena.subscriptions()).toHaveLength(1);
    const bad = await request('SUBSCRIBE', '/evt/IPConn', { NT: 'upnp:event', CALLBACK: '<http://192.168.1.2:9/cb>' });
    expect(bad.status).toBe(412);
    expect(bad.statusMessage).toBe('Precondition Failed');
    const both = await request('SUBSCRIBE', '/evt/IPConn', {
      NT: 'upnp:event',
      CALLBACK: '<http://127.0.0.1:9/cb>',
      SID: r.headers.sid as string,
    });
    expect(both.status).toBe(400);
    const un = await request('UNSUBSCRIBE', '/evt/IPConn', { SID: r.headers.sid as string });
    expect(un.status).toBe(200);
    expect(app.upnp.gena.subscriptions()).toHaveLength(0);
    app.close();
  });

  it('httpDeliver sends a NOTIFY request and reports HTTP errors', async () => {
    const got: Array<{ method: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    let status = 200;
    const sink = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ method: req.method ?? '', headers: req.headers, body });
        res.writeHead(status).end();
      });
    });
    servers.push(sink);
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/cb`;
    const deliver = httpDeliver(2000);
    await deliver(
      url,
      { NT: 'upnp:event', NTS: 'upnp:propchange', SID: 'uuid:x', SEQ: '0', 'Content-Type': 'text/xml; charset="utf-8"' },
      '<e:propertyset/>\r\n',
    );
    expect(got[0]).toMatchObject({
      method: 'NOTIFY',
      body: '<e:propertyset/>\r\n',
      headers: { nt: 'upnp:event', seq: '0', sid: 'uuid:x' },
    });
    status = 412;
    await expect(deliver(url, { SEQ: '1' }, 'x')).rejects.toThrow(/412/);
  });
});
