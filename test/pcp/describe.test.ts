/** describePcpDatagram: a PCP datagram in a few words, as explanations show the relay's exchanges. */
import { describe, expect, it } from 'vitest';
import { IP_PROTOCOL, PCP_OPCODE, PCP_RESULT } from '../../src/constants.js';
import { encodeNatpmpRequest } from '../../src/natpmp/codec.js';
import { describePcpDatagram } from '../../src/pcp/describe.js';
import { encodePcpRequest, preferFailureOption, thirdPartyOption } from '../../src/pcp/request.js';
import { encodePcpResponse, mappingResponseBody } from '../../src/pcp/response.js';

const map = encodePcpRequest({
  opcode: PCP_OPCODE.Map,
  lifetime: 3600,
  client: '100.64.0.2',
  nonce: '0102030405060708090a0b0c',
  protocol: IP_PROTOCOL.tcp,
  internalPort: 8080,
  suggestedPort: 8080,
  options: [preferFailureOption()],
});
const answer = (result: number, lifetime: number) =>
  encodePcpResponse({
    version: 2,
    opcode: PCP_OPCODE.Map,
    result,
    lifetime,
    epoch: 7,
    body: mappingResponseBody(2, map.subarray(24, 60), { port: 8080, address: '203.0.113.1' }),
  });

describe('describePcpDatagram', () => {
  it('requests: opcode, protocol, internal endpoint, suggestion, lifetime, options', () => {
    expect(describePcpDatagram(map)).toBe('MAP TCP 100.64.0.2:8080 (suggesting 8080, 3600 s, PREFER_FAILURE)');
    const third = encodePcpRequest({
      opcode: PCP_OPCODE.Map,
      client: '100.64.0.2',
      protocol: IP_PROTOCOL.udp,
      internalPort: 9000,
      options: [thirdPartyOption('10.1.0.10')],
    });
    expect(describePcpDatagram(third)).toBe('MAP UDP 10.1.0.10:9000 (THIRD_PARTY, lifetime 0: delete)');
    expect(describePcpDatagram(encodePcpRequest({ opcode: PCP_OPCODE.Announce, client: '10.0.0.2' }))).toBe('ANNOUNCE');
  });

  it('answers: the assigned endpoint and lifetime, a delete, an error with its retry time', () => {
    expect(describePcpDatagram(answer(PCP_RESULT.SUCCESS, 3600))).toBe('SUCCESS: 203.0.113.1:8080 for 3600 s');
    expect(describePcpDatagram(answer(PCP_RESULT.SUCCESS, 0))).toBe('SUCCESS: deleted');
    expect(describePcpDatagram(answer(PCP_RESULT.CANNOT_PROVIDE_EXTERNAL, 30))).toBe('CANNOT_PROVIDE_EXTERNAL (retry after 30 s)');
  });

  it('NAT-PMP and garbage are not PCP', () => {
    expect(describePcpDatagram(encodeNatpmpRequest({ opcode: 0 }))).toBeUndefined();
    expect(describePcpDatagram(new Uint8Array([2]))).toBeUndefined();
  });
});
