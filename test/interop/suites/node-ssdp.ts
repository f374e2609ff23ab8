/**
 * Discovery interop from a LAN host: node-ssdp's Client (clients/node-ssdp-client.cjs) and
 * `natsim discover`, against startGateway() and against `natsim serve` run as a child process
 * (listening by interface name). Lab: see netns.ts.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, startGateway } from '../../../src/gateway/start-gateway.js';
import { CLIENTS, GW_ADDRESS, GW_IFACE, jsonLines, LAN_IFACE, type Lan, NODE, REPO } from '../netns.js';

const WAN = '203.0.113.10';
const IGD1 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:1';
const IGD2 = 'urn:schemas-upnp-org:device:InternetGatewayDevice:2';

/** Registers the suite; `getLan` yields the shared lan host once the file's beforeAll has built it. */
export function nodeSsdpSuite(getLan: () => Lan): void {
  describe('discovery from the LAN host', () => {
    let lan: Lan;
    let gw: GatewayHandle | undefined;
    let rootUdn = '';
    let udns: string[] = [];

    beforeAll(async () => {
      lan = getLan();
      gw = await startGateway({
        scenario: 'scenarios/default.yaml',
        listen: GW_ADDRESS,
        httpPort: 0,
        ssdpPort: 1900,
        multicast: true,
        mxDelay: 'none',
      });
      udns = [...(await (await fetch(gw.descriptionUrl)).text()).matchAll(/<UDN>(uuid:[^<]+)<\/UDN>/g)].map((m) => m[1]!);
      rootUdn = udns[0]!;
    });

    afterAll(async () => {
      await gw?.stop();
    });

    it('node-ssdp Client: IGD:1, IGD:2 and ssdp:all searches are answered from 1900', async () => {
      const r = await lan.run(NODE, [`${CLIENTS}node-ssdp-client.cjs`, LAN_IFACE, '800', IGD1, IGD2, 'ssdp:all'], 15_000);
      expect(r.code, r.output).toBe(0);
      const responses = jsonLines(r.stdout).filter((e) => e.event === 'response') as Array<{
        statusCode: number;
        headers: Record<string, string>;
        from: string;
      }>;
      expect(
        responses.every((x) => x.statusCode === 200 && x.from === `${GW_ADDRESS}:1900` && x.headers.LOCATION === gw!.descriptionUrl),
      ).toBe(true);
      const igd1 = responses.find((x) => x.headers.ST === IGD1);
      expect(igd1?.headers).toMatchObject({
        USN: `${rootUdn}::${IGD1}`,
        EXT: '',
        'CACHE-CONTROL': 'max-age=1800',
        SERVER: expect.stringMatching(/UPnP\/1\.1 MiniUPnPd\//),
      });
      expect(responses.find((x) => x.headers.ST === IGD2)?.headers.USN).toBe(`${rootUdn}::${IGD2}`);
      // ssdp:all: one answer per USN of the three devices, as miniupnpd gives.
      const [root, wan, wcd] = udns;
      const all = responses.map((x) => x.headers.USN).sort();
      expect(all).toEqual(
        [
          `${root}::${IGD1}`,
          `${root}::${IGD2}`, // the IGD:1 and IGD:2 searches
          root,
          `${root}::upnp:rootdevice`,
          `${root}::${IGD2}`,
          `${root}::urn:schemas-upnp-org:service:Layer3Forwarding:1`,
          wan,
          `${wan}::urn:schemas-upnp-org:device:WANDevice:2`,
          `${wan}::urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1`,
          wcd,
          `${wcd}::urn:schemas-upnp-org:device:WANConnectionDevice:2`,
          `${wcd}::urn:schemas-upnp-org:service:WANIPConnection:2`,
          `${wcd}::urn:schemas-upnp-org:service:WANPPPConnection:1`, // advertised, as miniupnpd's non-strict builds do
        ].sort(),
      );
      expect(responses).toHaveLength(13); // 1 + 1 + 11
    });

    it('natsim discover (--json and text) finds it and reads the external address', async () => {
      const [json, text] = await Promise.all([
        lan.run(NODE, ['bin/natsim.js', 'discover', '--timeout', '2', '--json'], 20_000),
        lan.run(NODE, ['bin/natsim.js', 'discover', '--timeout', '2'], 20_000),
      ]);
      expect(json.code, json.output).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual([
        { location: gw!.descriptionUrl, st: IGD1, usn: `${rootUdn}::${IGD1}`, server: expect.stringMatching(/MiniUPnPd/), externalIp: WAN },
      ]);
      expect(text.code, text.output).toBe(0);
      expect(text.stdout).toContain(`${gw!.descriptionUrl}  `);
      expect(text.stdout).toContain(`  ${IGD1}`);
      expect(text.stdout).toContain(`  external address: ${WAN}`);
    }, 25_000);

    it('`natsim serve --listen <iface>` as a child: discovered, answers, stops cleanly on SIGTERM', async () => {
      await gw!.stop();
      gw = undefined;
      const serve: ChildProcessWithoutNullStreams = spawn(NODE, ['bin/natsim.js', 'serve', '--listen', GW_IFACE, '--json'], { cwd: REPO });
      let err = '';
      serve.stderr.on('data', (d: Buffer) => (err += d.toString()));
      try {
        const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
          const rl = createInterface({ input: serve.stdout });
          rl.once('line', (l) => resolve(JSON.parse(l) as Record<string, unknown>));
          serve.once('close', (c) => reject(new Error(`natsim serve exited (${c}): ${err}`)));
        });
        expect(ready).toMatchObject({
          ready: true,
          ssdp: `${GW_ADDRESS}:1900`,
          router: 'home-a',
          profile: 'miniupnpd',
          igd: 2,
          externalIp: WAN,
        });
        expect(ready.descriptionUrl).toMatch(/^http:\/\/10\.99\.0\.1:\d+\/rootDesc\.xml$/);
        // `natsim serve` delays multicast replies randomly within MX, as real devices do, and
        // node-ssdp always sends MX: 3 — so it listens longer than 3 s.
        const r = await lan.run(NODE, [`${CLIENTS}node-ssdp-client.cjs`, LAN_IFACE, '4000', IGD1], 15_000);
        const responses = jsonLines(r.stdout).filter((e) => e.event === 'response') as Array<{ headers: Record<string, string> }>;
        expect(
          responses.map((x) => [x.headers.ST, x.headers.LOCATION]),
          r.output,
        ).toEqual([[IGD1, ready.descriptionUrl]]);
        const ext = await fetch(String(ready.descriptionUrl).replace('rootDesc.xml', 'ctl/IPConn'), {
          method: 'POST',
          headers: {
            'Content-Type': 'text/xml; charset="utf-8"',
            SOAPAction: '"urn:schemas-upnp-org:service:WANIPConnection:2#GetExternalIPAddress"',
          },
          body: '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"/></s:Body></s:Envelope>',
        });
        expect(await ext.text()).toContain(`<NewExternalIPAddress>${WAN}</NewExternalIPAddress>`);
      } finally {
        if (serve.exitCode === null && serve.signalCode === null) {
          const code = await new Promise<number | null>((resolve) => {
            serve.once('close', resolve);
            serve.kill('SIGTERM');
          });
          expect(code, err).toBe(0); // byebye sent, sockets closed, exit 0
        }
      }
    }, 30_000);
  });
}
