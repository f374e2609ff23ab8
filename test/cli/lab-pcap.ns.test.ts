/**
 * `natsim lab --pcap DIR`: one capture per router and side, read back with tshark. Inside a
 * sealed network namespace; the lab makes its own namespaces inside that. Scenario: the shipped
 * wm-01-single-upnp-nat (alice 192.168.1.10 behind home-a, NAT address 203.0.113.10; bob
 * 198.51.100.20 on the Internet).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { requireTool } from '../interop/netns.js';
import { natsim } from '../support/natsim-cli.js';
import { IN_NETNS, reexecInNamespace } from '../support/sealed-namespace.js';

reexecInNamespace('test/cli/lab-pcap.ns.test.ts', 'natsim lab --pcap');

/** `tshark -r FILE` as "src > dst type" lines for ICMP echo. */
function echoes(file: string): string[] {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-Y', 'icmp', '-T', 'fields', '-E', 'separator= ', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'icmp.type'],
    {
      encoding: 'utf8',
    },
  );
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

if (IN_NETNS) {
  it('a ping through home-a is in home-a-inside.pcap from 192.168.1.10 and in home-a-outside.pcap from 203.0.113.10, replies included', async () => {
    requireTool('tshark', 'tshark');
    const dir = mkdtempSync(join(tmpdir(), 'natsim-lab-pcap-'));
    try {
      const r = await natsim(
        'lab',
        'wm-01-single-upnp-nat',
        '--pcap',
        dir,
        '--run',
        'alice',
        '--',
        'ping',
        '-c',
        '2',
        '-i',
        '0.2',
        '198.51.100.20',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/2 packets transmitted, 2 received/);
      expect(readdirSync(dir).sort()).toEqual(['home-a-inside.pcap', 'home-a-outside.pcap']);
      // type 8: echo request, 0: echo reply
      expect(echoes(join(dir, 'home-a-inside.pcap'))).toEqual([
        '192.168.1.10 198.51.100.20 8',
        '198.51.100.20 192.168.1.10 0',
        '192.168.1.10 198.51.100.20 8',
        '198.51.100.20 192.168.1.10 0',
      ]);
      expect(echoes(join(dir, 'home-a-outside.pcap'))).toEqual([
        '203.0.113.10 198.51.100.20 8',
        '198.51.100.20 203.0.113.10 0',
        '203.0.113.10 198.51.100.20 8',
        '198.51.100.20 203.0.113.10 0',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
}
