/**
 * natsim's side of the NAT-PMP/PCP differential (natpmp-pcp.test.ts): `startGateway` configured
 * like the lab's miniupnpd.conf (profile `miniupnpd`, or $NATSIM_PROFILE; secure mode, the same
 * permission rules, WAN 100.64.0.1, LAN 10.77.0.0/24) with NAT-PMP and PCP served on the router
 * namespace's LAN address, port $NATSIM_HTTP_PORT + 2 (lab.sh passes the HTTP and SSDP ports).
 * lab.sh runs it with `ip netns exec ROUTER node --import tsx`; it prints one JSON ready line and
 * stops on SIGTERM/SIGINT. No multicast: announcements are not part of the comparison.
 */
import { startGateway } from '../../src/gateway/start-gateway.js';
import { parseScenario } from '../../src/scenario/loader.js';

/** miniupnpd.conf's rules, verbatim. */
const LAB_PERMISSIONS = ['allow 1024-65535 10.77.0.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535'];
const httpPort = Number(process.env.NATSIM_HTTP_PORT ?? 41010);

const scenario = parseScenario(
  `name: pcp-differential
routers:
  gw: { wan: 100.64.0.1, lan: 10.77.0.0/24, services: { upnp: true, natpmp: true, pcp: true } }
hosts: {}
`,
  'pcp-differential.yaml',
);
const gw = await startGateway({
  scenario,
  listen: process.env.NATSIM_LISTEN ?? '10.77.0.1',
  httpPort,
  ssdpPort: Number(process.env.NATSIM_SSDP_PORT ?? httpPort + 1),
  natpmp: { port: httpPort + 2 },
  multicast: false,
  profile: process.env.NATSIM_PROFILE ?? 'miniupnpd',
  igdVersion: 2,
  secureMode: true,
  permissions: LAB_PERMISSIONS,
});
gw.events.on('natpmp', (e) => console.error(JSON.stringify(e)));
console.log(
  JSON.stringify({
    ready: true,
    descriptionUrl: gw.descriptionUrl,
    externalIp: gw.externalIp,
    profile: gw.profile,
    natpmp: gw.natpmpAddress,
  }),
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void gw.stop().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
