// Searches with node-ssdp's Client from a LAN host and prints every response (JSON, one a line).
// usage: node node-ssdp-client.cjs IFACE MILLISECONDS ST...
const { Client } = require('node-ssdp');

const [iface, ms, ...targets] = process.argv.slice(2);
const client = new Client({ interfaces: [iface], explicitSocketBind: true });
client.on('response', (headers, statusCode, rinfo) => {
  console.log(JSON.stringify({ event: 'response', statusCode, headers, from: `${rinfo.address}:${rinfo.port}` }));
});
(async () => {
  await client.start();
  for (const st of targets) await client.search(st);
  setTimeout(() => {
    client.stop();
    console.log(JSON.stringify({ event: 'done' }));
    process.exit(0);
  }, Number(ms));
})();
