/** The report's own layouts and escaping, without a browser: boxes of the network never overlap, lanes keep sides apart. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeText } from '../../src/report/escape.js';
import { orderLanes } from '../../src/report/lanes.js';
import { layoutTopology, MAX_ROW_WIDTH } from '../../src/report/topology-layout.js';
import { allDrawn, drawnTopology } from '../../src/report/topology-model.js';
import { loadScenarioFile } from '../../src/scenario/loader.js';

const FILES = readdirSync('scenarios')
  .filter((n) => n.endsWith('.yaml'))
  .map((n) => `scenarios/${n}`);

describe('topology layout', () => {
  it('places every router, host and server of every shipped scenario once, with no two boxes overlapping and children below their router', async () => {
    for (const file of FILES) {
      const { config } = await loadScenarioFile(file);
      const roots = drawnTopology(config);
      const layout = layoutTopology(roots);
      const ids = layout.nodes.map((p) => p.node.id).sort();
      expect(ids, file).toEqual([...Object.keys(config.routers), ...Object.keys(config.hosts), ...Object.keys(config.servers)].sort());
      expect(allDrawn(roots)).toHaveLength(ids.length);
      for (const [i, a] of layout.nodes.entries()) {
        expect(a.x + a.w, file).toBeLessThanOrEqual(layout.width);
        expect(a.y + a.h, file).toBeLessThanOrEqual(layout.height);
        for (const b of layout.nodes.slice(i + 1)) {
          const apart = a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
          expect(apart, `${file}: ${a.node.id} overlaps ${b.node.id}`).toBe(true);
        }
      }
      const at = new Map(layout.nodes.map((p) => [p.node.id, p]));
      for (const p of layout.nodes)
        for (const c of p.node.children) expect(at.get(c.id)!.y, `${file}: ${c.id} under ${p.node.id}`).toBeGreaterThan(p.y + p.h);
    }
  });

  it('packs the Internet’s subtrees into rows: a wide catalogue does not become one endless line', async () => {
    const { config } = await loadScenarioFile('scenarios/nat-catalogue-hole-punch.yaml');
    const layout = layoutTopology(drawnTopology(config));
    expect(layout.segments.filter((s) => s.of === 'internet').length).toBeGreaterThan(2);
    expect(layout.width).toBeLessThan(MAX_ROW_WIDTH + 400);
  });
});

describe('lanes of a sequence diagram', () => {
  it('the caller’s side left of the Internet (hosts outermost), the other side right of it', async () => {
    const { config } = await loadScenarioFile('scenarios/wm-04-isp-nat.yaml');
    expect(orderLanes(config, ['alice', 'home-a', 'isp-nat', 'messenger', 'bob'], 'alice').map((l) => l.id)).toEqual([
      'alice',
      'home-a',
      'isp-nat',
      'internet',
      'messenger',
      'bob',
    ]);
    expect(orderLanes(config, ['bob', 'isp-nat', 'home-a', 'alice'], 'bob').map((l) => l.id)).toEqual([
      'bob',
      'internet',
      'isp-nat',
      'home-a',
      'alice',
    ]);
  });
});

describe('escaping', () => {
  it('turns every markup character into an entity', () => {
    expect(escapeText(`<script>"a" & 'b'</script>`)).toBe('&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;');
  });
});
