/**
 * The scenario side of the CLI, spawned as users run it: `node bin/natsim.js …`.
 * Spawns run concurrently (each test uses its own `expect`).
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it, vi } from 'vitest';
import { NAT_PRESETS } from '../../src/nat/policy.js';
import { APPS, PROBES } from '../../src/scenario/apps.js';
import { scenarioJsonSchema } from '../../src/scenario/schema.js';

vi.setConfig({ testTimeout: 40_000 });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BAD = 'test/scenario/fixtures/bad-unknown-key.yaml';
const WRONG = 'test/scenario/fixtures/wrong-expectation.yaml';
const WM04 = 'scenarios/wm-04-isp-nat.yaml';
const CALL = 'alice calls bob (audio/video)';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from the repository root; never rejects on a non-zero exit. */
function natsim(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/natsim.js', ...args],
      { cwd: ROOT, timeout: 25_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

describe.concurrent('natsim run', () => {
  it('run scenarios/ --json: one JSON object per scenario, every check passes, exit 0', async ({ expect }) => {
    const r = await natsim('run', 'scenarios/', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const files = readdirSync(`${ROOT}scenarios`)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
    expect(lines).toHaveLength(files.length);
    const parsed = lines.map(
      (l) =>
        JSON.parse(l) as {
          scenario: string;
          file: string;
          checks: Array<{ name: string; pass: boolean; reason: string }>;
          passed: number;
          failed: number;
        },
    );
    expect(parsed.map((p) => p.file)).toEqual(files.map((f) => `scenarios/${f}`));
    for (const p of parsed) {
      expect(p.failed, p.file).toBe(0);
      expect(p.passed, p.file).toBe(p.checks.length);
      expect(p.checks.filter((c) => !c.pass).map((c) => `${p.file}: ${c.name}: ${c.reason}`)).toEqual([]);
    }
  });

  it('run on a fixture with a wrong expectation: exit 1, FAIL line with the reason', async ({ expect }) => {
    const r = await natsim('run', WRONG);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        `wrong expectation fixture (${WRONG})`,
        '  FAIL works   public to public (expected fails)',
        '         every flow of tcp-connect got through both ways — direct TCP connect: alice → bob went straight across the Internet, no NAT or firewall on the way',
        '  PASS works   public to public (right) (expected works)',
        '  1 passed, 1 failed',
        '',
        '1 checks passed, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('run --json on the same fixture: exit 1 and pass:false in the JSON', async ({ expect }) => {
    const r = await natsim('run', WRONG, '--json');
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as {
      checks: Array<{ pass: boolean; result: string; expect: string }>;
      passed: number;
      failed: number;
    };
    expect(json).toMatchObject({ passed: 1, failed: 1 });
    expect(json.checks.map((c) => [c.expect, c.result, c.pass])).toEqual([
      ['fails', 'works', false],
      ['works', 'works', true],
    ]);
  });

  it('run on an invalid file: exit 1 and the located error on stderr', async ({ expect }) => {
    const r = await natsim('run', BAD);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${BAD}:7:5: routers.home.servcies: unknown key "servcies" (did you mean "services"?)`);
  });
});

describe.concurrent('natsim validate', () => {
  it('a bad fixture: exit 1 with file:line:col: path: message on stderr', async ({ expect }) => {
    const r = await natsim('validate', BAD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${BAD}:7:5: routers.home.servcies: unknown key "servcies" (did you mean "services"?); expected one of: parent, wan, lan, lanAddress, nat, firewall, forwards, algs, services, profile, permissions, wanUp, upstream, description\n`,
    );
  });

  it('good files: "<file>: ok" for each, exit 0', async ({ expect }) => {
    const r = await natsim('validate', WM04, WRONG);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${WM04}: ok\n${WRONG}: ok\n`);
  });

  it('a mix: reports every file and exits 1', async ({ expect }) => {
    const r = await natsim('validate', WM04, BAD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${WM04}: ok\n`);
    expect(r.stderr).toMatch(new RegExp(`^${BAD.replace(/[.]/g, '\\.')}:7:5: `));
  });
});

describe.concurrent('natsim explain', () => {
  it('--check: the text narrative of that check only', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--check', CALL);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Check "${CALL}": alice → bob, av`);
    expect(lines[1]).toBe('Result: FAILS (expected fails, as expected)');
    expect(r.stdout).toContain('UPnP reached only home-a, so no mapping exists at isp-nat');
    expect(r.stdout).toContain('The decisive drop happened on the Internet.');
    expect(r.stdout.match(/^Check "/gm)).toHaveLength(1);
  });

  it('--format mermaid: a sequence diagram headed by the check name', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--check', CALL, '--format', 'mermaid');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`%% ${CALL}`);
    expect(lines[1]).toBe('sequenceDiagram');
    expect(lines).toContain('  participant isp_nat as isp-nat');
    expect(lines.some((l) => /^ {2}bob-xinternet: UDP /.test(l))).toBe(true);
  });

  it('--check nope: exit 2 with the list of checks', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--check', 'nope');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: no check "nope" in ${WM04}; checks: IM and presence, alice calls bob (audio/video), bob calls alice (audio/video), alice shares an application with bob, alice sends bob a file, remote assistance\n`,
    );
  });

  it('--format dot: exit 2', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--format', 'dot');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --format must be text, mermaid, markdown, json or html, not "dot"\n');
  });

  it('--format json: the run with every step and hop of every check', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--check', CALL, '--format', 'json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      scenario: string;
      file: string;
      passed: number;
      failed: number;
      checks: Array<{
        name: string;
        result: string;
        failedAt?: string;
        steps: Array<{ actor: string; text: string; hops?: Array<{ node: string; action: string }> }>;
      }>;
    };
    expect(json).toMatchObject({ file: WM04, passed: 1, failed: 0 });
    expect(json.checks.map((c) => [c.name, c.result, c.failedAt])).toEqual([[CALL, 'fails', 'internet']]);
    expect(json.checks[0]!.steps.length).toBeGreaterThan(3);
    expect(json.checks[0]!.steps.some((s) => s.hops?.some((h) => h.action === 'drop'))).toBe(true);
  });

  it('--topology: the network as a tree (text) and as JSON', async ({ expect }) => {
    const [text, json] = await Promise.all([
      natsim('explain', WM04, '--topology'),
      natsim('explain', WM04, '--topology', '--format', 'json'),
    ]);
    expect(text).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Internet',
        '├─ isp-nat (router): WAN 203.0.113.1 · LAN 100.64.0.0/10 · NAT cgnat',
        '│  └─ home-a (router): WAN 100.64.0.2 · LAN 192.168.1.0/24 · NAT port-restricted-cone · UPnP',
        '│     └─ alice (host): 192.168.1.10 · windows-messenger',
        '├─ bob (host): 198.51.100.20 · windows-messenger',
        '└─ messenger (server): 198.51.100.5 · signalling',
        '',
      ].join('\n'),
    });
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain(`$ npx natsim explain ${WM04} --topology\n${text.stdout}`);
    expect((JSON.parse(json.stdout) as { nodes: Array<{ id: string; on: string }> }).nodes.map((n) => `${n.id}@${n.on}`)).toEqual([
      'isp-nat@internet',
      'home-a@isp-nat',
      'alice@home-a',
      'bob@internet',
      'messenger@internet',
    ]);
  });

  it('--topology with --check: a usage error', async ({ expect }) => {
    const r = await natsim('explain', WM04, '--topology', '--check', CALL);
    expect(r).toEqual({ code: 2, stdout: '', stderr: 'error: --topology draws the whole network: it takes no --check\n' });
  });
});

describe.concurrent('natsim run --check', () => {
  it('plays only that check', async ({ expect }) => {
    const r = await natsim('run', WM04, '--check', CALL, '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { checks: Array<{ name: string }>; passed: number };
    expect(json.checks.map((c) => c.name)).toEqual([CALL]);
    expect(json.passed).toBe(1);
  });

  it('a name no file has: exit 2 with the checks of the file', async ({ expect }) => {
    const r = await natsim('run', WM04, '--check', 'nope');
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `error: no check "nope" in ${WM04} (checks: IM and presence, alice calls bob (audio/video), bob calls alice (audio/video), alice shares an application with bob, alice sends bob a file, remote assistance)\n`,
    });
  });

  it('across a directory: runs it in the files that have it', async ({ expect }) => {
    const r = await natsim('run', 'scenarios/', '--check', CALL, '--json');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { checks: Array<{ name: string }> });
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((l) => l.checks.length === 1 && l.checks[0]!.name === CALL)).toBe(true);
  });
});

describe.concurrent('natsim presets and schema', () => {
  it('presets lists every NAT preset, app (with its features) and probe', async ({ expect }) => {
    const r = await natsim('presets');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const p of Object.values(NAT_PRESETS)) expect(lines).toContain(`  ${p.name.padEnd(22)} ${p.description}`);
    for (const a of Object.values(APPS)) {
      expect(lines).toContain(`  ${a.id.padEnd(22)} ${a.name}: ${a.description}`);
      expect(lines).toContain(`  ${''.padEnd(22)} features: ${Object.keys(a.features).join(', ')} (default ${a.defaultFeature})`);
    }
    for (const p of Object.values(PROBES)) expect(lines).toContain(`  ${p.id.padEnd(22)} ${p.description}`);
    expect(lines[0]).toBe('NAT presets:');
  });

  it('schema prints the JSON Schema', async ({ expect }) => {
    const r = await natsim('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(scenarioJsonSchema());
    expect(r.stdout).toBe(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  });
});
