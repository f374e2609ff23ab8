/**
 * Running a test file inside a sealed network namespace: the file re-executes itself under
 * `unshare --net` (loopback up, multicast on, 239.0.0.0/8 routed to lo, plus any extra setup) with
 * NATSIM_NETNS=1, and the outer run asserts that the inner one passed with nothing skipped. Inside,
 * {@link assertSealed} refuses to run unless the namespace holds only the expected interfaces, so
 * multicast and test traffic never touch the machine's own namespace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

export const IN_NETNS = process.env.NATSIM_NETNS === '1';
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

const BASE_SETUP = ['ip link set lo up', 'ip link set lo multicast on', 'ip route add 239.0.0.0/8 dev lo src 127.0.0.1'];

/**
 * Outside the namespace: one test that re-runs `self` (repo-relative path) inside `unshare --net`
 * after `extraSetup` commands, and asserts it passed. Does nothing when already inside.
 */
export function reexecInNamespace(self: string, title: string, extraSetup: readonly string[] = []): void {
  if (IN_NETNS) return;
  describe(`${title} (sealed network namespace)`, () => {
    it('passes inside unshare --net', async () => {
      // Prefer a plain network namespace (root); fall back to a user namespace (rootless).
      const variants = [['--net'], ['--user', '--map-root-user', '--net']];
      const prefix = variants.find((v) => spawnSync('unshare', [...v, 'true'], { stdio: 'ignore' }).status === 0);
      expect(prefix, 'unshare --net is not permitted on this machine (util-linux, root or user namespaces)').toBeDefined();
      const script = `${[...BASE_SETUP, ...extraSetup].join('; ')}; NATSIM_NETNS=1 exec npx vitest run ${self} --reporter=default`;
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn('unshare', [...prefix!, 'sh', '-c', script], { cwd: REPO, env: { ...process.env, NATSIM_NETNS: '' } });
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 110_000);
        child.on('close', (c) => {
          clearTimeout(timer);
          resolve({ code: c, output });
        });
      });
      expect(code, output).toBe(0);
      expect(output).toMatch(/Tests\s+.*\d+ passed/);
      expect(output).not.toMatch(/skipped/);
    }, 120_000);
  });
}

/** Interface names listed in a /proc/net/dev text. */
export function interfaces(netDev: string): string[] {
  return netDev
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]!.trim())
    .filter(Boolean);
}

/** Throws unless this namespace holds only the given interfaces. */
export function assertSealed(allowed: readonly string[]): void {
  const ifaces = interfaces(readFileSync('/proc/self/net/dev', 'utf8'));
  if (!ifaces.every((i) => allowed.includes(i))) {
    throw new Error(`NATSIM_NETNS=1 but this is not a sealed namespace (interfaces: ${ifaces.join(', ')}; allowed: ${allowed.join(', ')})`);
  }
}
