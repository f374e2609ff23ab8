/**
 * coturn's `turnutils_natdiscovery -m -f` (RFC 5780 behaviour discovery) run from lab hosts
 * behind each of the nine RFC 4787 mapping × filtering combinations, and behind a
 * port-restricted home router behind a carrier NAT — once against the lab's built-in STUN server
 * (the scenario's two `role: reflector` servers, each the other's alternate address), once
 * against coturn's real `turnserver` on one Internet host of the lab holding two addresses
 * (`aliases`), with the built-in server off. Every request and reply is a real datagram through
 * the model, so the classification natdiscovery prints is the one the NATs are configured with.
 * The file re-runs itself in a sealed network namespace; the lab makes its own inside it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LabHandle, startLab } from '../../src/lab/start-lab.js';
import { parseScenario } from '../../src/scenario/loader.js';
import { assertSealed, IN_NETNS, reexecInNamespace, requireTool } from '../interop/netns.js';
import { spawnTurnserver } from './turnserver.js';

reexecInNamespace('test/lab/natdiscovery.ns.test.ts', 'turnutils_natdiscovery through the lab against the built-in STUN server');

type Behavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
const BEHAVIORS: readonly Behavior[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const SHORT: Record<Behavior, string> = { 'endpoint-independent': 'ei', 'address-dependent': 'ad', 'address-and-port-dependent': 'apd' };
/** How natdiscovery names a behaviour. */
const WORDS: Record<Behavior, string> = {
  'endpoint-independent': 'Endpoint Independent',
  'address-dependent': 'Address Dependent',
  'address-and-port-dependent': 'Address and Port Dependent',
};

interface Case {
  readonly host: string;
  readonly mapping: Behavior;
  readonly filtering: Behavior;
}

const CASES: Case[] = BEHAVIORS.flatMap((mapping) =>
  BEHAVIORS.map((filtering) => ({ host: `h-${SHORT[mapping]}m-${SHORT[filtering]}f`, mapping, filtering })),
);
// A home router (port-restricted cone) behind a carrier NAT: together, EIM with APDF.
const CASCADE: Case = { host: 'h-home-cgn', mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' };

function scenarioText(): string {
  const routers = CASES.map((c, i) => {
    // Endpoint-dependent mappings pick random ports: a preserved port would look endpoint-independent.
    const preset = c.mapping === 'endpoint-independent' ? 'port-restricted-cone' : 'symmetric';
    return `  r${i}: { wan: 203.0.113.${10 + i}, lan: 10.${i}.0.0/24, nat: { preset: ${preset}, mapping: ${c.mapping}, filtering: ${c.filtering} } }`;
  });
  const hosts = CASES.map((c, i) => `  ${c.host}: { router: r${i}, address: 10.${i}.0.2 }`);
  return [
    'name: lab natdiscovery — nine NAT behaviours and a cascade',
    'routers:',
    ...routers,
    '  cgn: { wan: 203.0.113.50, lan: 100.64.0.0/10, nat: cgnat }',
    '  home: { parent: cgn, wan: 100.64.0.2, lan: 192.168.1.0/24, nat: port-restricted-cone }',
    'hosts:',
    ...hosts,
    `  ${CASCADE.host}: { router: home, address: 192.168.1.2 }`,
    '  coturn: { address: 198.51.100.8, aliases: [198.51.100.9] }',
    'servers:',
    '  stun-primary: { address: 198.51.100.6, role: reflector }',
    '  stun-alternate: { address: 198.51.100.7, role: reflector }',
  ].join('\n');
}

/** One way of answering STUN in the lab: the built-in reflectors, or coturn's turnserver on the two-address host. */
interface Variant {
  readonly name: string;
  readonly stun: boolean;
  readonly target: string;
  /** Starts what answers STUN, if the lab does not; resolves once it answers. */
  readonly start?: (lab: LabHandle, dir: string) => Promise<void>;
}

const VARIANTS: readonly Variant[] = [
  { name: "the lab's built-in STUN server", stun: true, target: '198.51.100.6' },
  {
    name: "coturn's turnserver on a two-address host (198.51.100.8 and .9)",
    stun: false,
    target: '198.51.100.8',
    start: async (lab, dir) => {
      spawnTurnserver(lab, 'coturn', ['198.51.100.8', '198.51.100.9'], dir).stdout?.resume(); // its log is not needed
      for (let i = 0; i < 50; i++) {
        const r = await lab.exec('coturn', 'ss -lun');
        if (['198.51.100.8:3478', '198.51.100.9:3478', '198.51.100.8:3479', '198.51.100.9:3479'].every((a) => r.stdout.includes(a))) return;
        await new Promise((done) => setTimeout(done, 100));
      }
      throw new Error('turnserver did not listen on both addresses');
    },
  },
];

if (IN_NETNS) {
  for (const v of VARIANTS) {
    describe(`against ${v.name}`, () => {
      let lab: LabHandle;
      let dir: string;
      const outputs = new Map<string, string>();

      beforeAll(async () => {
        assertSealed(['lo']);
        requireTool('turnutils_natdiscovery', 'coturn');
        dir = mkdtempSync(join(tmpdir(), 'natsim-natdiscovery-'));
        lab = await startLab({ scenario: parseScenario(scenarioText()), stun: v.stun });
        await v.start?.(lab, dir);
        // All at once: each run waits out two 3-second timeouts where the NAT filters the reply.
        await Promise.all(
          [...CASES, CASCADE].map(async (c) => {
            const r = await lab.exec(c.host, ['turnutils_natdiscovery', '-m', '-f', v.target], { timeoutMs: 40_000 });
            outputs.set(c.host, `exit ${r.code}\n${r.output}`);
          }),
        );
      }, 60_000);

      afterAll(async () => {
        await lab?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      for (const c of [...CASES, CASCADE]) {
        it(`${c.host}: natdiscovery prints ${WORDS[c.mapping]} Mapping and ${WORDS[c.filtering]} Filtering`, () => {
          const out = outputs.get(c.host)!;
          expect(out, out).toMatch(/^exit 0$/m);
          expect(out).toContain(`NAT with ${WORDS[c.mapping]} Mapping!`);
          expect(out).toContain(`NAT with ${WORDS[c.filtering]} Filtering!`);
          // The reflexive address is the NAT's outermost address, never the host's own.
          const reflexive = [...out.matchAll(/UDP reflexive addr: ([\d.]+):\d+/g)].map((m) => m[1]);
          expect(reflexive.length).toBeGreaterThan(0);
          const outer = c === CASCADE ? '203.0.113.50' : `203.0.113.${10 + CASES.indexOf(c)}`;
          expect(new Set(reflexive)).toEqual(new Set([outer]));
        });
      }

      it('the replies the NATs filtered were dropped by the model, the rest delivered', () => {
        // Every filtering behaviour but endpoint-independent drops the change-address reply.
        expect(lab.stats.dropped.filtered).toBeGreaterThanOrEqual(CASES.filter((c) => c.filtering !== 'endpoint-independent').length);
        expect(Object.keys(lab.stats.dropped).filter((k) => k !== 'filtered')).toEqual([]);
      });
    });
  }
}
