// Drives the npm `nat-api` 0.3 client from a LAN host with NAT-PMP on (it finds the gateway from
// the default route, tries NAT-PMP first and UPnP after); prints one JSON line per step and waits
// for "next" on stdin after each, so the test can look at the mapping table in between.
// usage: node nat-api-client.cjs pmp|upnp   (pmp: enablePMP true; upnp: NAT-PMP off, UPnP only)
const NatAPI = require('nat-api');
const { createInterface } = require('node:readline');

const lines = createInterface({ input: process.stdin });
const waiting = [];
lines.on('line', () => waiting.shift()?.());
const next = () => new Promise((resolve) => waiting.push(resolve));

const client = new NatAPI({ enablePMP: process.argv[2] === 'pmp', ttl: 1800, description: 'natsim nat-api' });
const step = (name, run) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.log(JSON.stringify({ step: name, ok: false, error: 'timeout' }));
      resolve();
    }, 8000);
    run((err, value) => {
      clearTimeout(timer);
      console.log(JSON.stringify(err ? { step: name, ok: false, error: err.message } : { step: name, ok: true, value: value ?? null }));
      resolve();
    });
  });

(async () => {
  await step('externalIp', (cb) => client.externalIp(cb));
  await next();
  await step('mapTcp', (cb) => client.map({ publicPort: 4001, privatePort: 4001, protocol: 'TCP' }, cb));
  await next();
  await step('mapBoth', (cb) => client.map(4003, cb));
  await next();
  await step('unmapTcp', (cb) => client.unmap({ publicPort: 4001, privatePort: 4001, protocol: 'TCP' }, cb));
  await next();
  await step('destroy', (cb) => client.destroy(cb));
  console.log(JSON.stringify({ step: 'done' }));
  process.exit(0);
})();
