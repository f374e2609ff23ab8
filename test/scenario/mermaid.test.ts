/**
 * Every Mermaid document natsim writes, checked by the real mermaid parser (mermaid's browser
 * build in Debian's chromium, driven by playwright-core): for every shipped scenario, the one
 * document `explain --format mermaid` prints, each check's diagram, each fenced diagram of
 * `--format markdown`, and the topology flowchart — plus the CLI's own output for one file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenarioFile } from '../../src/scenario/loader.js';
import { explainMarkdown, explainMermaid, explainMermaidDocument, mermaidId } from '../../src/scenario/mermaid.js';
import { runScenario } from '../../src/scenario/simulate.js';
import { topologyMermaid } from '../../src/scenario/topology.js';
import { type MermaidParser, startMermaidParser } from '../support/mermaid-parser.js';
import { natsim } from '../support/natsim-cli.js';

const FILES = readdirSync('scenarios')
  .filter((n) => /\.ya?ml$/.test(n))
  .sort()
  .map((n) => `scenarios/${n}`);
const WM04 = 'scenarios/wm-04-isp-nat.yaml';
let parser: MermaidParser;

beforeAll(async () => {
  parser = await startMermaidParser();
}, 60_000);
afterAll(async () => {
  await parser?.close();
});

/** Fenced mermaid blocks of a Markdown text. */
const fenced = (md: string): string[] => [...md.matchAll(/^```mermaid\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);

describe('the real mermaid parser', () => {
  it('refuses what the old multi-check output was: two diagrams glued into one document', async () => {
    const { config } = await loadScenarioFile(WM04);
    const result = runScenario(config, { file: WM04 });
    const glued = result.checks.map((c) => `%% ${c.name}\n${explainMermaid(c)}`).join('\n\n');
    const [verdict] = await parser.parse([glued]);
    expect(verdict!.ok).toBe(false);
  });

  it('accepts every document, diagram and fenced block for every shipped scenario', async () => {
    const docs: Array<[string, string, string]> = [];
    for (const file of FILES) {
      const { config } = await loadScenarioFile(file);
      const result = runScenario(config, { file });
      docs.push([file, 'sequence', explainMermaidDocument(result)]);
      for (const c of result.checks) docs.push([`${file}: ${c.name}`, 'sequence', explainMermaid(c)]);
      const blocks = fenced(explainMarkdown(result));
      expect(blocks, file).toHaveLength(result.checks.length);
      for (const b of blocks) docs.push([`${file} (markdown)`, 'sequence', b]);
      docs.push([`${file} (topology)`, 'flowchart-v2', topologyMermaid(config)]);
    }
    const verdicts = await parser.parse(docs.map((d) => d[2]));
    const bad = verdicts.flatMap((v, i) => (v.ok && v.type === docs[i]![1] ? [] : [`${docs[i]![0]}: ${v.ok ? v.type : v.error}`]));
    expect(bad).toEqual([]);
    expect(docs.length).toBeGreaterThan(FILES.length * 4);
  }, 120_000);

  it('accepts every fenced mermaid block of the README', async () => {
    const blocks = fenced(readFileSync('README.md', 'utf8'));
    expect(blocks.length).toBeGreaterThan(0);
    expect((await parser.parse(blocks)).filter((v) => !v.ok)).toEqual([]);
  });

  it('renders the topology of a cascaded NAT to SVG', async () => {
    const { config } = await loadScenarioFile(WM04);
    const r = await parser.render(topologyMermaid(config));
    expect(r).toMatchObject({ ok: true });
  }, 60_000);

  it('participant ids that are grammar words still parse', async () => {
    const doc = [
      'sequenceDiagram',
      ...['end', 'loop', 'note', '1st'].map((n) => `  participant ${mermaidId(n)} as ${n}`),
      `  ${mermaidId('end')}->>${mermaidId('loop')}: hi`,
    ].join('\n');
    expect(await parser.parse([doc])).toEqual([{ ok: true, type: 'sequence' }]);
  });
});

describe('natsim explain output through the parser', () => {
  it('--format mermaid on a multi-check file: one valid document; --topology --format mermaid: a flowchart; --format markdown: one fenced diagram per check', async () => {
    const [mermaid, topology, markdown] = await Promise.all([
      natsim('explain', WM04, '--format', 'mermaid'),
      natsim('explain', WM04, '--topology', '--format', 'mermaid'),
      natsim('explain', WM04, '--format', 'markdown'),
    ]);
    for (const r of [mermaid, topology, markdown]) expect([r.code, r.stderr]).toEqual([0, '']);
    const blocks = fenced(markdown.stdout);
    expect(blocks).toHaveLength(6);
    expect(mermaid.stdout.match(/^sequenceDiagram$/gm)).toHaveLength(1);
    const verdicts = await parser.parse([mermaid.stdout, topology.stdout, ...blocks]);
    expect(verdicts).toEqual([
      { ok: true, type: 'sequence' },
      { ok: true, type: 'flowchart-v2' },
      ...blocks.map(() => ({ ok: true, type: 'sequence' })),
    ]);
  }, 60_000);
});
