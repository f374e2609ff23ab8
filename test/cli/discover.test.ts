/**
 * `natsim discover` error paths and unicast search on loopback, and the namespace cases: a fresh
 * `unshare --net` with lo down (nothing to search on) and with only lo up (nothing answers).
 */
import { describe, it, vi } from 'vitest';
import { startGateway } from '../../src/gateway/start-gateway.js';
import { natsim, natsimInFreshNamespace } from '../support/natsim-cli.js';

vi.setConfig({ testTimeout: 40_000 });

describe.concurrent('natsim discover: usage errors (exit 2, one line, no stack)', () => {
  for (const [args, message] of [
    [['--timeout', 'abc'], 'error: --timeout must be a number of seconds from 1 to 60, not "abc"'],
    [['--timeout', '0'], 'error: --timeout must be a number of seconds from 1 to 60, not "0"'],
    [['--timeout', '61'], 'error: --timeout must be a number of seconds from 1 to 60, not "61"'],
    [
      ['--unicast', 'gateway.lan'],
      'error: --unicast must be an IPv4 address with an optional port (ADDR or ADDR:PORT, port 1–65535), not "gateway.lan"',
    ],
    [
      ['--unicast', '127.0.0.1:0'],
      'error: --unicast must be an IPv4 address with an optional port (ADDR or ADDR:PORT, port 1–65535), not "127.0.0.1:0"',
    ],
  ] as const) {
    it(`discover ${args.join(' ')}`, async ({ expect }) => {
      const r = await natsim('discover', ...args);
      expect(r).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
    });
  }

  it('the help text quotes the range the parser enforces', async ({ expect }) => {
    const r = await natsim('discover', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('how long to listen for answers, 1–60 seconds');
  });
});

describe('natsim discover --unicast on loopback', () => {
  it('finds a gateway and reads its external address (--json: an array; text: the location)', async ({ expect }) => {
    await using gw = await startGateway({
      scenario: 'scenarios/default.yaml',
      httpPort: 0,
      ssdpPort: 0,
      multicast: false,
      mxDelay: 'none',
    });
    const target = `127.0.0.1:${gw.ssdpAddress.port}`;
    const [json, text] = await Promise.all([
      natsim('discover', '--unicast', target, '--timeout', '1', '--json'),
      natsim('discover', '--unicast', target, '--timeout', '1'),
    ]);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        location: gw.descriptionUrl,
        st: 'urn:schemas-upnp-org:device:InternetGatewayDevice:1',
        usn: expect.stringMatching(/^uuid:.*::urn:schemas-upnp-org:device:InternetGatewayDevice:1$/),
        server: expect.stringMatching(/MiniUPnPd/),
        externalIp: '203.0.113.10',
      },
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${gw.descriptionUrl}  `);
    expect(text.stdout).toContain('  external address: 203.0.113.10');
  });

  it('--json with nothing answering prints [] and exits 0', async ({ expect }) => {
    // A port nobody listens on (the gateway's is closed again before the search).
    const gw = await startGateway({ httpPort: 0, ssdpPort: 0, multicast: false });
    const port = gw.ssdpAddress.port;
    await gw.stop();
    const r = await natsim('discover', '--unicast', `127.0.0.1:${port}`, '--timeout', '1', '--json');
    expect(r).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });
});

describe.concurrent('natsim discover in a fresh network namespace (unshare --net)', () => {
  it('lo down, no interface at all: one sentence, exit 3, nothing on stdout', async ({ expect }) => {
    const r = await natsimInFreshNamespace('', 'discover', '--timeout', '1', '--json');
    expect(r).toEqual({
      code: 3,
      stdout: '',
      stderr: 'error: discover: no network interface is up, not even loopback: there is nothing to search on\n',
    });
  });

  it('only lo up: searches there, --json prints [] and exits 0', async ({ expect }) => {
    const r = await natsimInFreshNamespace('ip link set lo up', 'discover', '--timeout', '1', '--json');
    expect(r).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('only lo up, text: says it searched on loopback only and that no gateway answered', async ({ expect }) => {
    const r = await natsimInFreshNamespace('ip link set lo up', 'discover', '--timeout', '1');
    expect(r).toEqual({
      code: 0,
      stdout: 'no gateway answered\n',
      stderr: 'natsim: no network interface but loopback (lo) is up; searching there, where only a gateway on this machine can answer\n',
    });
  });
});
