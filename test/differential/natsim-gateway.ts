/**
 * natsim's side of the differential lab: `startGateway` configured like the lab's miniupnpd.conf
 * (profile `miniupnpd`, or $NATSIM_PROFILE, IGD:2, secure mode, the same permission rules, WAN 100.64.0.1),
 * served on the router namespace's LAN address. lab.sh runs it with `ip netns exec ROUTER node
 * --import tsx`; it prints one JSON ready line and stops on SIGTERM/SIGINT.
 */
import { startGateway } from '../../src/gateway/start-gateway.js';

/** miniupnpd.conf's rules, verbatim. */
const LAB_PERMISSIONS = ['allow 1024-65535 10.77.0.0/24 1024-65535', 'deny 0-65535 0.0.0.0/0 0-65535'];

const gw = await startGateway({
  listen: process.env.NATSIM_LISTEN ?? '10.77.0.1',
  httpPort: Number(process.env.NATSIM_HTTP_PORT ?? 49010),
  ssdpPort: Number(process.env.NATSIM_SSDP_PORT ?? 49011),
  multicast: false,
  profile: process.env.NATSIM_PROFILE ?? 'miniupnpd',
  igdVersion: 2,
  secureMode: true,
  permissions: LAB_PERMISSIONS,
  wan: '100.64.0.1',
  // SSDP timing: the profile's own (miniupnpd: every reply after 50 ms), which the test compares.
});
/**
 * A second gateway like the lab's second miniupnpd (nostun-miniupnpd.sh): the same reserved WAN
 * address without a STUN check, so port forwarding is disabled.
 */
const nostun = await startGateway({
  listen: process.env.NATSIM_LISTEN ?? '10.77.0.1',
  // HTTP port + 20 (49030; 49040 for the miniupnpd-2.3.1 gateway on 49020), SSDP one above.
  httpPort: Number(process.env.NATSIM_HTTP_PORT ?? 49010) + 20,
  ssdpPort: Number(process.env.NATSIM_HTTP_PORT ?? 49010) + 21,
  multicast: false,
  profile: process.env.NATSIM_PROFILE ?? 'miniupnpd',
  igdVersion: 2,
  secureMode: true,
  permissions: LAB_PERMISSIONS,
  wan: '100.64.0.1',
  allowReservedWan: false,
});
gw.events.on('upnp', (e) => {
  if (e.type === 'refused') console.error(JSON.stringify(e));
});
console.log(
  JSON.stringify({
    ready: true,
    descriptionUrl: gw.descriptionUrl,
    externalIp: gw.externalIp,
    profile: gw.profile,
    igd: gw.igdVersion,
    ssdp: gw.ssdpAddress,
    nostun: nostun.descriptionUrl,
  }),
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void Promise.all([gw.stop(), nostun.stop()]).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
