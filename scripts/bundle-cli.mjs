#!/usr/bin/env node
// Bundles the CLI (dist/bundle/natsim.js plus lazily loaded chunks) so `natsim` starts without
// loading hundreds of files, then stamps the build so bin/natsim.js knows it is fresh.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: { natsim: 'src/cli/main.ts' },
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/bundle',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: { js: "import { createRequire as __natsimRequire } from 'node:module'; const require = __natsimRequire(import.meta.url);" },
  logLevel: 'warning',
});
writeFileSync('dist/.built', '');
