/**
 * `natsim serve --lease-file` as a real process on 127.0.0.1 (ephemeral ports, multicast off):
 * mappings survive kill -9, the ready line reports what was restored, a damaged tail is dropped
 * and named on stderr, and bad flag values are usage errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mappingArgs, soap } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'natsim-cli-leases-'));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = once(c, 'exit');
      c.kill('SIGKILL');
      await gone;
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  ready: {
    descriptionUrl: string;
    igdVersion: 1 | 2;
    igd: 1 | 2;
    leases?: { file: string; restored: number; expired: number; refused: number; damaged: number };
  };
  stderr: () => string;
}

/** Starts `natsim serve --json` and resolves with its ready line. */
function serve(...args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['bin/natsim.js', 'serve', '--http-port', '0', '--ssdp-port', '0', '--no-multicast', '--json', ...args],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"ready"'));
      if (!line) return;
      const ready = JSON.parse(line) as Started['ready'];
      resolve({ child, ready: { ...ready, igdVersion: ready.igd }, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`natsim serve exited (${code}) before it was ready: ${err}`)));
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  await gone;
}

/** The UPnP mappings as GetGenericPortMappingEntry lists them. */
async function listing(gw: Started['ready']): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for (let i = 0; ; i++) {
    const r = await soap(gw, 'GetGenericPortMappingEntry', { NewPortMappingIndex: i });
    if (r.status !== 200) break;
    out.push([Number(r.arg('NewExternalPort')), r.arg('NewPortMappingDescription') ?? '']);
  }
  return out;
}

describe('natsim serve --lease-file', () => {
  it('keeps every acknowledged mapping through kill -9 and reports the restore', async () => {
    const file = join(dir, 'serve.journal');
    const a = await serve('--lease-file', file);
    expect(a.ready.leases).toEqual({ file, restored: 0, expired: 0, refused: 0, damaged: 0 });
    const ports = Array.from({ length: 20 }, (_, i) => 45000 + i);
    for (const p of ports) {
      expect(
        (await soap(a.ready, 'AddPortMapping', mappingArgs({ NewExternalPort: p, NewInternalPort: p, NewPortMappingDescription: `d${p}` })))
          .status,
      ).toBe(200);
    }
    await kill9(a.child);

    const b = await serve('--lease-file', file);
    expect(b.ready.leases).toMatchObject({ restored: 20, expired: 0, damaged: 0 });
    expect(await listing(b.ready)).toEqual(ports.map((p) => [p, `d${p}`]));
    const lease = Number(
      (await soap(b.ready, 'GetSpecificPortMappingEntry', { NewRemoteHost: '', NewExternalPort: 45000, NewProtocol: 'UDP' })).arg(
        'NewLeaseDuration',
      ),
    );
    expect(lease).toBeGreaterThan(3500);
    expect(lease).toBeLessThanOrEqual(3600);
    await kill9(b.child);

    // A crash in mid-write leaves a partial record: dropped, reported, the rest restored.
    appendFileSync(file, '0badc0de {"op":"put","p":"tcp"');
    const c = await serve('--lease-file', file);
    expect(c.ready.leases).toMatchObject({ restored: 20, damaged: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.stderr()).toMatch(
      /lease file .*serve\.journal: line 22: a partial record at the end \(\d+ bytes without a line end\) was dropped/,
    );
    await kill9(c.child);
  });

  it('refuses a file that is not a natsim lease journal: exit 1 and what to do', async () => {
    const file = join(dir, 'foreign.leases');
    appendFileSync(file, 'TCP:45100:192.168.1.2:45100:0:a miniupnpd line\n');
    const child = spawn(process.execPath, ['bin/natsim.js', 'serve', '--http-port', '0', '--ssdp-port', '0', '--lease-file', file], {
      cwd: ROOT,
    });
    children.push(child);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code] = await once(child, 'exit');
    expect(err).toMatch(/^error: .*foreign\.leases is not a natsim lease journal .*natsim leases import/m);
    expect(code).toBe(1);
  });

  it('one natsim per lease file: a second serve and an import are refused while the first runs (exit 3)', async () => {
    const file = join(dir, 'shared.journal');
    const a = await serve('--lease-file', file);
    const run = async (args: string[]): Promise<{ code: number; err: string }> => {
      const child = spawn(process.execPath, ['bin/natsim.js', ...args], { cwd: ROOT });
      children.push(child);
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      const [code] = (await once(child, 'exit')) as [number];
      return { code, err };
    };
    const locked = `lease file ${file} is in use by process ${a.child.pid} (lock ${file}.lock); stop that natsim or give this one another --lease-file`;
    const second = await run(['serve', '--http-port', '0', '--ssdp-port', '0', '--no-multicast', '--lease-file', file]);
    expect(second).toEqual({ code: 3, err: expect.stringContaining(locked) });
    const upnp = join(dir, 'upnp.leases');
    appendFileSync(upnp, 'TCP:45200:192.168.1.2:45200:0:imported\n');
    const imported = await run(['leases', 'import', upnp, '--lease-file', file]);
    expect(imported).toEqual({ code: 3, err: expect.stringContaining(locked) });
    // The first is untouched: still serving, its journal still its own.
    expect((await soap(a.ready, 'AddPortMapping', mappingArgs({ NewExternalPort: 45201, NewInternalPort: 45201 }))).status).toBe(200);
    // Stopped normally, it gives the file up: the import now goes through.
    const gone = once(a.child, 'exit');
    a.child.kill('SIGTERM');
    await gone;
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect((await run(['leases', 'import', upnp, '--lease-file', file])).code).toBe(0);
  });

  it('refuses an unknown --lease-sync mode as a usage error', async () => {
    const child = spawn(process.execPath, ['bin/natsim.js', 'serve', '--lease-file', join(dir, 'x'), '--lease-sync', 'sometimes'], {
      cwd: ROOT,
    });
    children.push(child);
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(err).toMatch(/--lease-sync must be fsync or write, not "sometimes"/);
  });
});
