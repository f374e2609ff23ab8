import { describe, expect, it } from 'vitest';
import { NATPMP_RESULT as R } from '../../src/constants.js';
import { parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { natpmpAnnouncement } from '../../src/natpmp/responder.js';
import { HOST, natpmpFixture, OTHER, WAN } from './helpers.js';

describe('NAT-PMP server: opcodes and result codes', () => {
  it('opcode 0 answers the external address (result 0)', () => {
    const f = natpmpFixture();
    const r = f.ask({ opcode: 0 });
    expect(r).toMatchObject({ version: 0, opcode: 128, result: R.Success, epoch: 0, address: WAN });
  });

  it('a reserved WAN address is result 3 (network failure) where the router does not allow it, reported otherwise', () => {
    expect(natpmpFixture({ wan: '100.64.0.5', mapping: { allowReservedWan: false } }).ask({ opcode: 0 })).toMatchObject({
      result: R.NetworkFailure,
      address: '0.0.0.0',
    });
    expect(natpmpFixture({ wan: '100.64.0.5' }).ask({ opcode: 0 })).toMatchObject({ result: R.Success, address: '100.64.0.5' });
    const f = natpmpFixture({ wan: '10.0.0.2', mapping: { allowReservedWan: false } });
    expect(f.map('udp', 5000, 5000, 3600)).toMatchObject({ result: R.NetworkFailure, externalPort: 0, lifetime: 0 });
    expect(f.natpmpRows()).toEqual([]);
  });

  it('a disconnected WAN is result 3 for both the address and a mapping', () => {
    const f = natpmpFixture({ wanUp: false });
    expect(f.ask({ opcode: 0 }).result).toBe(R.NetworkFailure);
    expect(f.map('tcp', 8080, 8080, 60).result).toBe(R.NetworkFailure);
  });

  it('opcodes 1 and 2 map UDP and TCP to the sender, granting the lifetime asked', () => {
    const f = natpmpFixture();
    expect(f.map('udp', 5000, 6000, 3600)).toMatchObject({
      opcode: 129,
      result: 0,
      internalPort: 5000,
      externalPort: 6000,
      lifetime: 3600,
    });
    expect(f.map('tcp', 8080, 0, 7200)).toMatchObject({ opcode: 130, result: 0, internalPort: 8080, externalPort: 8080, lifetime: 7200 });
    expect(f.natpmpRows()).toEqual([`udp 6000 ${HOST}:5000`, `tcp 8080 ${HOST}:8080`]);
    const tcp = f.router.forwards.list().find((e) => e.protocol === 'tcp')!;
    expect(tcp).toMatchObject({ origin: 'natpmp', owner: HOST, leaseSeconds: 7200 });
  });

  it('unsupported version is result 1 (8 bytes, opcode echoed + 128), e.g. a PCP request', () => {
    const f = natpmpFixture();
    const pcp = new Uint8Array(60);
    pcp[0] = 2;
    pcp[1] = 1;
    const o = f.raw(pcp);
    if ('ignored' in o) throw new Error('ignored');
    expect(o.reply.length).toBe(8);
    expect(parseNatpmpResponse(o.reply)).toEqual({ version: 0, opcode: 129, result: R.UnsupportedVersion, epoch: 0 });
    expect(f.natpmpRows()).toEqual([]);
  });

  it('unsupported opcode is result 5', () => {
    const o = natpmpFixture().raw(Uint8Array.of(0, 9, 0, 0));
    if ('ignored' in o) throw new Error('ignored');
    expect(parseNatpmpResponse(o.reply)).toEqual({ version: 0, opcode: 137, result: R.UnsupportedOpcode, epoch: 0 });
  });

  it('internal port 0 with a lifetime is result 2 (not authorized)', () => {
    expect(natpmpFixture().map('udp', 0, 5000, 60)).toMatchObject({ result: R.NotAuthorized, externalPort: 0, lifetime: 0 });
  });

  it('a port the permission rules deny is skipped; every port denied is result 2', () => {
    const f = natpmpFixture({
      mapping: {
        permissions: ['deny 6000 0.0.0.0/0 0-65535', 'allow 1024-65535 192.168.1.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535'],
      },
    });
    expect(f.map('udp', 6000, 6000, 60)).toMatchObject({ result: 0, externalPort: 6001 });
    expect(f.map('udp', 80, 80, 60)).toMatchObject({ result: R.NotAuthorized, externalPort: 0 });
  });

  it('a full table is result 4 (out of resources)', () => {
    const f = natpmpFixture({ maxForwards: 1 });
    expect(f.map('udp', 5000, 5000, 60).result).toBe(0);
    expect(f.map('udp', 5001, 5001, 60)).toMatchObject({ result: R.OutOfResources, externalPort: 0, lifetime: 0 });
  });

  it('no free allowed port is result 4', () => {
    const f = natpmpFixture({ mapping: { permissions: ['allow 7000-7001 192.168.1.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535'] } });
    expect(f.map('tcp', 7000, 7000, 60, OTHER).externalPort).toBe(7000);
    expect(f.map('tcp', 7001, 7001, 60, OTHER).externalPort).toBe(7001);
    expect(f.map('tcp', 7000, 7000, 60).result).toBe(R.OutOfResources);
  });

  it('a refusal by the lease policy is result 2', () => {
    const f = natpmpFixture({
      mapping: { policy: { wan: 'live', leases: 'permanent-only', rangeDelete: 'honour-manage', maxDescription: 63 } },
    });
    expect(f.map('udp', 5000, 5000, 3600).result).toBe(R.NotAuthorized);
  });
});

describe('NAT-PMP server: ports, lifetimes and deletes', () => {
  it('a port held by another client is skipped upwards; the same client keeps its port on a refresh', () => {
    const f = natpmpFixture();
    expect(f.map('udp', 5000, 5000, 60, OTHER).externalPort).toBe(5000);
    expect(f.map('udp', 5000, 5000, 60).externalPort).toBe(5001);
    f.clock.advance(30_000);
    const again = f.map('udp', 5000, 0, 120);
    expect(again).toMatchObject({ externalPort: 5001, lifetime: 120 });
    expect(again.outcome).toMatchObject({ refreshed: true });
    expect(f.natpmpRows()).toEqual([`udp 5000 ${OTHER}:5000`, `udp 5001 ${HOST}:5000`]);
  });

  it('a port the same client maps for another internal port is not overwritten', () => {
    const f = natpmpFixture();
    expect(f.map('tcp', 4000, 6000, 60).externalPort).toBe(6000);
    expect(f.map('tcp', 4001, 6000, 60).externalPort).toBe(6001);
    expect(f.natpmpRows()).toEqual([`tcp 6000 ${HOST}:4000`, `tcp 6001 ${HOST}:4001`]);
  });

  it('the companion port (same number, other protocol) is kept for its owner', () => {
    const f = natpmpFixture();
    expect(f.map('udp', 5000, 5000, 60).externalPort).toBe(5000);
    expect(f.map('tcp', 5000, 5000, 60, OTHER).externalPort).toBe(5001);
    expect(f.map('tcp', 5000, 5000, 60).externalPort).toBe(5000);
  });

  it('a mapping runs out after its lifetime', () => {
    const f = natpmpFixture();
    f.map('udp', 5000, 5000, 10);
    f.clock.advance(9_999);
    expect(f.natpmpRows()).toHaveLength(1);
    f.clock.advance(1);
    expect(f.natpmpRows()).toEqual([]);
  });

  it("lifetime 0 deletes the client's mapping of that internal port and protocol (external port ignored)", () => {
    const f = natpmpFixture();
    f.map('udp', 5000, 5000, 60);
    f.map('tcp', 5000, 5000, 60);
    f.map('udp', 5000, 5000, 60, OTHER);
    expect(f.map('udp', 5000, 9999, 0)).toMatchObject({ result: 0, internalPort: 5000, externalPort: 0, lifetime: 0 });
    expect(f.natpmpRows()).toEqual([`tcp 5000 ${HOST}:5000`, `udp 5001 ${OTHER}:5000`]);
    expect(f.map('udp', 5000, 0, 0).result).toBe(0);
  });

  it("internal port 0 and lifetime 0 delete all the client's mappings of that protocol, and no one else's", () => {
    const f = natpmpFixture();
    f.map('udp', 5000, 5000, 60);
    f.map('udp', 5002, 5002, 60);
    f.map('tcp', 5000, 5000, 60);
    f.map('udp', 7000, 7000, 60, OTHER);
    const r = f.map('udp', 0, 0, 0);
    expect(r.result).toBe(0);
    if ('ignored' in r.outcome) throw new Error('ignored');
    expect(r.outcome.removed?.map((e) => e.externalPort)).toEqual([5000, 5002]);
    expect(f.natpmpRows()).toEqual([`tcp 5000 ${HOST}:5000`, `udp 7000 ${OTHER}:7000`]);
  });

  it('a delete leaves UPnP mappings of the same client alone', () => {
    const f = natpmpFixture();
    f.router.mappings.request(
      { requester: HOST, protocol: 'udp', internalClient: HOST, internalPort: 5000, externalPort: 5000, lifetime: 0, origin: 'upnp' },
      f.clock.now(),
    );
    expect(f.map('udp', 0, 0, 0).result).toBe(0);
    expect(f.router.forwards.list().map((e) => e.origin)).toEqual(['upnp']);
  });
});

describe('NAT-PMP server: epoch and senders', () => {
  it('the epoch counts seconds since the router started, resets on a WAN address change', () => {
    const f = natpmpFixture();
    f.clock.advance(90_500);
    expect(f.ask({ opcode: 0 }).epoch).toBe(90);
    f.router.setWanAddress('81.2.69.161', f.clock.now());
    expect(f.ask({ opcode: 0 })).toMatchObject({ epoch: 0, address: '81.2.69.161' });
    f.clock.advance(3_000);
    expect(f.map('udp', 5000, 5000, 60).epoch).toBe(3);
  });

  it('a router whose policy keeps the epoch does not reset it on an address change', () => {
    const f = natpmpFixture({
      mapping: { policy: { wan: 'live', leases: 'any', rangeDelete: 'honour-manage', maxDescription: 63, epochOnAddressChange: 'keep' } },
    });
    f.clock.advance(10_000);
    f.router.setWanAddress('81.2.69.161', f.clock.now());
    expect(f.ask({ opcode: 0 }).epoch).toBe(10);
  });

  it('ignores senders outside the LAN, too-short datagrams and responses', () => {
    const f = natpmpFixture();
    expect(f.raw(Uint8Array.of(0, 0), '203.0.113.9')).toEqual({ ignored: 'not-from-lan' });
    expect(f.raw(Uint8Array.of(0, 1, 0, 0), HOST)).toEqual({ ignored: 'too-short' });
    expect(f.raw(Uint8Array.of(0, 129, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), HOST)).toEqual({ ignored: 'response' });
    expect(f.natpmpRows()).toEqual([]);
  });

  it('the announcement is an opcode-128 reply with address and epoch; none without an address', () => {
    const f = natpmpFixture();
    f.clock.advance(2_000);
    expect(parseNatpmpResponse(natpmpAnnouncement(f.router, f.clock.now())!)).toEqual({
      version: 0,
      opcode: 128,
      result: 0,
      epoch: 2,
      address: WAN,
    });
    const down = natpmpFixture({ wanUp: false });
    expect(natpmpAnnouncement(down.router, down.clock.now())).toBeUndefined();
  });
});
