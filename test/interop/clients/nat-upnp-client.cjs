// Drives nat-upnp (IGD:1, SSDP discovery on every call) from a LAN host. One JSON line per step;
// the test answers each with "next\n" on stdin after checking the gateway's state.
const readline = require('node:readline');
const natUpnp = require('nat-upnp');

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const step = async (obj) => {
  console.log(JSON.stringify(obj));
  await lines.next();
};
const call = (name, fn) =>
  new Promise((resolve) => {
    fn((err, value) => resolve(err ? { step: name, ok: false, error: String(err.message ?? err) } : { step: name, ok: true, value }));
  });

(async () => {
  const client = natUpnp.createClient();
  client.timeout = 3000;
  await step(await call('externalIp', (cb) => client.externalIp(cb)));
  await step(
    await call('portMapping', (cb) =>
      client.portMapping({ public: 12345, private: 54321, ttl: 600, description: 'nat-upnp interop' }, (e) => cb(e, true)),
    ),
  );
  await step(
    await call('portMappingUdp', (cb) =>
      client.portMapping({ public: 12346, private: 12346, protocol: 'udp', ttl: 0 }, (e) => cb(e, true)),
    ),
  );
  await step(await call('getMappings', (cb) => client.getMappings(cb)));
  await step(await call('getMappingsLocal', (cb) => client.getMappings({ local: true, description: /interop/ }, cb)));
  await step(await call('portUnmapping', (cb) => client.portUnmapping({ public: 12345 }, (e) => cb(e, true))));
  await step(await call('portUnmappingUdp', (cb) => client.portUnmapping({ public: 12346, protocol: 'udp' }, (e) => cb(e, true))));
  client.close();
  console.log(JSON.stringify({ step: 'done' }));
  process.exit(0);
})();
