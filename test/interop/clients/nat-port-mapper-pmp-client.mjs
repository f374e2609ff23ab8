// Drives the NAT-PMP client of @achingbrain/nat-port-mapper (pmpNat) from a LAN host; prints one JSON line per step.
// usage: node nat-port-mapper-pmp-client.mjs GATEWAY LOCAL_ADDRESS
import { pmpNat } from '@achingbrain/nat-port-mapper';

const [gatewayAddress, local] = process.argv.slice(2);
const step = async (name, fn) => {
  try {
    console.log(JSON.stringify({ step: name, ok: true, value: await fn() }));
  } catch (e) {
    console.log(JSON.stringify({ step: name, ok: false, error: String(e?.message ?? e) }));
  }
};

const gateway = pmpNat(gatewayAddress, { autoRefresh: false });
const signal = () => AbortSignal.timeout(5000);
await step('externalIp', () => gateway.externalIp({ signal: signal() }));
await step('mapTcp', () => gateway.map(4001, local, { protocol: 'tcp', ttl: 7200, autoRefresh: false, signal: signal() }));
await step('mapUdp', () =>
  gateway.map(4002, local, { protocol: 'udp', externalPort: 4102, ttl: 600, autoRefresh: false, signal: signal() }),
);
await step('unmap', () => gateway.unmap(4001, { signal: signal() }));
await step('stop', () => gateway.stop());
console.log(JSON.stringify({ step: 'done' }));
process.exit(0);
