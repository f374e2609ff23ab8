#!/usr/bin/env node
/**
 * natsim as a dependency, measured in one run: `npm pack` (tarball and unpacked size), the
 * tarball installed into a fresh temporary project (node_modules size, packages, files),
 * `import('natsim')` time, and `natsim serve` start-to-ready time through the installed bundle —
 * each time against a baseline measured in the same run, rounds interleaved (bare `node`
 * start; for the import, importing natsim's three dependencies — zod, yaml, fast-xml-parser —
 * and nothing else). Run after `npm run build`:
 *
 *   node bench/install.mjs [--rounds N]
 *
 * Prints one JSON object (progress on stderr). No network: natsim's runtime dependencies (the
 * non-dev packages of package-lock.json) are `npm pack`ed from this repository's node_modules/
 * and installed with natsim's tarball by one `npm install --offline`, with an empty cache inside
 * the temporary directory and the registry set to http://127.0.0.1:9/, so any registry fetch
 * fails. The temporary directory is removed at the end. The gateway listens on 127.0.0.1 only
 * (ephemeral ports, no multicast). Runs inside `unshare --net` with only loopback.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const log = (m) => process.stderr.write(`${m}\n`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (x) => Math.round(x * 10) / 10;
const mib = (bytes) => Math.round((bytes / 1024 / 1024) * 100) / 100;

/** Bytes and files under a directory (apparent sizes). */
function du(path) {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) {
      const d = du(p);
      bytes += d.bytes;
      files += d.files;
    } else if (e.isFile()) {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

/** Top-level packages of a node_modules (scoped ones counted each). */
function packages(nm) {
  const out = [];
  for (const name of readdirSync(nm)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of readdirSync(join(nm, name))) out.push(`${name}/${sub}`);
    else out.push(name);
  }
  return out.sort();
}

/** Spawns a process and resolves with ms from spawn to its first stdout line (then kills it), or to its exit. */
function timeTo(what, file, args, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let result;
    if (what === 'line') {
      createInterface({ input: child.stdout }).once('line', (line) => {
        result = { ms: ms(), line };
        child.kill('SIGTERM');
      });
    } else {
      child.stdout.resume();
    }
    child.once('error', reject);
    child.once('exit', (code) => {
      if (what === 'exit') return code === 0 ? resolve({ ms: ms() }) : reject(new Error(`${file} ${args.join(' ')} exited ${code}`));
      return result ? resolve(result) : reject(new Error(`${file} ${args.join(' ')} exited ${code} before a line`));
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'natsim-bench-install-'));
try {
  const env = {
    ...process.env,
    npm_config_cache: join(dir, '.npm-cache'),
    npm_config_offline: 'true',
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  log('npm pack …');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8' }),
  );
  const tarball = join(dir, packed.filename);
  // natsim's runtime dependency closure from package-lock.json, packed from node_modules/.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const runtime = Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional && !p.link)
    .map(([path]) => path);
  const names = runtime.map((path) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  if (new Set(names).size !== names.length) throw new Error(`package-lock.json: a runtime package in two versions (${names.join(', ')})`);
  const deps = join(dir, 'deps');
  mkdirSync(deps);
  log(`npm pack ${names.join(' ')} from node_modules/ …`);
  const depTarballs = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', deps, ...runtime.map((path) => join(ROOT, path))], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    }),
  ).map((t) => join(deps, t.filename));
  const project = join(dir, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'natsim-consumer', private: true, type: 'module' }));
  log('npm install --offline natsim-*.tgz and its dependencies’ tarballs into a fresh project …');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball, ...depTarballs], {
    cwd: project,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const nm = join(project, 'node_modules');
  const all = du(nm);
  const own = du(join(nm, 'natsim'));
  const pkgs = packages(nm);

  // In-process: how long `await import('natsim')` takes in a fresh node, vs importing only its
  // dependencies in a fresh node.
  const importScript = (specs) =>
    `const t = performance.now(); await Promise.all([${specs.map((s) => `import('${s}')`).join(', ')}]); console.log(performance.now() - t);`;
  const depNames = Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies);
  writeFileSync(join(project, 'import-natsim.mjs'), importScript(['natsim']));
  writeFileSync(join(project, 'import-deps.mjs'), importScript(depNames));
  const bin = join(nm, '.bin', 'natsim');
  const serveArgs = ['serve', '--json', '--http-port', '0', '--ssdp-port', '0', '--no-multicast'];
  const runs = { importNatsim: [], importDeps: [], nodeImportNatsim: [], nodeBare: [], serveReady: [], version: [] };
  // One warm-up of each, then interleaved rounds.
  for (let r = -1; r < ROUNDS; r++) {
    const inNatsim = Number(execFileSync(process.execPath, ['import-natsim.mjs'], { cwd: project, encoding: 'utf8' }));
    const inDeps = Number(execFileSync(process.execPath, ['import-deps.mjs'], { cwd: project, encoding: 'utf8' }));
    const whole = await timeTo('exit', process.execPath, ['--input-type=module', '-e', "import 'natsim'"], project);
    const bare = await timeTo('exit', process.execPath, ['-e', ''], project);
    const ready = await timeTo('line', bin, serveArgs, project);
    const version = await timeTo('exit', bin, ['--version'], project);
    if (r === 0) {
      const line = JSON.parse(ready.line);
      if (!line.ready || !/^http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml$/.test(line.descriptionUrl))
        throw new Error(`unexpected ready line ${ready.line}`);
    }
    if (r < 0) continue;
    runs.importNatsim.push(inNatsim);
    runs.importDeps.push(inDeps);
    runs.nodeImportNatsim.push(whole.ms);
    runs.nodeBare.push(bare.ms);
    runs.serveReady.push(ready.ms);
    runs.version.push(version.ms);
    log(`round ${r + 1}/${ROUNDS}: import ${round1(inNatsim)} ms, serve ready ${round1(ready.ms)} ms, node -e '' ${round1(bare.ms)} ms`);
  }
  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, round1(median(v))]));
  console.log(
    JSON.stringify(
      {
        command: `node bench/install.mjs --rounds ${ROUNDS}`,
        node: process.version,
        rounds: ROUNDS,
        tarball: {
          file: packed.filename,
          bytes: packed.size,
          mib: mib(packed.size),
          unpackedBytes: packed.unpackedSize,
          files: packed.entryCount,
        },
        installed: {
          nodeModulesBytes: all.bytes,
          nodeModulesMiB: mib(all.bytes),
          files: all.files,
          packages: pkgs.length,
          names: pkgs,
          natsimBytes: own.bytes,
          natsimMiB: mib(own.bytes),
          dependenciesMiB: mib(all.bytes - own.bytes),
        },
        importMs: {
          natsim: m.importNatsim,
          dependenciesOnly: m.importDeps,
          dependencies: depNames,
          ratio_natsim_dependencies: round1(m.importNatsim / m.importDeps),
        },
        processMs: {
          nodeImportNatsim: m.nodeImportNatsim,
          nodeBare: m.nodeBare,
          importCost: round1(m.nodeImportNatsim - m.nodeBare),
          serveReady: m.serveReady,
          version: m.version,
          ratio_serveReady_nodeBare: round1(m.serveReady / m.nodeBare),
        },
        runs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.map(round1)])),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
