/**
 * `natsim discover` by multicast, inside a sealed network namespace only (see
 * test/support/sealed-namespace.ts): a gateway on 127.0.0.1:1900 joined to the SSDP group on lo,
 * found by natsim's own SSDP search sent from lo (the namespace's only interface).
 */
import { describe, expect, it } from 'vitest';
import { startGateway } from '../../src/gateway/start-gateway.js';
import { natsim } from '../support/natsim-cli.js';
import { assertSealed, IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/cli/discover.ns.test.ts', 'natsim discover by multicast');

if (IN_NETNS) {
  describe('natsim discover by multicast on lo', () => {
    it('finds the gateway, once, with its external address', async () => {
      assertSealed(['lo']);
      await using gw = await startGateway({
        scenario: 'scenarios/default.yaml',
        httpPort: 0,
        ssdpPort: 1900,
        multicast: true,
        mxDelay: 'none',
      });
      const r = await natsim('discover', '--timeout', '1', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ location: gw.descriptionUrl, externalIp: '203.0.113.10' })]);
    }, 30_000);
  });
}
