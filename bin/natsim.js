#!/usr/bin/env node
// natsim command-line entry. Runs the bundled build (dist/bundle/, made by `npm run build`, which
// `npm ci` runs as `prepare`) when it is at least as new as every source file; otherwise runs
// the TypeScript sources through tsx, so a developer's edits are never shadowed by a stale build.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  try {
    return statSync(join(root, 'dist', '.built')).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (buildIsFresh()) {
  await import('../dist/bundle/natsim.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
