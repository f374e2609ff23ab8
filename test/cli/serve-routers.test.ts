/** src/cli/serve-routers.ts: which routers natsim serve serves, on which addresses, and where the SSDP port guard asks. */
import { describe, expect, it } from 'vitest';
import { chooseRouters, igdAddresses, parseRouterList, routerAddresses } from '../../src/cli/serve-routers.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';

// carrier (PCP), home-a and home-b (UPnP and NAT-PMP), plain (nothing).
const config = async () => (await loadScenarioFile('test/gateway/fixtures/two-homes-and-carrier.yaml')).config;

describe('serve routers', () => {
  it('--router: trimmed, duplicates once; served in scenario order', async () => {
    expect(parseRouterList(' home-b , carrier,home-b')).toEqual(['home-b', 'carrier']);
    expect(chooseRouters(await config(), ['home-b', 'carrier'])).toEqual(['carrier', 'home-b']);
    expect(chooseRouters(await config(), undefined)).toEqual(['carrier', 'home-a', 'home-b']);
  });

  it('the SSDP port guard asks every router served as an IGD: one offering UPnP, or named and offering nothing', async () => {
    const c = await config();
    const ids = chooseRouters(c, ['plain', 'carrier', 'home-b']);
    const addresses = routerAddresses('127.0.0.1', ids);
    expect([ids, addresses]).toEqual([
      ['carrier', 'home-b', 'plain'],
      ['127.0.0.1', '127.0.0.2', '127.0.0.3'],
    ]);
    expect(igdAddresses(c, ids, addresses)).toEqual(['127.0.0.2', '127.0.0.3']);
    // One router is always an IGD (startGateway), even the PCP-only carrier.
    expect(igdAddresses(c, ['carrier'], ['127.0.0.1'])).toEqual(['127.0.0.1']);
  });
});
