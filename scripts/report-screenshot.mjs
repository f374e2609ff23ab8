#!/usr/bin/env node
// Makes docs/report-wm-04.png, the README's picture of an HTML report: the report of
// scenarios/wm-04-isp-nat.yaml (written by the built CLI) opened from a file in Debian's chromium
// (playwright-core, every non-file request aborted), from the top to the verdict table's first failing check;
// then `pngquant` (Debian package) if installed, to keep it small.
// Usage: npm run build && node scripts/report-screenshot.mjs [OUT.png]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? 'docs/report-wm-04.png';
const dir = mkdtempSync(join(tmpdir(), 'report-shot-'));
const file = join(dir, 'report.html');
writeFileSync(file, execFileSync(process.execPath, ['bin/natsim.js', 'explain', 'scenarios/wm-04-isp-nat.yaml', '--format', 'html']));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.route(
    (url) => url.protocol !== 'file:',
    (route) => route.abort(),
  );
  await page.goto(pathToFileURL(file).href);
  const row = await page.locator('table.verdicts tbody tr:nth-child(2)').boundingBox();
  await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: Math.ceil(row.y + row.height + 4) } });
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
try {
  execFileSync('pngquant', ['--quality', '70-95', '--speed', '1', '--force', '--output', out, out]);
} catch {
  console.error('pngquant not found or failed: the PNG is left as chromium wrote it');
}
console.log(`wrote ${out}`);
