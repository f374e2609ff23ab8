/** Every PCP result code (RFC 6887 §7.4), each produced the way a real server produces it, with its lifetime. */
import { describe, expect, it } from 'vitest';
import { PCP_OPCODE as OP, PCP_RESULT as R } from '../../src/constants.js';
import type { PcpPolicy } from '../../src/nat/pcp-policy.js';
import type { RouterConfig } from '../../src/nat/router.js';
import { encodePcpRequest, filterOption, pcpOption, preferFailureOption, thirdPartyOption } from '../../src/pcp/request.js';
import { HOST, NONCE, NONCE2, OTHER, pcpFixture, UDP, WAN } from './helpers.js';

type Fixture = ReturnType<typeof pcpFixture>;
interface Row {
  readonly name: string;
  readonly result: number;
  readonly pcp?: Partial<PcpPolicy>;
  readonly config?: Partial<RouterConfig>;
  /** Sends what provokes the result; returns the parsed answer. */
  readonly run: (f: Fixture) => ReturnType<Fixture['map']>;
}

const long = 1800;
const short = 30;

const rows: Row[] = [
  { name: 'SUCCESS: a MAP', result: R.SUCCESS, run: (f) => f.map() },
  { name: 'UNSUPP_VERSION: version 3', result: R.UNSUPP_VERSION, run: (f) => f.map({ version: 3 }) },
  { name: 'NOT_AUTHORIZED: a renewal with another nonce', result: R.NOT_AUTHORIZED, run: (f) => (f.map(), f.map({ nonce: NONCE2 })) },
  { name: 'NOT_AUTHORIZED: a permission rule denies internal port 80', result: R.NOT_AUTHORIZED, run: (f) => f.map({ internalPort: 80 }) },
  {
    name: 'NOT_AUTHORIZED: THIRD_PARTY implemented but refused',
    result: R.NOT_AUTHORIZED,
    pcp: { thirdParty: 'refused' },
    run: (f) => f.map({ options: [thirdPartyOption(OTHER)] }),
  },
  {
    name: 'MALFORMED_REQUEST: 20 bytes',
    result: R.MALFORMED_REQUEST,
    run: (f) => f.rawAsk(encodePcpRequest({ opcode: OP.Announce, client: HOST }).subarray(0, 20)),
  },
  {
    name: 'MALFORMED_REQUEST: THIRD_PARTY naming the sender',
    result: R.MALFORMED_REQUEST,
    pcp: { thirdParty: 'allowed' },
    run: (f) => f.map({ options: [thirdPartyOption(HOST)] }),
  },
  { name: 'MALFORMED_REQUEST: protocol 0 with an internal port', result: R.MALFORMED_REQUEST, run: (f) => f.map({ protocol: 0 }) },
  { name: 'MALFORMED_REQUEST: PEER without a remote peer port', result: R.MALFORMED_REQUEST, run: (f) => f.peer({ remotePort: 0 }) },
  { name: 'UNSUPP_OPCODE: opcode 5', result: R.UNSUPP_OPCODE, run: (f) => f.ask({ opcode: 5 }) },
  { name: 'UNSUPP_OPCODE: PEER where the profile does not serve it', result: R.UNSUPP_OPCODE, pcp: { peer: false }, run: (f) => f.peer() },
  { name: 'UNSUPP_OPTION: mandatory option 99', result: R.UNSUPP_OPTION, run: (f) => f.map({ options: [pcpOption(99)] }) },
  {
    name: 'UNSUPP_OPTION: THIRD_PARTY where it is not implemented',
    result: R.UNSUPP_OPTION,
    run: (f) => f.map({ options: [thirdPartyOption(OTHER)] }),
  },
  {
    name: 'MALFORMED_OPTION: PREFER_FAILURE with nothing suggested',
    result: R.MALFORMED_OPTION,
    run: (f) => f.map({ options: [preferFailureOption()] }),
  },
  { name: 'NETWORK_FAILURE: the WAN is down', result: R.NETWORK_FAILURE, config: { wanUp: false }, run: (f) => f.map() },
  {
    name: 'NO_RESOURCES: the forward table is full',
    result: R.NO_RESOURCES,
    config: { maxForwards: 1 },
    run: (f) => (f.map(), f.map({ internalPort: 5001, nonce: NONCE2 })),
  },
  { name: 'UNSUPP_PROTOCOL: ICMP (1)', result: R.UNSUPP_PROTOCOL, run: (f) => f.map({ protocol: 1 }) },
  { name: 'UNSUPP_PROTOCOL: all protocols (0, port 0)', result: R.UNSUPP_PROTOCOL, run: (f) => f.map({ protocol: 0, internalPort: 0 }) },
  {
    name: 'USER_EX_QUOTA: a third mapping where two are allowed',
    result: R.USER_EX_QUOTA,
    pcp: { maxMappingsPerHost: 2 },
    run: (f) => (f.map({ internalPort: 5000 }), f.map({ internalPort: 5001 }), f.map({ internalPort: 5002 })),
  },
  {
    name: 'CANNOT_PROVIDE_EXTERNAL: PREFER_FAILURE and the port is taken',
    result: R.CANNOT_PROVIDE_EXTERNAL,
    run: (f) => (f.map({}, OTHER), f.map({ suggestedPort: 5000, options: [preferFailureOption()] })),
  },
  {
    name: 'CANNOT_PROVIDE_EXTERNAL: PREFER_FAILURE and another external address',
    result: R.CANNOT_PROVIDE_EXTERNAL,
    run: (f) => f.map({ suggestedPort: 5000, suggestedAddress: '198.51.100.1', options: [preferFailureOption()] }),
  },
  {
    name: 'ADDRESS_MISMATCH: the client field differs from the source',
    result: R.ADDRESS_MISMATCH,
    run: (f) => f.map({ client: '10.0.0.5' }),
  },
  {
    name: 'EXCESSIVE_REMOTE_PEERS: nine FILTERs where eight are allowed',
    result: R.EXCESSIVE_REMOTE_PEERS,
    run: (f) => f.map({ options: Array.from({ length: 9 }, (_, i) => filterOption(`203.0.113.${i}`, 32)) }),
  },
];

describe('PCP result codes, each with the lifetime its class carries', () => {
  it('covers every result code 0–13', () => {
    expect(new Set(rows.map((r) => r.result))).toEqual(new Set(Object.values(R)));
  });

  it.each(rows)('$name', (row) => {
    const f = pcpFixture(row.pcp, row.config);
    const r = row.run(f);
    expect(r.result).toBe(row.result);
    const expected =
      row.result === R.SUCCESS
        ? 3600
        : [R.NETWORK_FAILURE, R.NO_RESOURCES, R.USER_EX_QUOTA, R.CANNOT_PROVIDE_EXTERNAL].includes(row.result as 7)
          ? short
          : long;
    expect(r.lifetime).toBe(expected);
    expect(r.length % 4).toBe(0);
  });

  it.each(rows.filter((r) => r.result !== R.SUCCESS))("miniupnpd's error lifetimes: $name → 0 or 30 s", (row) => {
    const f = pcpFixture({ ...row.pcp, errorLifetimes: { long: 0, short: 30 } }, row.config);
    const r = row.run(f);
    expect(r.result).toBe(row.result);
    expect(r.lifetime).toBe(
      [R.NETWORK_FAILURE, R.NO_RESOURCES, R.USER_EX_QUOTA, R.CANNOT_PROVIDE_EXTERNAL].includes(row.result as 7) ? 30 : 0,
    );
  });

  it('an error answer copies the nonce, protocol, internal port and the suggested port and address', () => {
    const f = pcpFixture();
    const r = f.map({ client: '10.0.0.5', suggestedPort: 6000, suggestedAddress: WAN });
    expect(r).toMatchObject({
      result: R.ADDRESS_MISMATCH,
      nonce: NONCE,
      protocol: UDP,
      internalPort: 5000,
      externalPort: 6000,
      externalAddress: { kind: 'ipv4', address: WAN },
    });
    expect(f.pcpRows()).toEqual([]);
  });

  it('UNSUPP_OPTION echoes the option it did not understand; an optional unknown option is skipped', () => {
    const f = pcpFixture();
    expect(f.map({ options: [pcpOption(99, new Uint8Array(2))] })).toMatchObject({ result: R.UNSUPP_OPTION, optionCodes: [99] });
    expect(f.map({ options: [pcpOption(222, new Uint8Array(2))] })).toMatchObject({ result: R.SUCCESS, optionCodes: [] });
  });
});
