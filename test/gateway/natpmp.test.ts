/** startGateway's NAT-PMP server on loopback: real UDP datagrams, replies from the gateway's address and port. */
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { encodeNatpmpRequest, type NatpmpResponse, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { parseScenario } from '../../src/scenario/loader.js';

/** Sends one datagram from 127.0.0.1 and waits for the reply (or times out after `ms`). */
async function exchange(
  gw: GatewayHandle,
  bytes: Uint8Array,
  ms = 1000,
): Promise<{ reply: NatpmpResponse; from: dgram.RemoteInfo } | undefined> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  try {
    return await new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), ms);
      socket.once('message', (msg, from) => {
        clearTimeout(t);
        resolve({ reply: parseNatpmpResponse(msg), from });
      });
      socket.send(bytes, gw.natpmpAddress!.port, gw.natpmpAddress!.address);
    });
  } finally {
    socket.close();
  }
}

const scenario = (natpmp: boolean): ReturnType<typeof parseScenario> =>
  parseScenario(
    `name: natpmp
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { upnp: true, natpmp: ${natpmp} } }
hosts:
  h: { router: gw, address: 10.7.0.2 }
`,
    'natpmp.yaml',
  );

describe('startGateway: NAT-PMP', () => {
  it('answers opcode 0 and maps from its own address and port; the mapping is listed with origin natpmp', async () => {
    await using gw = await startGateway({ scenario: scenario(true), natpmp: { port: 0 }, clock: new FakeClock(0) });
    expect(gw.natpmpAddress).toMatchObject({ address: '127.0.0.1' });
    const a = await exchange(gw, encodeNatpmpRequest({ opcode: 0 }));
    expect(a?.from).toMatchObject({ address: '127.0.0.1', port: gw.natpmpAddress!.port });
    expect(a?.reply).toEqual({ version: 0, opcode: 128, result: 0, epoch: 0, address: '81.2.69.160' });
    const m = await exchange(gw, encodeNatpmpRequest({ opcode: 2, internalPort: 8000, externalPort: 8000, lifetime: 3600 }));
    expect(m?.reply).toMatchObject({ opcode: 130, result: 0, internalPort: 8000, externalPort: 8000, lifetime: 3600 });
    // A loopback sender stands for the LAN address after the router's, as for UPnP.
    expect(gw.listMappings()).toEqual([
      expect.objectContaining({
        protocol: 'TCP',
        externalPort: 8000,
        internalClient: '10.7.0.2',
        internalPort: 8000,
        origin: 'natpmp',
        leaseDuration: 3600,
      }),
    ]);
    gw.advance(10_000);
    expect((await exchange(gw, encodeNatpmpRequest({ opcode: 0 })))?.reply.epoch).toBe(10);
    gw.reset();
    expect(gw.listMappings()).toEqual([]);
    expect((await exchange(gw, encodeNatpmpRequest({ opcode: 0 })))?.reply.epoch).toBe(0);
    expect((await exchange(gw, Uint8Array.of(1, 0)))?.reply).toEqual({ version: 0, opcode: 128, result: 1, epoch: 0 });
  });

  it('is on by default where the scenario router offers natpmp, off otherwise, and off when asked', async () => {
    await using on = await startGateway({ scenario: scenario(true) });
    expect(on.natpmpAddress?.port).toBeGreaterThan(0);
    await using off = await startGateway({ scenario: scenario(false) });
    expect(off.natpmpAddress).toBeUndefined();
    await using forcedOff = await startGateway({ scenario: scenario(true), natpmp: false });
    expect(forcedOff.natpmpAddress).toBeUndefined();
  });

  it('reports requests as natpmp events, with the refusal behind a non-zero result', async () => {
    await using gw = await startGateway({ scenario: scenario(true), profile: 'disconnected-wan' });
    const seen: unknown[] = [];
    gw.events.on('natpmp', (e) => seen.push(e));
    expect((await exchange(gw, encodeNatpmpRequest({ opcode: 1, internalPort: 5000, lifetime: 60 })))?.reply).toMatchObject({ result: 3 });
    expect(seen).toEqual([
      expect.objectContaining({
        type: 'natpmp-request',
        client: '10.7.0.2',
        opcode: 1,
        result: 3,
        detail: expect.stringMatching(/^forwarding-disabled/),
      }),
    ]);
  });

  it('an invalid natpmp option is a NatsimError naming it', async () => {
    await expect(startGateway({ natpmp: { port: 70000 } })).rejects.toMatchObject({
      code: 'ERR_NATSIM_INVALID_OPTION',
      option: 'natpmp.port',
    });
    await expect(startGateway({ natpmp: 'yes' as never })).rejects.toMatchObject({ code: 'ERR_NATSIM_INVALID_OPTION', option: 'natpmp' });
  });
});
