/**
 * The gateway's socket seam: startScenarioGateway({ network, placement }) serves a router of a
 * model it did not build, with every socket — the HTTP listener, SSDP's and NAT-PMP's UDP sockets
 * and GENA's outgoing NOTIFY connections — asked of the placement's SocketProvider (here a
 * recording wrapper over the direct sockets, on loopback). A mapping made through it is in the
 * model that was passed in.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NATPMP_OPCODE } from '../../src/constants.js';
import { startScenarioGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { DIRECT_SOCKETS, type SocketProvider } from '../../src/net/socket-provider.js';
import { buildNetworkOn } from '../../src/scenario/build.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { udpRequest } from '../support/udp-client.js';
import { mappingArgs, soap } from './helpers.js';

const scenario = parseScenario(
  `name: seam
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: port-restricted-cone, services: { upnp: true, natpmp: true } }
hosts:
  alice: { router: home, address: 192.168.1.2 }
`,
  'seam.yaml',
);

/** The direct sockets, with every request written down. */
function recording(): { provider: SocketProvider; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    provider: {
      listenTcp: (server, port, address) => {
        calls.push(`tcp listen ${address}:${port}`);
        return DIRECT_SOCKETS.listenTcp(server, port, address);
      },
      bindUdp: (r) => {
        calls.push(`udp bind ${r.address}:${r.port}${r.reuseAddr ? ' reuse' : ''}`);
        return DIRECT_SOCKETS.bindUdp(r);
      },
      connectTcp: (r, callback) => {
        calls.push(`tcp connect ${r.host}:${r.port}`);
        DIRECT_SOCKETS.connectTcp(r, callback);
      },
    },
  };
}

describe('startScenarioGateway with a model and a socket provider', () => {
  it('opens every socket through the provider and maps into the model it was given', async () => {
    const clock = new FakeClock(0);
    const network = buildNetworkOn(scenario, clock);
    const { provider, calls } = recording();
    await using gws = await startScenarioGateway({
      scenario,
      network,
      placement: () => ({ address: '127.0.0.1', sockets: provider }),
      mxDelay: 'none',
      multicast: false,
    });
    expect(gws.network).toBe(network);
    expect(gws.clock).toBe(clock);
    const home = gws.router('home');
    expect(calls).toEqual(['tcp listen 127.0.0.1:0', 'udp bind 127.0.0.1:0 reuse', 'udp bind 127.0.0.1:0']);

    const add = await soap(
      { descriptionUrl: home.descriptionUrl!, igdVersion: home.igdVersion },
      'AddPortMapping',
      mappingArgs({ NewProtocol: 'TCP', NewExternalPort: 4000, NewInternalPort: 4000, NewInternalClient: '192.168.1.2' }),
    );
    expect(add.status, add.body).toBe(200);
    expect(
      network
        .router('home')
        .forwards.list()
        .map((e) => [e.protocol, e.externalPort, e.internalPort]),
    ).toContainEqual(['tcp', 4000, 4000]);

    const pub = parseNatpmpResponse(
      (await udpRequest(home.natpmpAddress!, encodeNatpmpRequest({ opcode: NATPMP_OPCODE.ExternalAddress }))).msg,
    );
    expect(pub).toMatchObject({ result: 0, address: '203.0.113.10' });

    // A GENA subscriber's initial NOTIFY comes over a connection the provider made.
    const notified = new Promise<string>((resolve) => {
      const cb = http.createServer((req, res) => {
        let body = '';
        req.on('data', (d: Buffer) => (body += d.toString()));
        req.on('end', () => {
          res.end();
          cb.close();
          resolve(`${req.method} ${body.includes('ExternalIPAddress') ? 'with ExternalIPAddress' : body}`);
        });
      });
      cb.listen(0, '127.0.0.1', () => {
        const { port } = cb.address() as AddressInfo;
        const sub = http.request(new URL('/evt/IPConn', home.descriptionUrl), {
          method: 'SUBSCRIBE',
          headers: { CALLBACK: `<http://127.0.0.1:${port}/cb>`, NT: 'upnp:event', TIMEOUT: 'Second-300' },
          agent: false,
        });
        sub.on('response', (r) => {
          expect(r.statusCode).toBe(200);
          r.resume();
        });
        sub.end();
      });
    });
    expect(await notified).toBe('NOTIFY with ExternalIPAddress');
    expect(calls.filter((c) => c.startsWith('tcp connect 127.0.0.1:'))).toHaveLength(1);
  });

  it('refuses a model without the scenario’s router and a placement that is not a function', async () => {
    const other = buildNetworkOn(
      parseScenario('name: empty\nrouters:\n  x: { wan: 203.0.113.1, lan: 10.0.0.0/24 }\nhosts: {}\n', 'e.yaml'),
      new FakeClock(0),
    );
    await expect(startScenarioGateway({ scenario, network: other, placement: () => ({ address: '127.0.0.1' }) })).rejects.toThrow(
      'the model has no router "home" of the scenario',
    );
    await expect(startScenarioGateway({ scenario, placement: '127.0.0.1' as never })).rejects.toThrow(/placement.*must be a function/);
    await expect(startScenarioGateway({ scenario, network: {} as never })).rejects.toThrow(/network.*must be a Network/);
  });
});
