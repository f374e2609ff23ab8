/**
 * `natsim lab` as users run it (node bin/natsim.js), inside a sealed network namespace; the lab
 * makes its own namespaces inside that. Scenario: the shipped wm-01-single-upnp-nat (alice
 * 192.168.1.10 behind home-a's port-restricted cone NAT 203.0.113.10; bob 198.51.100.20 and
 * messenger 198.51.100.5 on the Internet).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { natsim, ROOT, run } from '../support/natsim-cli.js';
import { IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/cli/lab.ns.test.ts', 'natsim lab');

const PROGRAMS = join(ROOT, 'test/lab/programs');
const PY = '/usr/bin/python3';

/** PIDs of processes whose network or PID namespace is one of `links`. */
function processesIn(links: ReadonlySet<string>): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) =>
      ['net', 'pid'].some((k) => {
        try {
          return links.has(readlinkSync(`/proc/${n}/ns/${k}`));
        } catch {
          return false;
        }
      }),
    )
    .map(Number);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

if (IN_NETNS) {
  describe('natsim lab SCENARIO --background HOST=CMD --run HOST -- CMD', () => {
    it('prefixes the background output, attaches the foreground, logs drops with --verbose and exits with the foreground status', async () => {
      const client = [
        // The echo server in bob may not be listening yet: try a few times.
        `for i in 1 2 3 4 5 6 7 8 9 10; do ${PY} ${PROGRAMS}/udp-send.py 198.51.100.20 5000 40000 0.5 && break; sleep 0.2; done`,
        // Hairpin to a port home-a has no mapping for: dropped at home-a.
        `${PY} ${PROGRAMS}/udp-send.py 203.0.113.10 9 0 0.3`,
        'exit 7',
      ].join('; ');
      const r = await natsim(
        'lab',
        'wm-01-single-upnp-nat',
        '--verbose',
        '--background',
        `bob=${PY} ${PROGRAMS}/udp-echo.py 5000`,
        '--run',
        'alice',
        '--',
        'sh',
        '-c',
        client,
      );
      expect(r.code, r.stderr).toBe(7);
      expect(r.stdout).toMatch(/^\[bob\] listening$/m);
      expect(r.stdout).toMatch(/^reply from 203\.0\.113\.10:40000$/m);
      expect(r.stderr).toMatch(
        /^natsim: drop model\/no-mapping from alice at home-a: dropped at home-a: no mapping for 203\.0\.113\.10:9 /m,
      );
    });

    it('a foreground command ended by a signal exits 128 + the signal number', async () => {
      const r = await natsim('lab', 'wm-01-single-upnp-nat', '--run', 'bob', '--', 'sh', '-c', 'kill -TERM $$');
      expect(r.code, r.stderr).toBe(143);
    });

    it('refuses an unknown host, a command without --run and --run without a command (exit 2)', async () => {
      const unknown = await natsim('lab', 'wm-01-single-upnp-nat', '--run', 'carol', '--', 'true');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/no host "carol" in the scenario \(hosts: messenger, alice, bob\)/);
      const noRun = await natsim('lab', 'wm-01-single-upnp-nat', '--', 'true');
      expect(noRun.code).toBe(2);
      const noCommand = await natsim('lab', 'wm-01-single-upnp-nat', '--run', 'alice');
      expect(noCommand.code).toBe(2);
    });

    it('says what the machine lacks and exits 3 (here: socat is not on PATH)', async () => {
      const bin = mkdtempSync('/tmp/natsim-lab-path-');
      try {
        for (const p of ['unshare', 'nsenter', 'setpriv', 'ip', 'sh']) {
          const where = spawnSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).stdout.trim();
          symlinkSync(where, join(bin, p));
        }
        const r = await run('/usr/bin/env', [`PATH=${bin}`, process.execPath, 'bin/natsim.js', 'lab', 'wm-01-single-upnp-nat']);
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(
          /^error: the lab cannot start on this machine: the program socat is not on PATH \(Debian package socat\)$/m,
        );
      } finally {
        rmSync(bin, { recursive: true, force: true });
      }
    });
  });

  describe('natsim lab SCENARIO (kept up)', () => {
    it('prints each host and its shell command; the shell works; Ctrl-C tears everything down and exits 0', async () => {
      const child = spawn(process.execPath, ['bin/natsim.js', 'lab', 'wm-01-single-upnp-nat'], { cwd: ROOT });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      for (let i = 0; i < 200 && !stdout.includes('Ctrl-C stops the lab.'); i++) await sleep(50);
      expect(stdout).toMatch(/^natsim: lab "Windows Messenger — single UPnP-enabled NAT" up in \d+ ms \((root|rootless)\), 3 hosts:$/m);
      expect(stdout).toMatch(/^ {2}alice {6}192\.168\.1\.10 {5}behind home-a$/m);
      const shells = [...stdout.matchAll(/shell: (nsenter --target=(\d+) .* -- sh)$/gm)];
      expect(shells).toHaveLength(3);
      // home-a offers UPnP: its IGD answers on its LAN address, reached from alice's shell.
      const igd = stdout.match(/^ {2}home-a {2}UPnP (http:\/\/192\.168\.1\.1:\d+\/rootDesc\.xml) \(SSDP 1900\)$/m);
      expect(igd, stdout).not.toBeNull();
      expect(stdout).toMatch(/^Router services \(on each router's LAN address, from its LAN\):$/m);
      const aliceShell = shells[1]![1]!.split(' ');
      const r = await run(aliceShell[0]!, [
        ...aliceShell.slice(1),
        '-c',
        `ip -4 -o addr show eth0; ping -c 1 -W 2 198.51.100.20; upnpc -u ${igd![1]} -s`,
      ]);
      expect(r.stdout, r.stderr).toMatch(/eth0 +inet 192\.168\.1\.10\/24/);
      expect(r.stdout).toMatch(/1 packets transmitted, 1 received/);
      expect(r.stdout).toMatch(/^ExternalIPAddress = 203\.0\.113\.10$/m);
      const links = new Set(shells.flatMap((s) => [readlinkSync(`/proc/${s[2]}/ns/net`), readlinkSync(`/proc/${s[2]}/ns/pid`)]));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/^natsim: lab stopped$/m);
      expect(processesIn(links)).toEqual([]);
    });
  });
}
