/**
 * natsim's IGD against real UPnP clients, each driven as a separate program on a LAN host:
 * upnpc and the python3-miniupnpc binding (libminiupnpc 2.2.4), GSSDP (libgssdp-1.6 through
 * python3-gi), GUPnP-IGD as a GENA subscriber (libgupnp-igd-1.0 through python3-gi),
 * @achingbrain/nat-port-mapper, nat-upnp, node-ssdp and `natsim discover`/`serve`.
 *
 * Run normally, this file re-executes itself under `unshare --net` and asserts that the inner run
 * passed (see netns.ts). Inside, one lan namespace joined by a veth pair is shared by the suites
 * (test/interop/suites/*.ts); each suite serves its own gateway on 10.99.0.1 and stops it after.
 * Needed Debian packages: miniupnpc, python3-miniupnpc, python3-gi, gir1.2-gssdp-1.6,
 * gir1.2-gupnpigd-1.0 (a missing one fails its suite with the package name; nothing is skipped).
 */
import { afterAll, beforeAll } from 'vitest';
import { createLan, IN_NETNS, type Lan, reexecInNamespace } from './netns.js';
import { gssdpSuite } from './suites/gssdp.js';
import { gupnpIgdSuite } from './suites/gupnp-igd.js';
import { miniupnpcPythonSuite } from './suites/miniupnpc-python.js';
import { natPortMapperSuite } from './suites/nat-port-mapper.js';
import { natUpnpSuite } from './suites/nat-upnp.js';
import { nodeSsdpSuite } from './suites/node-ssdp.js';
import { upnpcSuite } from './suites/upnpc.js';

reexecInNamespace('test/interop/real-clients.ns.test.ts', 'natsim with real UPnP clients');

if (IN_NETNS) {
  let lan: Lan | undefined;
  const getLan = (): Lan => {
    if (!lan) throw new Error('the lan namespace was not built (see the first error)');
    return lan;
  };
  beforeAll(async () => {
    lan = await createLan();
  });
  afterAll(async () => {
    await lan?.close();
  });

  upnpcSuite(getLan);
  miniupnpcPythonSuite(getLan);
  gssdpSuite(getLan);
  gupnpIgdSuite(getLan);
  natPortMapperSuite(getLan);
  natUpnpSuite(getLan);
  nodeSsdpSuite(getLan);
}
