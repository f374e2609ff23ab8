#!/usr/bin/env node
// Bundles the CLI (dist/bundle/natsim.js plus lazily loaded chunks) so `natsim` starts without
// loading hundreds of files, then stamps the build so bin/natsim.js knows it is fresh.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

rmSync('dist/bundle', { recursive: true, force: true }); // no chunks of earlier builds
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
// The default scenario, validated now, so `natsim serve` starts without the YAML parser and the
// schema (src/cli/default-scenario.ts uses it only while the YAML's SHA-256 still matches).
const { loadScenarioFile } = await import('../dist/scenario/loader.js');
const { sha256, PREVALIDATED_NAME } = await import('../dist/cli/default-scenario.js');
const source = 'scenarios/default.yaml';
const { config } = await loadScenarioFile(source);
writeFileSync(`dist/${PREVALIDATED_NAME}`, `${JSON.stringify({ sha256: sha256(readFileSync(source)), config })}\n`);
writeFileSync('dist/.built', '');
