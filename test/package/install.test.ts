/**
 * natsim as a new user gets it: `npm pack`, the tarball installed into a fresh temporary project
 * that has none of natsim's dev tools, and there — the CLI through its bundle (`npx natsim
 * --version`, `npx natsim serve`), natsim imported from plain JavaScript, the README's vitest
 * example copied from README.md and run verbatim (vitest and the UPnP client it uses are that
 * project's own dev dependencies), and a TypeScript file type-checked against the published types
 * with `skipLibCheck: false`.
 *
 * No network: npm never reaches a registry. natsim's runtime dependencies (the non-dev packages
 * of this repository's package-lock.json: yaml, zod, fast-xml-parser and theirs) are `npm pack`ed
 * from this repository's node_modules/ and installed together with natsim's tarball by one
 * `npm install --offline` with an empty cache inside the temporary directory and the registry
 * set to http://127.0.0.1:9/ (nothing listens there), so any registry fetch fails loudly. The
 * consumer's dev tools — vitest, @achingbrain/nat-port-mapper, @types/node, this repository's
 * TypeScript (7), and for the express test express and @types/express — are symlinks from the
 * temporary project's node_modules/ (and node_modules/.bin/ for vitest and tsc) into this
 * repository's node_modules/, made after npm has finished (npm would prune them). The
 * temporary directory is removed afterwards. Passes inside `unshare --net` with only loopback.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NPX = process.platform === 'win32' ? 'npx.cmd' : 'npx';

let dir: string;
let env: NodeJS.ProcessEnv;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the consumer project (or `cwd`); never rejects on a non-zero exit. */
function sh(file: string, args: readonly string[], options: { cwd?: string; timeout?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { cwd: options.cwd ?? dir, env, timeout: options.timeout ?? 120_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

async function ok(file: string, args: readonly string[], options?: { cwd?: string; timeout?: number }): Promise<string> {
  const r = await sh(file, args, options);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Newest modification time under a directory. */
function newest(path: string): number {
  let t = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The README's "natsim in your tests" example: the first ```ts block of that section. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### natsim in your tests'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ```ts block under "### natsim in your tests"');
  return block[1]!;
}

/** The runtime dependency closure, from package-lock.json: each non-dev package's path and version. */
function runtimePackages(): { path: string; name: string; version: string }[] {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; devOptional?: boolean; link?: boolean }>;
  };
  const out = Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional && !p.link)
    .map(([path, p]) => ({ path, name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version! }));
  const names = out.map((p) => p.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length > 0)
    throw new Error(`package-lock.json: runtime packages in two versions (${twice.join(', ')}): cannot install them flat from tarballs`);
  return out;
}

/** Symlinks this repository's node_modules/NAME into the consumer's node_modules/ (and its bins). */
function linkDevTool(name: string, bins: readonly string[] = []): void {
  const to = join(dir, 'node_modules', name);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules', name), to, 'dir');
  for (const bin of bins) {
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', '.bin', bin), join(dir, 'node_modules', '.bin', bin));
  }
}

beforeAll(async () => {
  // The tarball is made from dist/ as it is (npm test builds first; packing must not rebuild
  // under the other test files that run the CLI).
  const built = join(ROOT, 'dist', '.built');
  if (!existsSync(built) || statSync(built).mtimeMs < newest(join(ROOT, 'src'))) {
    throw new Error('dist/ is older than src/: run `npm run build` first (npm test does)');
  }
  dir = mkdtempSync(join(tmpdir(), 'natsim-install-'));
  // No npm settings of the npm process running this suite; npm's cache inside the temp dir (so
  // empty), offline, and a registry nothing listens on: any registry fetch fails.
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|VITE_|NODE_OPTIONS$|TEST$|FORCE_COLOR$)/i.test(k)));
  Object.assign(env, {
    NO_COLOR: '1',
    npm_config_cache: join(dir, '.npm-cache'),
    npm_config_offline: 'true',
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  });
  const packed = JSON.parse(await ok(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: ROOT })) as [
    { filename: string },
  ];
  const deps = join(dir, '.deps');
  mkdirSync(deps);
  const runtime = runtimePackages();
  const depTarballs = JSON.parse(
    await ok(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', deps, ...runtime.map((p) => join(ROOT, p.path))], {
      cwd: ROOT,
    }),
  ) as { filename: string }[];
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'natsim-consumer', private: true, type: 'module' }, null, 2));
  await ok(NPM, [
    'install',
    '--offline',
    '--no-audit',
    '--no-fund',
    join(dir, packed[0].filename),
    ...depTarballs.map((t) => join(deps, t.filename)),
  ]);
  for (const p of runtime) {
    const got = (JSON.parse(readFileSync(join(dir, 'node_modules', p.name, 'package.json'), 'utf8')) as { version: string }).version;
    if (got !== p.version) throw new Error(`${p.name}: installed ${got}, package-lock.json has ${p.version}`);
  }
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('natsim installed from its tarball', () => {
  it('brings only its runtime dependencies: no tsx, esbuild, express, commander, pino or node-ssdp', () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    expect(installed).toContain('natsim');
    for (const dep of Object.keys(PKG.dependencies)) expect(installed).toContain(dep);
    for (const dev of ['tsx', 'esbuild', 'express', 'commander', 'pino', 'node-ssdp', 'lodash', 'typescript', 'vitest']) {
      expect(installed).not.toContain(dev);
    }
  });

  it('npx natsim --version runs the bundle even when src/ is newer than the build, as npm extraction leaves it', {
    timeout: 60_000,
  }, async () => {
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'node_modules', 'natsim', 'src', 'index.ts'), later, later);
    expect((await ok(NPX, ['natsim', '--version'])).trim()).toBe(PKG.version);
  });

  it('npx natsim serve: the bundle serves the default scenario and prints the description URL', { timeout: 60_000 }, async () => {
    const child = spawn(NPX, ['natsim', 'serve', '--json', '--http-port', '0', '--ssdp-port', '0', '--no-multicast'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
    let pid: number | undefined;
    try {
      const lines = createInterface({ input: child.stdout });
      const [first] = (await Promise.race([once(lines, 'line'), once(child, 'exit').then(() => [`exited: ${stderr.join('')}`])])) as [
        string,
      ];
      const ready = JSON.parse(first) as { ready: boolean; descriptionUrl: string; router: string; externalIp: string; pid: number };
      pid = ready.pid;
      expect(ready).toMatchObject({ ready: true, router: 'home-a', externalIp: '203.0.113.10' });
      expect(ready.descriptionUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rootDesc\.xml$/);
      const desc = await fetch(ready.descriptionUrl);
      expect(desc.status).toBe(200);
      expect(await desc.text()).toContain('urn:schemas-upnp-org:device:InternetGatewayDevice:2');
      // tsx is not installed here (checked above), so what answered can only be the bundle.
      expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(false);
    } finally {
      // natsim itself is stopped (npx's child); npx then exits with its exit code.
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve([child.exitCode]);
      if (pid !== undefined) process.kill(pid, 'SIGTERM');
      else child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    }
    expect(stderr.join('')).toBe('');
  });

  it('imports from plain JavaScript: the gateway by scenario name, scenarios and schema through exports, coded errors', {
    timeout: 60_000,
  }, async () => {
    writeFileSync(
      join(dir, 'plain.mjs'),
      `
import { NatsimError, loadScenarioFile, runScenario, scenarioPath, startGateway } from 'natsim';
import schema from 'natsim/schema' with { type: 'json' };
import { fileURLToPath } from 'node:url';
const gw = await startGateway({ scenario: 'wm-04-isp-nat', mxDelay: 'none' });
const plain = await startGateway({ mxDelay: 'none' });
const status = (await fetch(gw.descriptionUrl)).status;
const out = {
  router: gw.routerId, externalIp: gw.externalIp, status, defaultRouter: plain.routerId,
  exported: fileURLToPath(import.meta.resolve('natsim/scenarios/default.yaml')) === scenarioPath('default'),
  schema: typeof schema.properties,
  run: runScenario(await loadScenarioFile(scenarioPath('wm-01-single-upnp-nat'))).failed,
};
await gw.stop();
await plain.stop();
try { await startGateway({ nat: 'bogus' }); } catch (e) { out.error = [e instanceof NatsimError, e.code, e.option]; }
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(await ok(process.execPath, ['plain.mjs'])) as Record<string, unknown>;
    expect(out).toEqual({
      router: 'home-a',
      externalIp: '100.64.0.2',
      status: 200,
      defaultRouter: 'home-a',
      exported: true,
      schema: 'object',
      run: 0,
      error: [true, 'ERR_NATSIM_INVALID_OPTION', 'nat'],
    });
  });

  describe('with the consumer’s own dev tools (vitest, a UPnP client, TypeScript)', () => {
    beforeAll(async () => {
      // Linked only now: npm is done with this project (a later npm install would prune them).
      linkDevTool('vitest', ['vitest']);
      linkDevTool('@achingbrain/nat-port-mapper');
      linkDevTool('@types/node');
      linkDevTool('typescript', ['tsc']);
    }, 180_000);

    it("runs the README's vitest example verbatim, and it passes", { timeout: 90_000 }, async () => {
      const example = readmeExample();
      expect(example).toContain("from 'natsim'");
      writeFileSync(join(dir, 'readme.test.ts'), example);
      const r = await sh(NPX, ['vitest', 'run', 'readme.test.ts']);
      expect(r.stdout + r.stderr).toMatch(/Tests\s+1 passed \(1\)/);
      expect(r.code).toBe(0);
    });

    it('type-checks against the published types with skipLibCheck: false (the project’s own TypeScript, as the consumer’s)', {
      timeout: 90_000,
    }, async () => {
      writeFileSync(
        join(dir, 'typed.ts'),
        `
import { NatsimError, scenarioPath, startGateway, type GatewayHandle, type MappingView, type NatsimErrorCode, type ScenarioResult } from 'natsim';
const gw: GatewayHandle = await startGateway({ scenario: 'default', httpLimits: { headersTimeoutMs: 1000 } });
const mappings: MappingView[] = gw.listMappings();
const file: string = scenarioPath('default');
let code: NatsimErrorCode | undefined;
try { await startGateway({ nat: 'symmetric', wan: '198.51.100.1' }); } catch (e) { if (e instanceof NatsimError) code = e.code; }
declare const result: ScenarioResult;
console.log(mappings.length, file, code, result?.passed);
await gw.stop();
// @ts-expect-error: not a NAT preset
void startGateway({ nat: 'bogus' });
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'es2023',
              module: 'nodenext',
              moduleResolution: 'nodenext',
              strict: true,
              skipLibCheck: false,
              noEmit: true,
              types: ['node'],
            },
            files: ['typed.ts', 'readme.test.ts'],
          },
          null,
          2,
        ),
      );
      // The README example as a TypeScript file too (the previous test wrote it).
      if (!existsSync(join(dir, 'readme.test.ts'))) writeFileSync(join(dir, 'readme.test.ts'), readmeExample());
      const tsc = await sh(NPX, ['tsc', '-p', 'tsconfig.json']);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
    });

    it('natsim/express works once the consumer installs express (an optional peer), types included', { timeout: 120_000 }, async () => {
      expect(existsSync(join(dir, 'node_modules', 'express'))).toBe(false);
      linkDevTool('express');
      linkDevTool('@types/express');
      const program = `
import { createUpnpApp } from 'natsim/express';
import { FakeClock, Network, SeededRng } from 'natsim';
const clock = new FakeClock(0);
const router = new Network({ clock, rng: new SeededRng(1) }).addRouter({ id: 'gw', wan: '203.0.113.7', lan: '192.168.1.0/24' });
const app = createUpnpApp({ router, clock });
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const address = server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const res = await fetch(\`http://127.0.0.1:\${port}/rootDesc.xml\`);
console.log(res.status, (await res.text()).includes('InternetGatewayDevice'));
server.close();
app.close();
`;
      writeFileSync(join(dir, 'app.mts'), program);
      writeFileSync(join(dir, 'app.mjs'), program);
      expect((await ok(process.execPath, ['app.mjs'])).trim()).toBe('200 true');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'es2023',
              module: 'nodenext',
              moduleResolution: 'nodenext',
              strict: true,
              skipLibCheck: false,
              noEmit: true,
              types: ['node'],
            },
            files: ['app.mts'],
          },
          null,
          2,
        ),
      );
      const tsc = await sh(NPX, ['tsc', '-p', 'tsconfig.json']);
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.code).toBe(0);
    });
  });
});
