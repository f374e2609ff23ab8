// Drives the npm `nat-pmp` client (TooTallNate's node-nat-pmp 1.0.0) from a LAN host; prints one JSON line per step.
// usage: node nat-pmp-client.cjs GATEWAY
const natpmp = require('nat-pmp');

const client = natpmp.connect(process.argv[2]);
const step = (name, run) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      console.log(JSON.stringify({ step: name, ok: false, error: 'timeout' }));
      resolve();
    }, 5000);
    run((err, info) => {
      clearTimeout(timer);
      if (err) console.log(JSON.stringify({ step: name, ok: false, error: err.message, code: err.code }));
      else {
        const { msg, ...rest } = info;
        console.log(JSON.stringify({ step: name, ok: true, value: { ...rest, epoch: typeof rest.epoch } }));
      }
      resolve();
    });
  });

(async () => {
  await step('externalIp', (cb) => client.externalIp(cb));
  await step('mapTcp', (cb) => client.portMapping({ private: 4001, public: 4001, ttl: 3600, type: 'tcp' }, cb));
  await step('mapUdp', (cb) => client.portMapping({ private: 4002, public: 0, ttl: 600, type: 'udp' }, cb));
  await step('mapPort0', (cb) => client.portMapping({ private: 0, public: 5000, ttl: 60, type: 'udp' }, cb));
  await step('unmapTcp', (cb) => client.portUnmapping({ private: 4001, public: 0, type: 'tcp' }, cb));
  await step('unmapAllUdp', (cb) => client.portUnmapping({ private: 0, public: 0, type: 'udp' }, cb));
  client.close();
  console.log(JSON.stringify({ step: 'done' }));
})();
