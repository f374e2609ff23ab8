/**
 * The HTML report in a real browser (Debian's chromium driven by playwright-core): for several
 * shipped scenarios and one whose strings are markup, the page renders with no console error
 * and no request but the file itself; every router, host and server is drawn; every hop of every
 * check is an arrow; a failing check shows its drop (node, reason code, sentence); user text
 * stays text. Also the CLI: `explain --format html` and `run --report FILE`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/report/index.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/loader.js';
import type { ScenarioConfig } from '../../src/scenario/schema.js';
import { runScenario, type ScenarioResult } from '../../src/scenario/simulate.js';
import { CHROMIUM } from '../support/mermaid-parser.js';
import { natsim } from '../support/natsim-cli.js';

const SHIPPED = [
  'scenarios/wm-04-isp-nat.yaml',
  'scenarios/timeline-02-reboot-upnp.yaml',
  'scenarios/nat-catalogue-hole-punch.yaml',
  'scenarios/wm-14-isa-server.yaml',
];
const HOSTILE = `
name: "<script>alert('name')</script> \\"quoted\\" & 'single'"
description: "</style><img src=x onerror=alert(1)> see https://example.com/x.png"
routers:
  home: { wan: 203.0.113.10, lan: 192.168.1.0/24, nat: symmetric }
hosts:
  alice: { router: home, address: 192.168.1.10 }
  bob: { address: 198.51.100.20 }
checks:
  - { name: "<script>alert('check')</script> \\"reach\\"", from: bob, to: alice, feature: tcp-connect, expect: fails }
`;

let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], headless: true });
  dir = mkdtempSync(join(tmpdir(), 'report-'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Rendered {
  requests: string[];
  errors: string[];
  nodes: Array<{ id: string; kind: string; visible: boolean }>;
  checks: Array<{
    name: string;
    hops: number;
    lanes: string[];
    drops: Array<{ node: string; code: string; text: string; visible: boolean }>;
  }>;
  scripts: number;
  images: number;
  title: string;
  timelineRows: number;
  matrixCells: Array<{ row: string; column: string; outcome: string; text: string; visible: boolean }>;
}

/** Opens `html` from a file as a user would; what the page did and shows. */
async function render(html: string, name: string): Promise<Rendered> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.route(
    (url) => url.protocol !== 'file:',
    (route) => route.abort(),
  );
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const seen = await page.evaluate(() => {
    interface El {
      getAttribute(name: string): string | null;
      getBoundingClientRect(): { width: number; height: number };
      querySelector(selector: string): El | null;
      querySelectorAll(selector: string): Iterable<El> & { length: number };
      textContent: string | null;
    }
    const document = (globalThis as unknown as { document: El & { title: string } }).document;
    const visible = (e: El): boolean => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0;
    };
    return {
      nodes: [...document.querySelectorAll('svg.topology [data-node]')].map((g) => ({
        id: g.getAttribute('data-node')!,
        kind: g.getAttribute('data-kind')!,
        visible: visible(g),
      })),
      checks: [...document.querySelectorAll('details.check')].map((d) => {
        return {
          name: d.getAttribute('data-check')!,
          hops: d.querySelectorAll('svg.sequence g.hop').length,
          lanes: [...d.querySelectorAll('svg.sequence g.lane')].map((l) => l.getAttribute('data-lane')!),
          drops: [...d.querySelectorAll('svg.sequence g.hop-drop')].map((g) => ({
            node: g.getAttribute('data-node')!,
            code: g.getAttribute('data-code')!,
            text: [...g.querySelectorAll('text')].map((t) => t.textContent).join(' '),
            visible: visible(g),
          })),
        };
      }),
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img').length,
      title: document.title,
      timelineRows: document.querySelectorAll('table.timeline tbody tr').length,
      matrixCells: [...document.querySelectorAll('table.matrix-grid td.cell')].map((td) => ({
        row: td.getAttribute('data-row')!,
        column: td.getAttribute('data-column')!,
        outcome: (td.getAttribute('class') ?? '').replace('cell ', ''),
        text: td.textContent ?? '',
        visible: visible(td),
      })),
    };
  });
  await page.close();
  return { requests: requests.filter((u) => u !== pathToFileURL(file).href), errors, ...seen };
}

/** What the page must show for a played scenario. */
function expectReport(r: Rendered, config: ScenarioConfig, result: ScenarioResult): void {
  expect(r.errors).toEqual([]);
  expect(r.requests).toEqual([]);
  const drawn = r.nodes.filter((n) => n.visible).map((n) => `${n.kind}:${n.id}`);
  for (const id of Object.keys(config.routers)) expect(drawn).toContain(`router:${id}`);
  for (const id of Object.keys(config.hosts)) expect(drawn).toContain(`host:${id}`);
  for (const id of Object.keys(config.servers)) expect(drawn).toContain(`server:${id}`);
  expect(drawn).toContain('internet:internet');
  expect(r.checks.map((c) => c.name)).toEqual(result.checks.map((c) => c.name));
  result.checks.forEach((c, i) => {
    const shown = r.checks[i]!;
    expect(shown.hops, c.name).toBe(c.steps.reduce((n, s) => n + (s.delivery?.hops.length ?? 0), 0));
    const decisive = [...c.hops].reverse().find((h) => h.action === 'drop');
    if (c.result === 'fails') {
      expect(decisive, c.name).toBeDefined();
      const node = decisive!.node.replace(/^router:/, '');
      const shownDrop = shown.drops.find((d) => d.node === node && d.code === decisive!.code && d.text.includes(decisive!.message));
      expect(shownDrop, `${c.name}: ${decisive!.message} in ${JSON.stringify(shown.drops)}`).toBeDefined();
      expect(shownDrop!.visible).toBe(true);
      expect(shownDrop!.text).toContain(node === 'internet' ? 'DROPPED on the Internet' : `DROPPED at ${node}`);
      expect(shown.lanes).toContain(node);
    }
  });
  expect(r.timelineRows).toBe(result.timeline?.length ?? 0);
}

/** References that would make a browser fetch something: in any tag, an attribute naming a resource that is not a #fragment; url() or @import in the stylesheet; elements that load. */
function resourceReferences(html: string): string[] {
  const found: string[] = [];
  for (const [tag] of html.matchAll(/<[A-Za-z][^>]*>/g)) {
    if (/^<(link|script|iframe|object|embed|img|image|use|source|video|audio)\b/i.test(tag)) found.push(tag);
    for (const m of tag.matchAll(/\s(src|href|xlink:href|srcset|poster|data|action)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)) {
      if (!/^["']?#/.test(m[2]!)) found.push(m[0].trim());
    }
  }
  for (const m of html.matchAll(/url\(|@import/gi)) found.push(m[0]);
  return found;
}

describe('the HTML report in chromium', () => {
  for (const file of SHIPPED) {
    it(`${file}: renders with no error or request; every node, every hop and each failing check's drop is drawn`, async () => {
      const { config } = await loadScenarioFile(file);
      const result = runScenario(config, { file });
      const html = htmlReport([{ config, result }]);
      expect(resourceReferences(html)).toEqual([]);
      expect(html).not.toMatch(/https?:\/\//);
      expectReport(await render(html, file.replace(/\W+/g, '-')), config, result);
    }, 60_000);
  }

  it('a scenario whose strings are markup: shown as text, nothing runs, nothing is fetched', async () => {
    const config = parseScenario(HOSTILE, 'hostile.yaml');
    const result = runScenario(config);
    expect(result.checks[0]!.result).toBe('fails');
    const html = htmlReport([{ config, result }]);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(resourceReferences(html)).toEqual([]);
    const r = await render(html, 'hostile');
    expectReport(r, config, result);
    expect([r.scripts, r.images]).toEqual([0, 0]);
    expect(r.title).toBe(`natsim report — ${config.name}`);
    expect(r.checks[0]!.name).toBe(`<script>alert('check')</script> "reach"`);
  }, 60_000);
});

describe('the harness itself', () => {
  it('would see a fetched resource, a console error and a resource reference (so the checks above can fail)', async () => {
    const bad = '<!doctype html><title>x</title><img src="http://127.0.0.1:9/x.png"><style>b { background: url(y.png) }</style><p>x</p>';
    expect(resourceReferences(bad)).toEqual(['<img src="http://127.0.0.1:9/x.png">', 'src="http://127.0.0.1:9/x.png"', 'url(']);
    const r = await render(bad, 'bad');
    expect(r.requests).toContain('http://127.0.0.1:9/x.png');
    expect(r.errors.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('the CLI writes the report', () => {
  it('natsim explain --format html prints the report of the file; run --report FILE writes one file for several scenarios and still prints the run', async () => {
    const out = join(dir, 'run.html');
    const [explained, ran] = await Promise.all([
      natsim('explain', SHIPPED[0]!, '--format', 'html'),
      natsim('run', SHIPPED[0]!, SHIPPED[1]!, '--report', out),
    ]);
    expect([explained.code, explained.stderr]).toEqual([0, '']);
    expect(explained.stdout.startsWith('<!doctype html>')).toBe(true);
    const { config } = await loadScenarioFile(SHIPPED[0]!);
    expect(explained.stdout.trimEnd()).toBe(htmlReport([{ config, result: runScenario(config, { file: SHIPPED[0] }) }]));
    expect([ran.code, ran.stderr]).toEqual([0, '']);
    expect(ran.stdout).toContain(`report written to ${out}`);
    expect(ran.stdout).toContain('PASS fails   alice calls bob (audio/video)');
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<section class="scenario"/g)).toHaveLength(2);
    const r = await render(html, 'cli-run');
    expect([r.errors, r.requests]).toEqual([[], []]);
    expect(r.checks.length).toBe(6 + 4);
  }, 60_000);

  it('run --report FILE --matrix adds the NAT matrix; natsim matrix --format html is the matrix alone; both render cleanly', async () => {
    const out = join(dir, 'run-matrix.html');
    const [ran, alone] = await Promise.all([
      natsim('run', SHIPPED[0]!, '--report', out, '--matrix'),
      natsim('matrix', '--format', 'html', '--types', 'full-cone,symmetric'),
    ]);
    expect([ran.code, ran.stderr, alone.code, alone.stderr]).toEqual([0, '', 0, '']);
    const r = await render(readFileSync(out, 'utf8'), 'run-matrix');
    expect([r.errors, r.requests]).toEqual([[], []]);
    expect(r.checks.length).toBe(6);
    expect(r.matrixCells).toHaveLength(25);
    expect(r.matrixCells.every((c) => c.visible)).toBe(true);
    expect(r.matrixCells.filter((c) => c.outcome !== 'direct').map((c) => `${c.row}×${c.column} ${c.text}`)).toEqual([
      'port-restricted-cone×symmetric ✗ fails at router-b (filtered)',
      'symmetric×port-restricted-cone ✗ fails at router-b (filtered)',
      'symmetric×symmetric ✗ fails at router-b (filtered)',
    ]);
    const m = await render(alone.stdout, 'matrix-alone');
    expect([m.errors, m.requests, m.title]).toEqual([[], [], 'natsim matrix']);
    expect(m.matrixCells.map((c) => `${c.row}×${c.column}:${c.outcome}`)).toEqual([
      'full-cone×full-cone:direct',
      'full-cone×symmetric:direct',
      'symmetric×full-cone:direct',
      'symmetric×symmetric:fails',
    ]);
  }, 60_000);

  it('a report path that cannot be written: exit 3 and one sentence', async () => {
    const r = await natsim('run', SHIPPED[0]!, '--report', join(dir, 'missing', 'r.html'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: cannot write the report to .*missing\/r\.html: ENOENT/);
  });
});
