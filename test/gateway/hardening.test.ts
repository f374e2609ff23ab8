/**
 * Hardening of the gateway's HTTP server (startGateway, hence `natsim serve` too; cli-serve.test.ts
 * repeats the wire checks against the real process): timeouts are configured, an oversized body
 * is 413, a garbage body is a SOAP fault, and a flood of malformed requests leaves it answering.
 * No timing is measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HTTP_LIMITS, type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import {
  envelope,
  exchange,
  faultEnvelope,
  IPC2,
  MALFORMED_STATUS,
  malformedKind,
  malformedRequests,
  mappingArgs,
  portOf,
  rawRequest,
  rawSoap,
  soap,
} from './helpers.js';

let gw: GatewayHandle;

beforeAll(async () => {
  gw = await startGateway({ scenario: 'scenarios/default.yaml', mxDelay: 'none', clock: new FakeClock(0) });
});
afterAll(async () => {
  await gw?.stop();
});

describe('gateway HTTP hardening', () => {
  it('runs with header, request and keep-alive timeouts, a header size limit and a connection cap', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      maxHeaderBytes: 16 * 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 15_000,
      keepAliveTimeoutMs: 5_000,
      checkIntervalMs: 1_000,
      maxConnections: 512,
    });
    expect(gw.httpLimits).toEqual({ ...DEFAULT_HTTP_LIMITS, maxBodyBytes: 64 * 1024 });
  });

  it('enforces them: a slow header gets 408, an idle connection is closed', async () => {
    await using quick = await startGateway({
      scenario: 'scenarios/default.yaml',
      mxDelay: 'none',
      clock: new FakeClock(0),
      httpLimits: { headersTimeoutMs: 150, keepAliveTimeoutMs: 150, checkIntervalMs: 50 },
    });
    const port = portOf(quick.descriptionUrl);
    // Headers never finished: 408 and closed.
    const slow = await exchange(port, ['GET /rootDesc.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n'], { end: false });
    expect(slow).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slow).toContain('Connection: close\r\n');
    // A complete keep-alive request is answered, then the idle connection is closed by the server.
    const idle = await exchange(port, ['GET /rootDesc.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'], { end: false });
    expect(idle).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(idle).not.toContain('Connection: close');
  });

  it('answers an oversized body with 413 (with and without Content-Length)', async () => {
    const big = await fetch(new URL('/ctl/IPConn', gw.descriptionUrl), {
      method: 'POST',
      headers: { SOAPAction: `"${IPC2}#AddPortMapping"`, 'Content-Type': 'text/xml' },
      body: 'x'.repeat(1_000_000),
    });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('<TITLE>413 Request Entity Too Large</TITLE>');

    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 100; i++) c.enqueue(new TextEncoder().encode('y'.repeat(1000)));
        c.close();
      },
    });
    const chunked = await fetch(new URL('/ctl/IPConn', gw.descriptionUrl), {
      method: 'POST',
      headers: { SOAPAction: `"${IPC2}#AddPortMapping"` },
      body: chunks,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    expect(chunked.status).toBe(413);
    await chunked.text();
  });

  it('answers a garbage body with a SOAP fault, not a crash', async () => {
    const known = await soap(gw, 'AddPortMapping', {}, { body: '<<<this is not XML' });
    expect([known.status, known.body]).toEqual([500, faultEnvelope(402, 'Invalid Args')]);
    const unknown = await soap(gw, 'NoSuchAction', {}, { body: '\u0000\u0001garbage' });
    expect([unknown.status, unknown.body]).toEqual([500, faultEnvelope(401, 'Invalid Action')]);
    const entity = await soap(
      gw,
      'AddPortMapping',
      {},
      {
        body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><s:Envelope>&e;</s:Envelope>',
      },
    );
    expect(entity.code).toBe(402);
    expect(entity.body).not.toContain('root:');
    // As miniupnpd: an action without arguments does not need a body.
    const empty = await soap(gw, 'GetExternalIPAddress', {}, { body: '' });
    expect(empty.status).toBe(200);
    const emptyAdd = await soap(gw, 'AddPortMapping', {}, { body: '' });
    expect(emptyAdd.code).toBe(402);
    // And it still works.
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.10');
  });

  it('a flood of 200 malformed requests leaves the server answering', async () => {
    const port = portOf(gw.descriptionUrl);
    const host = `127.0.0.1:${port}`;
    const faults: number[] = [];
    gw.events.on('fault', (f) => faults.push(f.code));
    const answers = await Promise.all(malformedRequests(host).map((r) => rawRequest(port, r)));
    // Every one got its proper answer (and the connection closed), none hung until our timeout.
    const statuses = answers.map((a) => /^HTTP\/1\.1 (\d{3})/.exec(a)?.[1] ?? 'closed');
    expect(statuses).toEqual(answers.map((_, i) => MALFORMED_STATUS[malformedKind(i)]));
    const soapFaults = answers.filter((_, i) => MALFORMED_STATUS[malformedKind(i)] === '500');
    for (const a of soapFaults) expect(a).toMatch(/<errorCode>40[12]<\/errorCode>/);
    expect(faults).toHaveLength(soapFaults.length);
    expect(faults.every((c) => c === 401 || c === 402)).toBe(true);

    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('203.0.113.10');
    expect((await soap(gw, 'AddPortMapping', mappingArgs({ NewExternalPort: 9999 }))).status).toBe(200);
    expect(gw.listMappings()).toEqual([expect.objectContaining({ externalPort: 9999 })]);
    const desc = await rawRequest(port, `GET /rootDesc.xml HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(desc.startsWith('HTTP/1.1 200 ')).toBe(true);
    const ok = await rawRequest(port, rawSoap(host, 'GetStatusInfo', envelope('GetStatusInfo', IPC2)));
    expect(ok).toContain('<NewConnectionStatus>Connected</NewConnectionStatus>');
  });
});
