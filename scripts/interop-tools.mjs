#!/usr/bin/env node
// Makes sure the Debian tools the interop tests drive are installed (runs before `npm test`).
// As root with apt-get available, missing packages are installed; otherwise it says what is
// missing and the interop tests will fail naming the package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → how to tell it is there. */
export const PACKAGES = {
  miniupnpc: () => has('upnpc'),
  'python3-miniupnpc': () => py('import miniupnpc'),
  'python3-gi': () => py('import gi'),
  'gir1.2-gssdp-1.6': () => py("import gi; gi.require_version('GSSDP', '1.6'); from gi.repository import GSSDP"),
  'gir1.2-gupnpigd-1.0': () => py("import gi; gi.require_version('GUPnPIgd', '1.0'); from gi.repository import GUPnPIgd"),
  'miniupnpd-nftables': () => existsSync('/usr/sbin/miniupnpd'),
  coturn: () => has('turnserver'),
  nftables: () => has('nft'),
  iproute2: () => has('ip'),
  natpmpc: () => has('natpmpc'),
  'python3-libtorrent': () => py('import libtorrent'),
  // Run only inside the test's namespaces with its own config dir (Debian's service has port forwarding off).
  'transmission-daemon': () => has('transmission-daemon'),
  // The lab (src/lab/): namespaces (unshare, nsenter, setpriv), each host's TUN bridge (socat), ip.
  'util-linux': () => has('unshare') && has('nsenter') && has('setpriv'),
  socat: () => has('socat'),
  // ping from lab hosts (test/lab/start-lab.ns.test.ts, bench/lab.ts).
  'iputils-ping': () => has('ping'),
  // Reads the lab's --pcap captures in test/lab/capture.test.ts.
  tshark: () => has('tshark'),
  // TCP throughput through the lab's NATs (bench/lab-dataplane.ts).
  iperf3: () => has('iperf3'),
  // The real mermaid parser runs in Debian's chromium, driven by playwright-core (test/scenario/mermaid-parser.ts).
  chromium: () => has('chromium'),
};

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function py(code) {
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', code], { stdio: 'ignore' }).status === 0;
}

if (process.argv.includes('--list')) {
  console.log(Object.keys(PACKAGES).join(' '));
  process.exit(0);
}

const missing = Object.entries(PACKAGES)
  .filter(([, ok]) => !ok())
  .map(([name]) => name);
if (missing.length === 0) process.exit(0);
const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (!root || !has('apt-get')) {
  console.error(
    `interop tools missing: ${missing.join(' ')} — install them with: apt-get install -y --no-install-recommends ${missing.join(' ')}`,
  );
  process.exit(0);
}
console.error(`installing interop tools: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch (e) {
  console.error(`apt-get failed (${e.message}); the interop tests will report what is missing`);
}
