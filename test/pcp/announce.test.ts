/** The unsolicited ANNOUNCE's bytes (RFC 6887 §14.1.3): built from the model's epoch and PCP policy. */
import { describe, expect, it } from 'vitest';
import { PCP_OPCODE } from '../../src/constants.js';
import { pcpAnnouncement } from '../../src/pcp/announce.js';
import { parsePcpResponse } from '../../src/pcp/response.js';
import { pcpFixture } from './helpers.js';

describe('pcpAnnouncement', () => {
  it('is an ANNOUNCE response: version 2, R bit, SUCCESS, lifetime 0, the epoch, 24 bytes', () => {
    const f = pcpFixture();
    f.router.mappings.resetEpoch(f.clock.now());
    f.clock.advance(42_000);
    const bytes = pcpAnnouncement(f.router, f.clock.now())!;
    expect(bytes[1]).toBe(0x80 | PCP_OPCODE.Announce);
    expect(parsePcpResponse(bytes)).toEqual({ version: 2, opcode: 0, result: 0, lifetime: 0, epoch: 42, optionCodes: [], length: 24 });
    f.router.reboot(f.clock.now());
    expect(parsePcpResponse(pcpAnnouncement(f.router, f.clock.now())!).epoch).toBe(0);
  });

  it('speaks the version the policy speaks; none where PCP is not served', () => {
    expect(pcpAnnouncement(pcpFixture({ versions: [1] }).router, 0)![0]).toBe(1);
    expect(pcpAnnouncement(pcpFixture({ versions: [] }).router, 0)).toBeUndefined();
  });
});
