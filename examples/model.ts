// A home NAT behind a carrier NAT: what a STUN-like server sees, and why an unsolicited packet
// to the home's UPnP-reported address never arrives. Run: npx tsx examples/model.ts
import { ep, FakeClock, formatEndpoint, Network, natPolicy } from '../src/nat/index.js';

const clock = new FakeClock();
const net = new Network({ clock });
net.addRouter({ id: 'isp-nat', wan: '203.0.113.1', lan: '100.64.0.0/10', nat: natPolicy('cgnat') });
net.addRouter({ id: 'home', parent: 'isp-nat', wan: '100.64.0.2', lan: '192.168.1.0/24', nat: natPolicy('port-restricted-cone') });
net.addHost({ id: 'laptop', address: '192.168.1.10', on: 'home' });
net.addHost({ id: 'stun', address: '198.51.100.7' });

// The laptop asks the server what its address looks like from the Internet.
const query = net.send('laptop', { proto: 'udp', src: ep('192.168.1.10', 5000), dst: ep('198.51.100.7', 3478) });
for (const hop of query.hops) console.log(hop.message);
export const reflexive = formatEndpoint(query.packet.src);
console.log(`the server saw ${reflexive}`);

// A mapping made with UPnP on the home router only opens the home router. (The router's mapping
// service is what the UPnP front end calls; it answers a mapping or a named refusal.)
export const upnp = net.router('home').mappings.request(
  {
    requester: '192.168.1.10',
    protocol: 'udp',
    internalClient: '192.168.1.10',
    internalPort: 5000,
    externalPort: 5000,
    lifetime: 3600,
    origin: 'upnp',
  },
  clock.now(),
);
export const dropped: string[] = [];
net.events.on('packet-dropped', (e) => dropped.push(`${e.router}: ${e.reason}`));
const probe = net.send('stun', { proto: 'udp', src: ep('198.51.100.7', 9999), dst: ep('100.64.0.2', 5000) });
export const dropCode = probe.drop?.code;
console.log(probe.drop?.message);

// Five minutes later the idle UDP mappings are gone (RFC 4787 REQ-5).
clock.advance(301_000);
net.expire();
export const mappingsLeft = net.router('home').listMappings(clock.now()).length;
console.log(`mappings on home after 301 s idle: ${mappingsLeft}`);
