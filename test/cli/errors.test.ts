/** The CLI's exit codes and error reporting: usage errors are one line (exit 2), output is EPIPE-safe. */
import { CommanderError } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { CliError, EXIT, reportCliError } from '../../src/cli/errors.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { natsim, run } from '../support/natsim-cli.js';

vi.setConfig({ testTimeout: 40_000 });

describe.concurrent('usage errors: one line on stderr, exit 2, no stack trace', () => {
  for (const [args, first] of [
    [['bogus'], "error: unknown command 'bogus'"],
    [['run', '--bogus'], "error: unknown option '--bogus'"],
    [['serve', '--http-port'], "error: option '--http-port <n>' argument missing"],
    [['serve', '--ssdp-port', '-1'], 'error: --ssdp-port must be a port number (0–65535), not "-1"'],
    [['validate'], "error: missing required argument 'paths'"],
    [['serve', '--listen', 'nosuchiface0', '--ssdp-port', '0'], 'error: --listen: no interface "nosuchiface0" with an IPv4 address'],
    [['explain', '--format', 'svg'], 'error: --format must be text, mermaid, markdown, json or html, not "svg"'],
  ] as const) {
    it(`natsim ${args.join(' ')}`, async ({ expect }) => {
      const r = await natsim(...args);
      expect(r.code).toBe(EXIT.usage);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')[0]!.startsWith(first)).toBe(true);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('serve with an invalid scenario: the located problem, exit 1', async ({ expect }) => {
    const r = await natsim('serve', '--scenario', 'test/scenario/fixtures/bad-unknown-key.yaml', '--ssdp-port', '0', '--no-multicast');
    expect(r.code).toBe(EXIT.failed);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^test\/scenario\/fixtures\/bad-unknown-key\.yaml:7:5: routers\.home\.servcies: unknown key "servcies"/);
  });

  it('--help and --version exit 0', async ({ expect }) => {
    const [help, version] = await Promise.all([natsim('--help'), natsim('--version')]);
    expect([help.code, version.code, version.stdout]).toEqual([0, 0, '0.1.0\n']);
  });
});

describe.concurrent('EPIPE-safe output', () => {
  it('natsim run scenarios/ | head -1: one line, nothing on stderr, natsim exits 0', async ({ expect }) => {
    const r = await run('bash', [
      '-c',
      `'${process.execPath}' bin/natsim.js run scenarios/ | head -1; echo "natsim exit \${PIPESTATUS[0]}" >&2`,
    ]);
    expect(r.stdout.split('\n')).toHaveLength(2);
    expect(r.stderr).toBe('natsim exit 0\n');
  });

  it('natsim schema | head -c 1: quiet too', async ({ expect }) => {
    const r = await run('bash', [
      '-c',
      `'${process.execPath}' bin/natsim.js schema | head -c 1; echo " natsim exit \${PIPESTATUS[0]}" >&2`,
    ]);
    expect(r.stdout).toBe('{');
    expect(r.stderr).toBe(' natsim exit 0\n');
  });
});

describe('reportCliError', () => {
  const report = (e: unknown): [number, string[]] => {
    const lines: string[] = [];
    return [reportCliError(e, (l) => lines.push(l)), lines];
  };

  it('maps each kind of error to its documented exit code', () => {
    expect(report(new CliError('bad', EXIT.usage, 'X'))).toEqual([2, ['error: bad']]);
    expect(report(new ScenarioError([{ file: 'f.yaml', line: 1, col: 1, path: '', message: 'broken' }]))).toEqual([
      1,
      ['f.yaml:1:1: (document): broken'],
    ]);
    expect(report(new CommanderError(1, 'commander.unknownOption', 'x'))).toEqual([2, []]);
    expect(report(new CommanderError(0, 'commander.helpDisplayed', 'x'))).toEqual([0, []]);
    const inUse = Object.assign(new Error('bind EADDRINUSE 127.0.0.1:5000'), { code: 'EADDRINUSE', address: '127.0.0.1', port: 5000 });
    expect(report(inUse)).toEqual([3, ['error: the address and port are already in use (127.0.0.1:5000): bind EADDRINUSE 127.0.0.1:5000']]);
  });

  it('an unexpected error is an internal error (70) with its stack, to be reported', () => {
    const [code, lines] = report(new TypeError('oops'));
    expect(code).toBe(EXIT.internal);
    expect(lines[0]).toMatch(/^natsim: internal error \(please report it\): TypeError: oops\n\s+at /);
  });
});
