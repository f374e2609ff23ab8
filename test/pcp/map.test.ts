/** MAP (RFC 6887 §11): create, renew, delete; nonce rules; lifetimes; options; the UPnP view. */
import { describe, expect, it } from 'vitest';
import { PCP_RESULT as R } from '../../src/constants.js';
import { SeededRng } from '../../src/nat/clock.js';
import { filterOption, preferFailureOption, thirdPartyOption } from '../../src/pcp/request.js';
import { UpnpService } from '../../src/soap/service.js';
import { call, client } from '../soap/helpers.js';
import { HOST, NONCE, NONCE2, OTHER, pcpFixture, TCP, UDP, WAN } from './helpers.js';

describe('PCP MAP: create, renew, delete', () => {
  it('maps the sender, the internal port first when nothing is suggested, and reports the WAN address', () => {
    const f = pcpFixture();
    const r = f.map({ protocol: TCP, internalPort: 8080 });
    expect(r).toMatchObject({
      version: 2,
      opcode: 0x01,
      result: R.SUCCESS,
      lifetime: 3600,
      nonce: NONCE,
      protocol: TCP,
      internalPort: 8080,
      externalPort: 8080,
      externalAddress: { kind: 'ipv4', address: WAN },
    });
    expect(f.pcpRows()).toEqual([`tcp 8080 ${HOST}:8080`]);
    expect(f.router.forwards.list()[0]).toMatchObject({ origin: 'pcp', nonce: NONCE, owner: HOST, leaseSeconds: 3600 });
  });

  it('gives the suggested port, or the next free one when another host holds it', () => {
    const f = pcpFixture();
    expect(f.map({ suggestedPort: 6000 }, OTHER).externalPort).toBe(6000);
    expect(f.map({ suggestedPort: 6000 }).externalPort).toBe(6001);
    expect(f.pcpRows()).toEqual([`udp 6000 ${OTHER}:5000`, `udp 6001 ${HOST}:5000`]);
  });

  it('a renewal with the same nonce keeps the port and extends the lifetime, whatever port it suggests', () => {
    const f = pcpFixture();
    const first = f.map({ suggestedPort: 6000 });
    f.clock.advance(3000_000);
    const again = f.map({ suggestedPort: 0, lifetime: 7200 });
    expect(again).toMatchObject({ result: R.SUCCESS, externalPort: first.externalPort, lifetime: 7200 });
    expect(again.outcome).toMatchObject({ refreshed: true });
    f.clock.advance(3600_000);
    expect(f.pcpRows()).toEqual([`udp 6000 ${HOST}:5000`]);
  });

  it.each([
    ['a renewal', { lifetime: 3600 }],
    ['a delete', { lifetime: 0 }],
  ])('%s with another nonce is NOT_AUTHORIZED and leaves the mapping alone', (_name, spec) => {
    const f = pcpFixture();
    f.map();
    expect(f.map({ ...spec, nonce: NONCE2 })).toMatchObject({ result: R.NOT_AUTHORIZED, lifetime: 1800 });
    expect(f.pcpRows()).toEqual([`udp 5000 ${HOST}:5000`]);
    expect(f.router.forwards.list()[0]!.nonce).toBe(NONCE);
  });

  it('lifetime 0 deletes (the answer carries the freed port); deleting nothing is SUCCESS', () => {
    const f = pcpFixture();
    f.map({ suggestedPort: 7000 });
    expect(f.map({ lifetime: 0 })).toMatchObject({ result: R.SUCCESS, lifetime: 0, externalPort: 7000 });
    expect(f.pcpRows()).toEqual([]);
    expect(f.map({ lifetime: 0 })).toMatchObject({ result: R.SUCCESS, lifetime: 0 });
  });

  it('lifetime 0 with internal port 0 deletes every mapping of the host made with that nonce; protocol 0 means both', () => {
    const f = pcpFixture();
    f.map({ internalPort: 5000 });
    f.map({ internalPort: 5001 });
    f.map({ internalPort: 5002, protocol: TCP });
    f.map({ internalPort: 5003, nonce: NONCE2 });
    f.map({}, OTHER);
    expect(f.map({ internalPort: 0, lifetime: 0 }).result).toBe(R.SUCCESS);
    expect(f.pcpRows()).toEqual([`tcp 5002 ${HOST}:5002`, `udp 5003 ${HOST}:5003`, `udp 5002 ${OTHER}:5000`]);
    expect(f.map({ protocol: 0, internalPort: 0, lifetime: 0 }).result).toBe(R.SUCCESS);
    expect(f.pcpRows()).toEqual([`udp 5003 ${HOST}:5003`, `udp 5002 ${OTHER}:5000`]);
  });

  it('a mapping expires when its lifetime runs out', () => {
    const f = pcpFixture();
    f.map({ lifetime: 200 });
    f.clock.advance(199_000);
    expect(f.pcpRows()).toHaveLength(1);
    f.clock.advance(1_000);
    expect(f.pcpRows()).toEqual([]);
  });
});

describe('PCP MAP lifetimes, clamped by the profile', () => {
  it.each([
    ['below the minimum becomes the minimum', {}, 30, 120],
    ['inside the bounds is granted', {}, 7200, 7200],
    ['above the maximum becomes the maximum', {}, 10_000_000, 86400],
    ['a VPN gateway granting 60 s whatever is asked', { minLifetime: 60, maxLifetime: 60 }, 7200, 60],
  ])('%s', (_name, pcp, asked, granted) => {
    const f = pcpFixture(pcp);
    expect(f.map({ lifetime: asked }).lifetime).toBe(granted);
    expect(f.router.forwards.list()[0]!.leaseSeconds).toBe(granted);
  });
});

describe('PCP options on MAP', () => {
  it('PREFER_FAILURE gets the suggested port or CANNOT_PROVIDE_EXTERNAL, never another port', () => {
    const f = pcpFixture();
    f.map({ suggestedPort: 6000 }, OTHER);
    expect(f.map({ suggestedPort: 6000, options: [preferFailureOption()] })).toMatchObject({
      result: R.CANNOT_PROVIDE_EXTERNAL,
      externalPort: 6000,
      lifetime: 30,
    });
    expect(f.map({ suggestedPort: 6001, options: [preferFailureOption()] })).toMatchObject({
      result: R.SUCCESS,
      externalPort: 6001,
      optionCodes: [2],
    });
  });

  it('PREFER_FAILURE on a port the permission rules deny is CANNOT_PROVIDE_EXTERNAL (as miniupnpd)', () => {
    const f = pcpFixture();
    expect(f.map({ suggestedPort: 80, options: [preferFailureOption()] }).result).toBe(R.CANNOT_PROVIDE_EXTERNAL);
  });

  it('THIRD_PARTY maps another host where the profile allows it, secure mode notwithstanding, and deletes it again', () => {
    const f = pcpFixture({ thirdParty: 'allowed' });
    const r = f.map({ options: [thirdPartyOption(OTHER)] });
    expect(r).toMatchObject({ result: R.SUCCESS, optionCodes: [1] });
    expect(f.pcpRows()).toEqual([`udp 5000 ${OTHER}:5000`]);
    expect(f.router.forwards.list()[0]!.owner).toBe(HOST);
    expect(f.map({ lifetime: 0, options: [thirdPartyOption(OTHER)] }).result).toBe(R.SUCCESS);
    expect(f.pcpRows()).toEqual([]);
  });

  it.each([
    ['not implemented', 'unsupported', R.UNSUPP_OPTION],
    ['refused', 'refused', R.NOT_AUTHORIZED],
  ] as const)('THIRD_PARTY %s → %i, nothing mapped', (_name, rule, result) => {
    const f = pcpFixture({ thirdParty: rule });
    expect(f.map({ options: [thirdPartyOption(OTHER)] }).result).toBe(result);
    expect(f.pcpRows()).toEqual([]);
  });

  it('FILTER is recorded on the mapping; prefix length 0 clears the filters', () => {
    const f = pcpFixture();
    const r = f.map({ options: [filterOption('203.0.113.0', 24, 443), filterOption('198.51.100.9', 32)] });
    expect(r).toMatchObject({ result: R.SUCCESS, optionCodes: [3, 3] });
    expect(f.router.forwards.list()[0]!.filters).toEqual([
      { prefix: { addr: 0xcb007100, len: 24 }, port: 443 },
      { prefix: { addr: 0xc6336409, len: 32 }, port: 0 },
    ]);
    f.map({ options: [filterOption('0.0.0.0', 0)] });
    expect(f.router.forwards.list()[0]!.filters).toBeUndefined();
  });
});

describe('PCP mappings seen through UPnP', () => {
  it('are listed with their port and client, never with their nonce', () => {
    const f = pcpFixture();
    f.map({ suggestedPort: 6000 });
    const igd = new UpnpService({ router: f.router, clock: f.clock, rng: new SeededRng(3) });
    const entry = call(igd, 'GetGenericPortMappingEntry', { NewPortMappingIndex: 0 }, { from: client(HOST) });
    expect(entry.arg('NewExternalPort')).toBe('6000');
    expect(entry.arg('NewInternalClient')).toBe(HOST);
    expect(entry.body).not.toMatch(new RegExp(NONCE, 'i'));
  });

  it('a UPnP AddPortMapping on a PCP-made port of the same host does not take it over', () => {
    const f = pcpFixture();
    f.map();
    const igd = new UpnpService({ router: f.router, clock: f.clock, rng: new SeededRng(3) });
    const r = call(
      igd,
      'AddPortMapping',
      {
        NewRemoteHost: '',
        NewExternalPort: 5000,
        NewProtocol: 'UDP',
        NewInternalPort: 5000,
        NewInternalClient: HOST,
        NewEnabled: 1,
        NewPortMappingDescription: 'upnp',
        NewLeaseDuration: 0,
      },
      { from: client(HOST) },
    );
    expect(r.code).toBeDefined();
    expect(f.router.forwards.list()[0]).toMatchObject({ origin: 'pcp', nonce: NONCE });
  });
});

describe('PCP MAP for UDP and TCP alike', () => {
  it.each([UDP, TCP])('protocol %i maps that protocol only', (protocol) => {
    const f = pcpFixture();
    f.map({ protocol });
    expect(f.pcpRows()).toEqual([`${protocol === UDP ? 'udp' : 'tcp'} 5000 ${HOST}:5000`]);
  });
});
