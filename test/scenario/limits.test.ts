/**
 * Scenario files as untrusted input (issue 12 item 8): a size cap checked before parsing, bounded
 * memory at the cap, NUL bytes, control characters and invalid UTF-8 refused at their line:col,
 * alias bombs and deep nesting refused with a location instead of "Maximum call stack size
 * exceeded". The big inputs are generated here, not committed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/scenario/errors.js';
import { checkScenarioFile, checkScenarioText, DEFAULT_MAX_SCENARIO_BYTES } from '../../src/scenario/loader.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = mkdtempSync(join(tmpdir(), 'natsim-limits-'));
// The generated files are large (50 MB, 4 MiB): never leave them behind.
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(DIR, name);
  writeFileSync(path, content);
  return path;
}

async function linesOf(path: string, maxBytes?: number): Promise<string[]> {
  return (await checkScenarioFile(path, maxBytes === undefined ? {} : { maxBytes })).issues.map(formatIssue);
}

/** A valid scenario of about `bytes` bytes: one Internet host per line, each with its own address. */
function hostsScenario(bytes: number): string {
  const lines = ['name: big', 'hosts:'];
  let size = 17;
  for (let n = 0; size < bytes; n++) {
    const line = `  h${n}: { address: 198.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255} }`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function natsim(args: string[], nodeArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...nodeArgs, 'bin/natsim.js', ...args],
      { cwd: ROOT, timeout: 110_000, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

const SMALL = 'name: t\nhosts:\n  a: { address: 198.51.100.1 }\n';

describe('size cap', () => {
  it('the default is 4 MiB', () => {
    expect(DEFAULT_MAX_SCENARIO_BYTES).toBe(4 * 1024 * 1024);
  });

  it('a 50 MB file (the issue reproduction) is refused before it is read or parsed: natsim validate exits 1 with one line', async () => {
    // Bad bytes all through: had the file been decoded or parsed, the error would name them instead.
    const big = Buffer.alloc(50 * 1024 * 1024, 0);
    Buffer.from(SMALL).copy(big);
    const path = file('fifty.yaml', big);
    const r = await natsim(['validate', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `${path}:1:1: (document): the file is 52428800 bytes, larger than the 4194304-byte limit for scenario files (raise it with --max-scenario-bytes)\n`,
    );
  }, 60_000);

  it('--max-scenario-bytes lowers and raises the cap (run and validate)', async () => {
    const path = file('small.yaml', SMALL);
    const n = Buffer.byteLength(SMALL);
    expect(await linesOf(path, 20)).toEqual([
      `${path}:1:1: (document): the file is ${n} bytes, larger than the 20-byte limit for scenario files (raise it with --max-scenario-bytes)`,
    ]);
    expect(await linesOf(path, n)).toEqual([]);
    const low = await natsim(['validate', '--max-scenario-bytes', '20', path]);
    expect(low.code).toBe(1);
    const run = await natsim(['run', '--max-scenario-bytes', '20', path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `${path}:1:1: (document): the file is ${n} bytes, larger than the 20-byte limit for scenario files (raise it with --max-scenario-bytes)\n`,
    );
    const ok = await natsim(['validate', '--max-scenario-bytes', String(n), path]);
    expect([ok.code, ok.stdout]).toEqual([0, `${path}: ok\n`]);
  }, 60_000);

  it('bounded memory: a valid file just under the cap validates in a process whose heap is held to 512 MB', async () => {
    const text = hostsScenario(DEFAULT_MAX_SCENARIO_BYTES - 200);
    const path = file('at-cap.yaml', text);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(DEFAULT_MAX_SCENARIO_BYTES);
    const r = await natsim(['validate', path], ['--max-old-space-size=512']);
    expect(r.stderr).toBe('');
    expect([r.code, r.stdout]).toEqual([0, `${path}: ok\n`]);
  }, 120_000);
});

describe('bytes that are not scenario text', () => {
  it('a NUL byte, at its line:col', async () => {
    const path = file('nul.yaml', 'name: t\nhosts:\n  a: { address: 198.51.100.1, description: "x\0y" }\n');
    expect(await linesOf(path)).toEqual([`${path}:3:46: (document): a NUL byte: scenario files must be text`]);
  });

  it('another control character, at its line:col (also in text given to parseScenario)', () => {
    expect(checkScenarioText('name: t\x07\nhosts: {}\n', 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:1:8: (document): the control character U+0007: scenario files must be text',
    ]);
  });

  it('invalid UTF-8, at its line:col with the byte and offset', async () => {
    const bytes = Buffer.concat([
      Buffer.from('name: t\nhosts:\n  a: { address: 198.51.100.1, description: café'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' }\n'),
    ]);
    const path = file('utf8.yaml', bytes);
    expect(await linesOf(path)).toEqual([
      `${path}:3:48: (document): invalid UTF-8 (byte 0xC3 at offset 63): scenario files must be UTF-8 text`,
    ]);
  });

  it.each([
    ['overlong encoding', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a lone continuation byte', [0x80]],
    ['a truncated sequence at the end', [0xe2, 0x82]],
  ])('invalid UTF-8: %s', async (_name, seq) => {
    const path = file('seq.yaml', Buffer.concat([Buffer.from('name: t\n# '), Buffer.from(seq)]));
    expect(await linesOf(path)).toEqual([
      `${path}:2:3: (document): invalid UTF-8 (byte 0x${seq[0]!.toString(16).toUpperCase()} at offset 10): scenario files must be UTF-8 text`,
    ]);
  });

  it('valid multi-byte UTF-8 passes', async () => {
    const path = file('ok-utf8.yaml', 'name: "Windows Messenger — café 日本 🎉"\nhosts:\n  a: { address: 198.51.100.1 }\n');
    expect(await linesOf(path)).toEqual([]);
  });
});

describe('YAML that would exhaust the parser', () => {
  it('an alias bomb ("billion laughs"): refused at the first alias', () => {
    const text = `name: t
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
hosts:
  h: { address: 198.51.100.1 }
`;
    expect(checkScenarioText(text, 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:3:8: (document): YAML: the aliases expand to too large a document (more than 100 alias expansions, a "billion laughs" pattern)',
    ]);
  });

  it('100,000 nested flow brackets: refused at the 65th, no "Maximum call stack size exceeded"', () => {
    const text = `name: t\nhosts: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expect(checkScenarioText(text, 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:2:72: (document): YAML: mappings and lists nested deeper than 64 levels',
    ]);
  });

  it('100 nested block mappings: refused at the first too deep', () => {
    let text = 'name: t\nhosts:\n';
    for (let i = 0; i < 100; i++) text += `${' '.repeat(i + 2)}k${i}:\n`;
    expect(checkScenarioText(text, 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:66:66: (document): YAML: mappings and lists nested deeper than 64 levels',
    ]);
  });

  it('a second document after ---', () => {
    expect(checkScenarioText(`${SMALL}---\nname: u\n`, 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:4:1: (document): YAML: a scenario file holds one document; this is a second one (after ---)',
    ]);
  });

  it('many duplicate keys are found in one linear pass, each at its second occurrence', () => {
    const lines = ['name: t', 'hosts:'];
    for (let i = 0; i < 20_000; i++) lines.push(`  h${i}: { address: 198.51.${i >> 8}.${i & 255} }`);
    lines.push('  h7: { address: 198.51.200.1 }', '  h19999: { address: 198.51.200.2 }');
    expect(checkScenarioText(`${lines.join('\n')}\n`, 'x.yaml').issues.map(formatIssue)).toEqual([
      'x.yaml:20003:3: (document): YAML: key "h7" is written twice in this mapping (first at line 10, column 3)',
      'x.yaml:20004:3: (document): YAML: key "h19999" is written twice in this mapping (first at line 20002, column 3)',
    ]);
  });
});
