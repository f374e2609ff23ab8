/**
 * The gateway serves one router of a scenario's model: a UPnP mapping made over SOAP is an entry
 * of that router's forward table, and packets sent through `gw.network` see it (and the carrier
 * NAT above it, which has no such mapping). Traffic through the router shows in the
 * WANCommonInterfaceConfig counters.
 */
import { describe, expect, it } from 'vitest';
import { startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { ep, type Packet, TCP } from '../../src/nat/index.js';
import { CFG, mappingArgs, soap } from './helpers.js';

const ISP_NAT = 'scenarios/wm-04-isp-nat.yaml';

describe('a router behind a carrier NAT (wm-04, home-a)', () => {
  it('reports the shared-space WAN address 100.64.0.2', async () => {
    await using gw = await startGateway({ scenario: ISP_NAT, router: 'home-a', mxDelay: 'none', clock: new FakeClock(0) });
    expect(gw.routerId).toBe('home-a');
    expect(gw.externalIp).toBe('100.64.0.2');
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('100.64.0.2');
    // The first router offering UPnP is the default.
    await using auto = await startGateway({ scenario: ISP_NAT, mxDelay: 'none', clock: new FakeClock(0) });
    expect([auto.routerId, auto.externalIp]).toEqual(['home-a', '100.64.0.2']);
  });

  it('without allowReservedWan the address is blanked and mapping fails with 501 (miniupnpd without ext_ip)', async () => {
    await using gw = await startGateway({ scenario: ISP_NAT, allowReservedWan: false, mxDelay: 'none', clock: new FakeClock(0) });
    expect((await soap(gw, 'GetExternalIPAddress')).arg('NewExternalIPAddress')).toBe('');
    expect((await soap(gw, 'AddPortMapping', mappingArgs())).code).toBe(501);
    expect(gw.externalIp).toBe('100.64.0.2');
  });

  it("a SOAP mapping is in the served router's forward table; the Internet still cannot reach the host through the CGN", async () => {
    await using gw = await startGateway({ scenario: ISP_NAT, secureMode: false, mxDelay: 'none', clock: new FakeClock(0) });
    const add = await soap(
      gw,
      'AddPortMapping',
      mappingArgs({
        NewProtocol: 'TCP',
        NewExternalPort: 5000,
        NewInternalClient: '192.168.1.10',
        NewInternalPort: 5001,
        NewLeaseDuration: 0,
      }),
    );
    expect(add.status).toBe(200);

    const entry = gw.router.forwards.find('tcp', 5000);
    expect(entry).toMatchObject({ origin: 'upnp', internalClient: '192.168.1.10', internalPort: 5001, externalPort: 5000 });
    expect(gw.network.router('home-a')).toBe(gw.router);
    expect(gw.network.router('isp-nat').forwards.find('tcp', 5000)).toBeUndefined();

    // The scenario's hosts are in the model.
    expect(gw.network.host('alice').address).toBe('192.168.1.10');
    expect(gw.network.host('bob').address).toBe('198.51.100.20');

    // bob, on the Internet, tries the carrier's public address: the CGN has no mapping.
    const syn = (src: string, dst: string): Packet => ({ proto: 'tcp', src: ep(src, 40000), dst: ep(dst, 5000), flags: TCP.SYN });
    const fromInternet = gw.network.send('bob', syn('198.51.100.20', '203.0.113.1'));
    expect(fromInternet.delivered).toBe(false);
    expect(fromInternet.drop?.node).toBe('isp-nat');

    // A neighbour inside the carrier's network reaches alice through the UPnP mapping: it is live.
    gw.network.addHost({ id: 'neighbour', address: '100.64.0.9', on: 'isp-nat' });
    const fromCgn = gw.network.send('neighbour', syn('100.64.0.9', '100.64.0.2'));
    expect(fromCgn.delivered).toBe(true);
    expect(fromCgn.to).toBe('alice');
    expect(fromCgn.packet.dst).toEqual(ep('192.168.1.10', 5001));

    // Deleting it over SOAP closes that path too.
    expect((await soap(gw, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: 5000, NewProtocol: 'TCP' })).status).toBe(200);
    expect(gw.network.send('neighbour', syn('100.64.0.9', '100.64.0.2')).delivered).toBe(false);
  });

  it('GetTotalPackets/Bytes Sent/Received count the traffic that crossed the served router', async () => {
    await using gw = await startGateway({ scenario: ISP_NAT, mxDelay: 'none', clock: new FakeClock(0) });
    const counters = async (): Promise<number[]> =>
      Promise.all(
        ['GetTotalPacketsSent', 'GetTotalPacketsReceived', 'GetTotalBytesSent', 'GetTotalBytesReceived'].map(async (action) => {
          const r = await soap(gw, action, {}, { serviceType: CFG });
          expect(r.status).toBe(200);
          return Number(/<NewTotal\w+>(\d+)</.exec(r.body)![1]);
        }),
      );
    expect(await counters()).toEqual([0, 0, 0, 0]);

    const alice = ep('192.168.1.10', 4000);
    const bob = ep('198.51.100.20', 3478);
    let outside = alice;
    for (const size of [100, 200, 300]) {
      const d = gw.network.send('alice', { proto: 'udp', src: alice, dst: bob, size });
      expect(d.delivered).toBe(true);
      expect(d.to).toBe('bob');
      outside = d.packet.src;
    }
    expect(outside.ip).not.toBe(alice.ip);
    for (const size of [1000, 500]) {
      const d = gw.network.send('bob', { proto: 'udp', src: bob, dst: outside, size });
      expect(d.delivered).toBe(true);
      expect(d.to).toBe('alice');
    }
    // Traffic that does not cross home-a is not counted: bob to the messenger server.
    gw.network.send('bob', { proto: 'udp', src: bob, dst: ep('198.51.100.5', 443), size: 64 });

    expect(await counters()).toEqual([3, 2, 600, 1500]);
    expect(gw.router.counters).toEqual({ packetsSent: 3, packetsReceived: 2, bytesSent: 600, bytesReceived: 1500 });
  });
});
