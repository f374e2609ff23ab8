/** ANNOUNCE, the epoch, version negotiation, who is answered, and PEER (RFC 6887 §8, §9, §12, §14). */
import { describe, expect, it } from 'vitest';
import { PCP_OPCODE as OP, PCP_RESULT as R } from '../../src/constants.js';
import { encodePcpRequest, thirdPartyOption } from '../../src/pcp/request.js';
import { HOST, OTHER, PEER, pcpFixture, TCP, WAN } from './helpers.js';

describe('PCP ANNOUNCE and the epoch', () => {
  it('ANNOUNCE is answered SUCCESS with lifetime 0, the common header only, and the epoch', () => {
    const f = pcpFixture();
    f.clock.advance(12_345);
    expect(f.ask({ opcode: OP.Announce })).toMatchObject({ version: 2, opcode: 0, result: R.SUCCESS, lifetime: 0, epoch: 12, length: 24 });
  });

  it('every reply carries the epoch: seconds since the mapping state began, reset by a WAN address change', () => {
    const f = pcpFixture();
    expect(f.map().epoch).toBe(0);
    f.clock.advance(90_000);
    expect(f.map({ client: '10.9.9.9' }).epoch).toBe(90);
    f.router.setWanAddress('81.2.69.161', f.clock.now());
    f.clock.advance(5_000);
    expect(f.ask({ opcode: OP.Announce }).epoch).toBe(5);
    expect(f.ask({ opcode: 9 }).epoch).toBe(5);
  });

  it('the epoch is kept across a WAN address change where the profile forgets to reset it', () => {
    const f = pcpFixture(
      {},
      {
        mapping: { policy: { wan: 'live', leases: 'any', rangeDelete: 'honour-manage', maxDescription: 63, epochOnAddressChange: 'keep' } },
      },
    );
    f.clock.advance(90_000);
    f.router.setWanAddress('81.2.69.161', f.clock.now());
    expect(f.ask({ opcode: OP.Announce }).epoch).toBe(90);
  });
});

describe('PCP version negotiation (RFC 6887 §9)', () => {
  it.each([
    ['version 3 to a version-2 server names 2', [2], 3, 2],
    ['version 1 to a version-2 server names 2', [2], 1, 2],
    ['version 2 to a draft (version-1) server names 1', [1], 2, 1],
  ])('%s', (_name, versions, asked, named) => {
    const f = pcpFixture({ versions });
    expect(f.ask({ opcode: OP.Announce, version: asked })).toMatchObject({ result: R.UNSUPP_VERSION, version: named, length: 24 });
  });

  it('a draft server maps with the version-1 layout (no nonce)', () => {
    const f = pcpFixture({ versions: [1] });
    const r = f.map({ version: 1, suggestedPort: 6000 });
    expect(r).toMatchObject({
      version: 1,
      result: R.SUCCESS,
      internalPort: 5000,
      externalPort: 6000,
      externalAddress: { kind: 'ipv4', address: WAN },
    });
  });

  it('a router that speaks no PCP leaves the datagram to NAT-PMP (not answered here)', () => {
    const f = pcpFixture({ versions: [] });
    expect(f.raw(encodePcpRequest({ opcode: OP.Announce, client: HOST }))).toEqual({ ignored: 'not-served' });
  });
});

describe('who gets an answer', () => {
  it.each([
    ['a sender outside the LAN', encodePcpRequest({ opcode: OP.Announce, client: PEER }), PEER, 'not-from-lan'],
    ['a one-byte datagram', new Uint8Array([2]), HOST, 'too-short'],
    ['a response (R bit set)', new Uint8Array([2, 0x80, 0, 0]), HOST, 'response'],
  ])('%s is not answered', (_name, bytes, from, reason) => {
    expect(pcpFixture().raw(bytes, from)).toEqual({ ignored: reason });
  });
});

describe('PCP PEER (RFC 6887 §12)', () => {
  it('creates the NAT session towards the peer and reports its external endpoint and lifetime', () => {
    const f = pcpFixture();
    const r = f.peer({ lifetime: 600 });
    expect(r).toMatchObject({
      opcode: 2,
      result: R.SUCCESS,
      lifetime: 600,
      internalPort: 5000,
      remotePort: 3478,
      remoteAddress: { kind: 'ipv4', address: PEER },
      externalAddress: { kind: 'ipv4', address: WAN },
    });
    expect(f.router.listMappings(f.clock.now())).toMatchObject([
      { protocol: 'udp', internal: `${HOST}:5000`, external: `${WAN}:${r.externalPort}`, remote: `${PEER}:3478` },
    ]);
    expect(r.outcome).toMatchObject({ session: { internal: `${HOST}:5000` } });
  });

  it('keeps the session alive for its lifetime past the UDP idle timer, and a second PEER extends it', () => {
    const f = pcpFixture();
    const first = f.peer({ lifetime: 600 });
    f.clock.advance(500_000);
    expect(f.router.listMappings(f.clock.now())).toHaveLength(1);
    const again = f.peer({ lifetime: 600 });
    expect(again.externalPort).toBe(first.externalPort);
    f.clock.advance(500_000);
    expect(f.router.listMappings(f.clock.now())).toHaveLength(1);
    f.clock.advance(101_000);
    expect(f.router.listMappings(f.clock.now())).toEqual([]);
  });

  it('the peer reaches the internal host through the session', () => {
    const f = pcpFixture();
    f.network.addHost({ id: 'h', address: HOST, on: 'r1' });
    f.network.addHost({ id: 'p', address: PEER });
    const r = f.peer({ protocol: TCP, internalPort: 443, remotePort: 50000 });
    const d = f.network.send('p', {
      proto: 'tcp',
      src: { ip: 0xcb007107, port: 50000 },
      dst: { ip: 0x5102_45a0, port: r.externalPort! },
      flags: 1,
    });
    expect(d).toMatchObject({ delivered: true, to: 'h' });
  });

  it.each([
    ['THIRD_PARTY where not implemented', {}, R.UNSUPP_OPTION],
    ['THIRD_PARTY refused', { thirdParty: 'refused' as const }, R.NOT_AUTHORIZED],
    ['THIRD_PARTY allowed', { thirdParty: 'allowed' as const }, R.SUCCESS],
  ])('PEER with %s', (_name, pcp, result) => {
    const f = pcpFixture(pcp);
    expect(f.peer({ options: [thirdPartyOption(OTHER)] }).result).toBe(result);
    expect(f.router.listMappings(f.clock.now())).toHaveLength(result === R.SUCCESS ? 1 : 0);
  });

  it('PEER on a router without NAT sessions is UNSUPP_OPCODE; on a downed WAN NETWORK_FAILURE', () => {
    expect(pcpFixture({}, { nat: null }).peer().result).toBe(R.UNSUPP_OPCODE);
    expect(pcpFixture({}, { wanUp: false }).peer()).toMatchObject({ result: R.NETWORK_FAILURE, lifetime: 30 });
  });
});
