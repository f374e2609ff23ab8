/**
 * PCP on the gateway's port-control socket (RFC 6887 §9): where the scenario router offers
 * `pcp`, datagrams of version 2 over real UDP on loopback are answered by the PCP server from the
 * same address and port as NAT-PMP, version 0 still by NAT-PMP; where it does not, NAT-PMP
 * answers PCP "unsupported version" so clients fall back.
 */
import type dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { type GatewayHandle, startGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { encodeNatpmpRequest, parseNatpmpResponse } from '../../src/natpmp/codec.js';
import { encodePcpRequest } from '../../src/pcp/request.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { udpRequest } from '../support/udp-client.js';

function exchange(gw: GatewayHandle, bytes: Uint8Array): Promise<{ msg: Buffer; from: dgram.RemoteInfo }> {
  return udpRequest(gw.natpmpAddress!, bytes);
}

const scenario = (pcp: boolean): ReturnType<typeof parseScenario> =>
  parseScenario(
    `name: pcp-socket
routers:
  gw: { wan: 81.2.69.160, lan: 10.7.0.0/24, services: { upnp: true, natpmp: true, pcp: ${pcp} } }
hosts:
  h: { router: gw, address: 10.7.0.2 }
`,
    'pcp-socket.yaml',
  );
// A loopback sender stands for 10.7.0.2, the LAN address after the router's; PCP's client field must say so.
const map = encodePcpRequest({
  opcode: PCP_OPCODE.Map,
  lifetime: 600,
  client: '10.7.0.2',
  nonce: '0102030405060708090a0b0c',
  protocol: IP_PROTOCOL.udp,
  internalPort: 6000,
  suggestedPort: 6000,
});

describe('PCP on the port-control socket', () => {
  it('answers a PCP MAP from the NAT-PMP address and port, and lists the mapping with origin pcp', async () => {
    await using gw = await startGateway({ scenario: scenario(true), natpmp: { port: 0 }, clock: new FakeClock(0) });
    const seen: unknown[] = [];
    gw.events.on('natpmp', (e) => seen.push(e));
    const { msg, from } = await exchange(gw, map);
    expect(from).toMatchObject({ address: '127.0.0.1', port: gw.natpmpAddress!.port });
    expect(parsePcpResponse(msg)).toMatchObject({
      version: 2,
      opcode: PCP_OPCODE.Map,
      result: PCP_RESULT.SUCCESS,
      lifetime: 600,
      externalPort: 6000,
      nonce: '0102030405060708090a0b0c',
    });
    expect(gw.listMappings()).toEqual([
      expect.objectContaining({ protocol: 'UDP', externalPort: 6000, internalClient: '10.7.0.2', origin: 'pcp' }),
    ]);
    expect(seen).toEqual([expect.objectContaining({ type: 'natpmp-request', protocol: 'pcp', opcode: 1, result: 0 })]);
    // NAT-PMP still answers version 0 on the same port.
    expect(parseNatpmpResponse((await exchange(gw, encodeNatpmpRequest({ opcode: 0 }))).msg)).toMatchObject({
      result: 0,
      address: '81.2.69.160',
    });
  });

  it('answers a version it does not speak with PCP UNSUPP_VERSION', async () => {
    await using gw = await startGateway({ scenario: scenario(true), natpmp: { port: 0 }, clock: new FakeClock(0) });
    const r = parsePcpResponse((await exchange(gw, encodePcpRequest({ version: 3, opcode: PCP_OPCODE.Announce, client: '10.7.0.2' }))).msg);
    expect(r).toMatchObject({ version: 2, result: PCP_RESULT.UNSUPP_VERSION });
  });

  it('without pcp in the scenario, NAT-PMP answers a PCP request "unsupported version" (result 1)', async () => {
    await using gw = await startGateway({ scenario: scenario(false), natpmp: { port: 0 }, clock: new FakeClock(0) });
    const { msg } = await exchange(gw, map);
    expect(msg.length).toBe(8);
    expect(msg[0]).toBe(0);
    expect(msg.readUInt16BE(2)).toBe(1);
    expect(gw.listMappings()).toEqual([]);
  });
});
