/**
 * Interop with the miniupnpc Python binding (Debian python3-miniupnpc 2.2.4, run with
 * /usr/bin/python3) on a LAN host: SSDP multicast discovery, then the IGD:2 actions it wraps.
 * The client (clients/miniupnpc_client.py) pauses after each step so the gateway's table can be
 * checked in between. Lab: see netns.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import { CLIENTS, GW_ADDRESS, LAN_ADDRESS, LAN_IFACE, type Lan, PYTHON, requireTool, stepper } from '../netns.js';

const WAN = '203.0.113.10';

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function miniupnpcPythonSuite(getLan: () => Lan): void {
  describe('python3-miniupnpc against the served gateway', () => {
    let lan: Lan;
    let gw: GatewayHandle;

    beforeAll(async () => {
      requireTool({ cmd: PYTHON, args: ['-c', 'import miniupnpc'] }, 'python3-miniupnpc');
      lan = getLan();
      gw = await startGateway({
        scenario: 'scenarios/default.yaml',
        listen: GW_ADDRESS,
        httpPort: 0,
        ssdpPort: 1900,
        multicast: true,
        mxDelay: 'none',
      });
    });

    afterAll(async () => {
      await gw?.stop();
    });

    it('discovers, selects the IGD, maps, lists, deletes — the table follows every step', async () => {
      const searches: string[] = [];
      gw.events.on('ssdp-search', (e) => searches.push(`${e.via} ${e.st} ${e.answered}`));
      const c = stepper(lan.spawn(PYTHON, [`${CLIENTS}miniupnpc_client.py`, LAN_IFACE]));
      const take = async (name: string): Promise<Record<string, unknown>> => {
        const s = await c.next();
        expect(s.step, JSON.stringify(s)).toBe(name);
        return s;
      };
      try {
        expect(await take('discover')).toEqual({ step: 'discover', value: 1 });
        expect(searches[0]).toBe('multicast urn:schemas-upnp-org:device:InternetGatewayDevice:1 1');
        c.proceed();
        // selectigd() takes the "connected?"-less tier too: it only needs UPNP_GetValidIGD() ≠ 0.
        expect(await take('selectigd')).toEqual({
          step: 'selectigd',
          value: `http://${GW_ADDRESS}:${new URL(gw.descriptionUrl).port}/ctl/IPConn`,
        });
        c.proceed();
        expect(await take('lanaddr')).toEqual({ step: 'lanaddr', value: LAN_ADDRESS });
        c.proceed();
        const status = await take('statusinfo');
        expect(status.value).toEqual(['Connected', expect.any(Number), 'ERROR_NONE']);
        c.proceed();
        expect(await take('connectiontype')).toEqual({ step: 'connectiontype', value: 'IP_Routed' });
        c.proceed();
        expect(await take('externalipaddress')).toEqual({ step: 'externalipaddress', value: WAN });
        c.proceed();

        expect(await take('addportmapping')).toEqual({ step: 'addportmapping', value: true });
        expect(gw.listMappings()).toEqual([
          expect.objectContaining({
            protocol: 'TCP',
            externalPort: 6881,
            internalClient: LAN_ADDRESS,
            internalPort: 6881,
            description: 'natsim interop',
            enabled: true,
            origin: 'upnp',
          }),
        ]);
        expect(gw.listMappings()[0]!.leaseDuration).toBeGreaterThan(3590);
        c.proceed();
        const specific = await take('getspecificportmapping');
        expect(specific.value).toEqual([LAN_ADDRESS, 6881, 'natsim interop', true, expect.any(Number)]);
        expect((specific.value as number[])[4]).toBeGreaterThan(3590);
        c.proceed();
        const generic = await take('getgenericportmapping');
        expect(generic.value).toEqual([6881, 'TCP', [LAN_ADDRESS, 6881], 'natsim interop', '1', '', expect.any(Number)]);
        c.proceed();
        expect(await take('getgenericportmapping1')).toEqual({ step: 'getgenericportmapping1', value: null }); // 713 → None
        c.proceed();
        // Not an action miniupnpd implements (its soapMethods table has none): 401, as there.
        expect(await take('getportmappingnumberofentries')).toEqual({ step: 'getportmappingnumberofentries', error: 'Invalid Action' });
        c.proceed();
        expect(await take('addportmapping_other_client')).toEqual({ step: 'addportmapping_other_client', error: 'Action not authorized' });
        expect(gw.listMappings()).toHaveLength(1);
        c.proceed();
        expect(await take('addanyportmapping')).toEqual({ step: 'addanyportmapping', value: 6881 });
        const udp = gw.listMappings().find((m) => m.protocol === 'UDP');
        expect(udp).toMatchObject({ externalPort: 6881, internalClient: LAN_ADDRESS, internalPort: 6881, description: 'natsim any' });
        expect(udp!.leaseDuration).toBeGreaterThan(604000); // lease 0 on IGD:2 → 604800
        c.proceed();

        expect(await take('deleteportmapping')).toEqual({ step: 'deleteportmapping', value: true });
        expect(gw.listMappings().map((m) => `${m.protocol} ${m.externalPort}`)).toEqual(['UDP 6881']);
        c.proceed();
        expect(await take('getspecificportmapping_after')).toEqual({ step: 'getspecificportmapping_after', value: null });
        c.proceed();
        expect(await take('deleteportmappingrange')).toEqual({ step: 'deleteportmappingrange', value: true });
        expect(gw.listMappings()).toEqual([]);
        c.proceed();
        expect(await take('done')).toEqual({ step: 'done' });
      } finally {
        c.kill();
      }
    }, 30_000);
  });
}
