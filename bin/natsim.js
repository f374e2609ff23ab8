#!/usr/bin/env node
// natsim command-line entry. Installed from the registry or a tarball (no tsconfig.json: it is
// never published), it always runs the bundled build, dist/bundle/ — nothing at runtime needs
// tsx or esbuild. In a checkout it runs the bundle when it is at least as new as every source
// file (`npm ci` builds it as `prepare`), otherwise the TypeScript sources through tsx, so a
// developer's edits are never shadowed by a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'bundle', 'natsim.js');

/** A development checkout, as opposed to an installed package: the files `npm pack` leaves out. */
const isCheckout = () => existsSync(join(root, 'tsconfig.json')) && existsSync(join(root, 'src', 'cli', 'main.ts'));

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

if (!isCheckout() || buildIsFresh()) {
  await import('../dist/bundle/natsim.js');
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    // A checkout without its dev dependencies: the bundle, stale or not, if there is one.
    if (!existsSync(bundle)) {
      console.error('natsim: no build (dist/bundle/natsim.js) and no tsx to run the sources: run `npm ci` (or `npm run build`)');
      process.exit(1);
    }
    console.error('natsim: warning: dist/ is older than src/ and tsx is not installed; running the stale build');
  }
  if (register) {
    register();
    await import('../src/cli/main.ts');
  } else {
    await import('../dist/bundle/natsim.js');
  }
}
