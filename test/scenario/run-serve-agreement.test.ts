/**
 * `natsim run` and `natsim serve` agree: for every router profile, the verdict the simulation
 * gives the upnp-map-connect probe equals what the served gateway answers to the same
 * AddPortMapping over HTTP (and whether the mapping it made lets the connection in) — for one
 * router (startGateway), and for a two-router scenario served whole (startScenarioGateway, as
 * `natsim serve` serves several): each peer maps at its own served router, and the caller's
 * connection crosses both routers of the one shared model.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type ServedRouterHandle, startGateway, startScenarioGateway } from '../../src/gateway/index.js';
import { FakeClock } from '../../src/nat/clock.js';
import { ep, TCP } from '../../src/nat/index.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { ROUTER_PROFILES } from '../../src/soap/profiles.js';
import { mappingArgs, soap } from '../gateway/helpers.js';

const scenario = (profile: string, extra = ''): string => `name: agreement ${profile}
routers:
  gw: { wan: 203.0.113.16, lan: 10.7.0.0/24, services: { upnp: true }, profile: ${profile}${extra} }
hosts:
  h: { router: gw, address: 10.7.0.2 }
  pub: { address: 198.51.100.50 }
checks:
  - { name: map and connect, from: pub, to: h, feature: upnp-map-connect, expect: works }
`;

/** What a served gateway of this scenario does with the probe's request (from 10.7.0.2, via loopback). */
async function served(yaml: string): Promise<'works' | 'fails'> {
  await using gw = await startGateway({ scenario: parseScenario(yaml, 'agreement.yaml'), mxDelay: 'none', clock: new FakeClock(0) });
  const ip = await soap(gw, 'GetExternalIPAddress');
  const external = ip.status === 200 ? (ip.arg('NewExternalIPAddress') ?? '') : '';
  const add = await soap(
    gw,
    'AddPortMapping',
    mappingArgs({
      NewProtocol: 'TCP',
      NewExternalPort: 8000,
      NewInternalPort: 8000,
      NewInternalClient: '10.7.0.2',
      NewLeaseDuration: 0,
    }),
  );
  if (add.status !== 200 || external === '') return 'fails';
  const syn = gw.network.send('pub', { proto: 'tcp', src: ep('198.51.100.50', 40000), dst: ep(external, 8000), flags: TCP.SYN });
  return syn.delivered && syn.to === 'h' ? 'works' : 'fails';
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `natsim run FILE --json` as a process: the result of its one check. */
function cliRun(yaml: string): Promise<{ code: number; result: string; reason: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'natsim-agree-')), 'agreement.yaml');
  writeFileSync(file, yaml);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['bin/natsim.js', 'run', file, '--json'], { cwd: ROOT, timeout: 25_000 }, (err, stdout) => {
      if (err && typeof err.code !== 'number') return reject(err);
      try {
        const out = JSON.parse(stdout) as { checks: Array<{ result: string; reason: string }> };
        resolve({ code: err ? (err.code as number) : 0, result: out.checks[0]!.result, reason: out.checks[0]!.reason });
      } catch (e) {
        reject(e);
      }
    });
  });
}

describe('natsim run and natsim serve agree on upnp-map-connect', () => {
  for (const name of Object.keys(ROUTER_PROFILES)) {
    it(`profile ${name}`, async () => {
      const yaml = scenario(name);
      const run = runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!;
      expect(run.result).toBe(await served(yaml));
    });
  }

  it('disconnected-wan, through the natsim run command itself: fails with 501, as the served gateway', async () => {
    const yaml = scenario('disconnected-wan');
    const run = await cliRun(yaml);
    expect(run).toMatchObject({ code: 1, result: 'fails' });
    // No mapping, so h could only advertise its private address.
    expect(run.reason).toMatch(/h advertised its private address 10\.7\.0\.2/);
    expect(await served(yaml)).toBe('fails');
  }, 30_000);

  it('disconnected-wan: both say the mapping fails (run used to say works while serve answered 501)', async () => {
    const yaml = scenario('disconnected-wan');
    const run = runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!;
    expect(run.result).toBe('fails');
    expect(run.steps.map((s) => s.text)).toContain('h: UPnP AddPortMapping on gw failed: 501 Action Failed');
    expect(await served(yaml)).toBe('fails');
  });

  it('miniupnpd: both say it works', async () => {
    const yaml = scenario('miniupnpd');
    expect(runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!.result).toBe('works');
    expect(await served(yaml)).toBe('works');
  });

  it("a scenario's permissions: apply to both (a rule denying the probe's port 8000 → 606, fails in both)", async () => {
    const yaml = scenario('miniupnpd', ', permissions: ["deny 8000 0.0.0.0/0 0-65535", "allow 1024-65535 10.7.0.0/24 1024-65535"]');
    const run = runScenario(parseScenario(yaml, 'agreement.yaml')).checks[0]!;
    expect(run.result).toBe('fails');
    expect(run.steps.map((s) => s.text)).toContain('h: UPnP AddPortMapping on gw failed: 606 Action not authorized');
    expect(await served(yaml)).toBe('fails');
    // Allowing it again: both work.
    const open = scenario('miniupnpd', ', permissions: ["allow 8000 10.7.0.0/24 8000"]');
    expect(runScenario(parseScenario(open, 'agreement.yaml')).checks[0]!.result).toBe('works');
    expect(await served(open)).toBe('works');
  });
});

/** Two homes, each peer behind its own UPnP router; each calls the other with upnp-map-connect. */
const twoHomes = (profileA: string, profileB: string): string => `name: agreement ${profileA} and ${profileB}
routers:
  gw-a: { wan: 203.0.113.16, lan: 10.7.0.0/24, services: { upnp: true }, profile: ${profileA} }
  gw-b: { wan: 203.0.113.26, lan: 10.8.0.0/24, services: { upnp: true }, profile: ${profileB} }
hosts:
  ha: { router: gw-a, address: 10.7.0.2 }
  hb: { router: gw-b, address: 10.8.0.2 }
checks:
  - { name: b calls a, from: hb, to: ha, feature: upnp-map-connect, expect: works }
  - { name: a calls b, from: ha, to: hb, feature: upnp-map-connect, expect: works }
`;

/** A peer and where it listens. */
interface Peer {
  readonly host: string;
  readonly address: string;
  readonly router: string;
}
const HA: Peer = { host: 'ha', address: '10.7.0.2', router: 'gw-a' };
const HB: Peer = { host: 'hb', address: '10.8.0.2', router: 'gw-b' };

/**
 * The probe against routers served at once: `peer` maps TCP 8000 at its own served router over
 * HTTP (a loopback client stands for its address, LAN + 1), then `caller` connects through its
 * own router to the external address that router reported: SYN in, SYN-ACK back.
 */
async function mapAndConnect(router: (id: string) => ServedRouterHandle, peer: Peer, caller: Peer): Promise<'works' | 'fails'> {
  const gw = router(peer.router);
  const igd = { descriptionUrl: gw.descriptionUrl!, igdVersion: gw.igdVersion };
  const ip = await soap(igd, 'GetExternalIPAddress');
  const external = ip.status === 200 ? (ip.arg('NewExternalIPAddress') ?? '') : '';
  const add = await soap(
    igd,
    'AddPortMapping',
    mappingArgs({ NewProtocol: 'TCP', NewExternalPort: 8000, NewInternalPort: 8000, NewInternalClient: peer.address, NewLeaseDuration: 0 }),
  );
  if (add.status !== 200 || external === '') return 'fails';
  const net = gw.network;
  const syn = net.send(caller.host, { proto: 'tcp', src: ep(caller.address, 40000), dst: ep(external, 8000), flags: TCP.SYN });
  if (!syn.delivered || syn.to !== peer.host) return 'fails';
  const synAck = net.send(peer.host, { proto: 'tcp', src: ep(peer.address, 8000), dst: syn.packet.src, flags: TCP.SYN | TCP.ACK });
  return synAck.delivered && synAck.to === caller.host ? 'works' : 'fails';
}

/** Both checks against the two routers served whole from one model. */
async function servedWhole(yaml: string): Promise<Array<'works' | 'fails'>> {
  await using gws = await startScenarioGateway({
    scenario: parseScenario(yaml, 'agreement.yaml'),
    mxDelay: 'none',
    clock: new FakeClock(0),
  });
  expect(gws.routers).toEqual(['gw-a', 'gw-b']);
  return [await mapAndConnect(gws.router, HA, HB), await mapAndConnect(gws.router, HB, HA)];
}

describe('natsim run and a whole served scenario agree on upnp-map-connect between two routers', () => {
  const names = Object.keys(ROUTER_PROFILES);
  // Every profile at gw-a, and (the next one in the list) at gw-b: each profile on both sides.
  for (const [i, name] of names.entries()) {
    const other = names[(i + 1) % names.length]!;
    it(`gw-a ${name}, gw-b ${other}`, async () => {
      const yaml = twoHomes(name, other);
      const run = runScenario(parseScenario(yaml, 'agreement.yaml')).checks.map((c) => c.result);
      expect(run).toEqual(await servedWhole(yaml));
    });
  }

  it('miniupnpd at both: both calls work; disconnected-wan at gw-a: the call to a fails in both, the call to b still works', async () => {
    const both = twoHomes('miniupnpd', 'miniupnpd');
    expect(runScenario(parseScenario(both, 'agreement.yaml')).checks.map((c) => c.result)).toEqual(['works', 'works']);
    expect(await servedWhole(both)).toEqual(['works', 'works']);
    const down = twoHomes('disconnected-wan', 'miniupnpd');
    expect(runScenario(parseScenario(down, 'agreement.yaml')).checks.map((c) => c.result)).toEqual(['fails', 'works']);
    expect(await servedWhole(down)).toEqual(['fails', 'works']);
  });
});
