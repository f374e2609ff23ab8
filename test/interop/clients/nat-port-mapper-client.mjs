// Drives @achingbrain/nat-port-mapper (libp2p's UPnP client, IGD:2 only) from a LAN host; prints JSON.
// usage: node nat-port-mapper-client.mjs DESCRIPTION_URL LOCAL_ADDRESS
// Steps are reported one JSON line each; the test drives the pauses through stdin ("next\n").
import { createInterface } from 'node:readline';
import { upnpNat } from '@achingbrain/nat-port-mapper';

const [url, local] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const step = async (obj) => {
  console.log(JSON.stringify(obj));
  await lines.next();
};
const result = async (name, fn) => {
  try {
    return { step: name, ok: true, value: await fn() };
  } catch (e) {
    return { step: name, ok: false, error: String(e?.message ?? e) };
  }
};

const client = upnpNat({ autoRefresh: false });
// Discovery by SSDP (the path libp2p takes), then the explicit description URL.
const found = [];
await result('findGateways', async () => {
  for await (const gw of client.findGateways({ signal: AbortSignal.timeout(2500) })) {
    found.push({ id: gw.id, host: gw.host, port: gw.port, family: gw.family });
    break;
  }
});
await step({ step: 'findGateways', found });
const gateway = await client.getGateway(new URL(url));
await step({ step: 'getGateway', id: gateway.id, host: gateway.host, port: gateway.port });
await step(await result('externalIp', () => gateway.externalIp()));
await step(await result('map', () => gateway.map(4001, local, { protocol: 'tcp', description: 'libp2p interop' })));
await step(await result('mapUdp', () => gateway.map(4002, local, { protocol: 'udp', externalPort: 4002, ttl: 7_200_000 })));
await step(await result('unmap', () => gateway.unmap(4001)));
await step(await result('stop', () => gateway.stop()));
console.log(JSON.stringify({ step: 'done' }));
process.exit(0);
