/**
 * GENA delivery to a real subscriber: GUPnP-IGD (libgupnp-igd-1.0 1.2, driven from Python through
 * GObject introspection: Debian python3-gi + gir1.2-gupnpigd-1.0) on the LAN host.
 * GUPnPSimpleIgd finds the gateway by SSDP, subscribes to WANIPConnection events and maps three
 * ports through natsim; the test then removes one and changes the WAN address.
 *
 * Issue 12 found GENA events lost against GUPnP-IGD: after the first, a NOTIFY failed and natsim
 * dropped the subscription, so no later change reached it. Here every mapping change after the
 * subscription must produce a NOTIFY that GUPnP-IGD answers 200 (SEQ 0, 1, 2, … with no gap), and
 * the WAN change — which GUPnP-IGD learns only from GENA — must come back from the library itself
 * as a `mapped-external-port` with the new address for each remaining mapping. Lab: see netns.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import type { UpnpEvent } from '../../../src/soap/types.js';
import { CLIENTS, GW_ADDRESS, LAN_ADDRESS, type Lan, PYTHON, requireTool, stepper } from '../netns.js';

const WAN = '203.0.113.10';
const NEW_WAN = '203.0.113.77';
const PORTS = [40001, 40002, 40003];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function gupnpIgdSuite(getLan: () => Lan): void {
  describe('GUPnP-IGD as a GENA subscriber of the served gateway', () => {
    let lan: Lan;
    let gw: GatewayHandle;

    beforeAll(async () => {
      requireTool(
        { cmd: PYTHON, args: ['-c', 'import gi; gi.require_version("GUPnPIgd", "1.0"); from gi.repository import GUPnPIgd'] },
        'python3-gi gir1.2-gupnpigd-1.0',
      );
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

    it('maps ports and receives an event for every mapping change, and the WAN change through GENA', async () => {
      /** What happened, in order: subscriptions, NOTIFY outcomes, mapping changes. */
      const timeline: string[] = [];
      const gena: UpnpEvent[] = [];
      gw.events.on('upnp', (e) => {
        if (
          e.type === 'subscribe' ||
          e.type === 'renew' ||
          e.type === 'unsubscribe' ||
          e.type === 'subscription-refused' ||
          e.type === 'notify'
        ) {
          gena.push(e);
          timeline.push(
            e.type === 'notify'
              ? `notify ${e.sid} ${e.seq} ${e.ok ? 'ok' : `FAILED ${e.error}`}`
              : 'sid' in e
                ? `${e.type} ${e.sid}`
                : `${e.type} ${e.reason}`,
          );
        }
      });
      gw.events.on('mapping-created', (e) => timeline.push(`created ${e.mapping.externalPort}`));
      gw.events.on('mapping-removed', (e) => timeline.push(`removed ${e.mapping.externalPort}`));
      const child = lan.spawn(PYTHON, [`${CLIENTS}gupnp_igd_client.py`, LAN_ADDRESS, ...PORTS.map(String)]);
      const c = stepper(child);
      const until = async (want: (e: Record<string, unknown>) => boolean, seen: Array<Record<string, unknown>>): Promise<void> => {
        for (;;) {
          const e = await c.next(20_000).catch((err: Error) => {
            throw new Error(`${err.message}\nnatsim's GENA timeline:\n${timeline.join('\n')}`);
          });
          seen.push(e);
          expect(e.event, JSON.stringify(e)).not.toBe('error');
          expect(e.event, JSON.stringify(e)).not.toBe('fatal');
          if (want(e)) return;
        }
      };
      try {
        const out: Array<Record<string, unknown>> = [];
        await until((e) => e.event === 'all-mapped', out);
        const mapped = out.filter((e) => e.event === 'mapped');
        expect(mapped.map((e) => e.port).sort()).toEqual(PORTS);
        for (const e of mapped) expect(e).toMatchObject({ proto: 'TCP', external_ip: WAN, local_ip: LAN_ADDRESS });
        expect(
          gw
            .listMappings()
            .map((m) => m.externalPort)
            .sort(),
        ).toEqual(PORTS);

        // The subscription GUPnP-IGD made (from the LAN host, to a callback on it).
        for (let i = 0; i < 100 && !gena.some((e) => e.type === 'subscribe'); i++) await sleep(50);
        const subs = gena.filter((e): e is Extract<UpnpEvent, { type: 'subscribe' | 'renew' | 'unsubscribe' }> => e.type === 'subscribe');
        expect(subs.length, timeline.join('\n')).toBeGreaterThanOrEqual(1);
        expect(subs.every((s) => s.peer === LAN_ADDRESS && s.callback?.startsWith(`http://${LAN_ADDRESS}:`))).toBe(true);

        // Remove one mapping through the library, then change the WAN address.
        child.stdin.write(`remove ${PORTS[1]}\n`);
        await until((e) => e.event === 'removed', out);
        for (let i = 0; i < 100 && gw.listMappings().length !== 2; i++) await sleep(50);
        expect(
          gw
            .listMappings()
            .map((m) => m.externalPort)
            .sort(),
        ).toEqual([PORTS[0], PORTS[2]]);
        await sleep(300);
        gw.network.router(gw.routerId).setWanAddress(NEW_WAN);
        const after: Array<Record<string, unknown>> = [];
        await until(() => after.filter((e) => e.event === 'mapped' && e.external_ip === NEW_WAN).length >= 2, after);
        const remapped = after.filter((e) => e.event === 'mapped' && e.external_ip === NEW_WAN);
        expect(remapped.map((e) => e.port).sort()).toEqual([PORTS[0], PORTS[2]]);
        for (const e of remapped) expect(e.replaces).toBe(WAN);
        child.stdin.write('quit\n');
        await sleep(200);

        // Every NOTIFY natsim sent was answered 2xx, per subscription SEQ 0, 1, 2, … without a
        // gap, and a subscription that existed before a mapping change got an event for it.
        const notifies = gena.filter((e): e is Extract<UpnpEvent, { type: 'notify' }> => e.type === 'notify');
        expect(
          notifies.filter((n) => !n.ok),
          timeline.join('\n'),
        ).toEqual([]);
        for (const s of subs) {
          const seqs = notifies.filter((n) => n.sid === s.sid).map((n) => n.seq);
          expect(seqs, timeline.join('\n')).toEqual(seqs.map((_, i) => i));
          // Changes after this subscription: mapping created/removed lines and the WAN change.
          const from = timeline.indexOf(`subscribe ${s.sid}`);
          const changes = timeline.slice(from).filter((l) => l.startsWith('created ') || l.startsWith('removed ')).length + 1;
          if (s.path.toLowerCase() === '/evt/ipconn') expect(seqs.length, timeline.join('\n')).toBe(1 + changes);
        }
        const ipconn = subs.filter((s) => s.path.toLowerCase() === '/evt/ipconn');
        expect(ipconn.length, timeline.join('\n')).toBeGreaterThanOrEqual(1);
      } finally {
        c.kill();
      }
    }, 60_000);
  });
}
