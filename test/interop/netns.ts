/**
 * Sealed two-host lab for the real-client interop tests (test/interop/*.ns.test.ts).
 *
 * Run normally, an interop test file re-executes itself under `unshare --net` (namespace "gw":
 * loopback up, multicast on, 239/8 routed to lo) with NATSIM_NETNS=1 and asserts that the inner
 * run passed. Inside, {@link createLan} refuses to run unless "gw" holds nothing but `lo`, then
 * makes a second fresh namespace "lan" (`unshare --net sleep`) joined to "gw" by one veth pair:
 *
 *   gw: natsim-gw 10.99.0.1/24  <── veth ──>  lan: natsim-lan 10.99.0.2/24 (default via 10.99.0.1)
 *
 * The gateway runs in the test process (namespace gw) on 10.99.0.1; every client runs in "lan"
 * through `nsenter --net=/proc/PID/ns/net`, like a LAN host. No packet ever reaches the machine's
 * own interfaces: both namespaces are private and vanish with their processes.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export { IN_NETNS, REPO } from '../support/sealed-namespace.js';

import { REPO } from '../support/sealed-namespace.js';
export const CLIENTS = fileURLToPath(new URL('./clients/', import.meta.url));
export const GW_IFACE = 'natsim-gw';
export const LAN_IFACE = 'natsim-lan';
export const GW_ADDRESS = '10.99.0.1';
export const LAN_ADDRESS = '10.99.0.2';
export const PYTHON = '/usr/bin/python3';
export const NODE = process.execPath;

export { assertSealed, reexecInNamespace } from '../support/sealed-namespace.js';

import { assertSealed, IN_NETNS, interfaces } from '../support/sealed-namespace.js';

/** Fails (never skips) when a tool is missing, naming the Debian package that provides it. */
export function requireTool(check: { cmd: string; args?: string[] } | string, debPackages: string): void {
  const { cmd, args } = typeof check === 'string' ? { cmd: 'sh', args: ['-c', `command -v ${check}`] } : { args: [], ...check };
  const ok = spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  if (!ok)
    throw new Error(
      `missing: ${typeof check === 'string' ? check : `${cmd} ${args.join(' ')}`} — install the Debian package(s): ${debPackages}`,
    );
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout + stderr, as a person at the terminal sees it. */
  output: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The lan host, as the tests use it. */
export interface Lan {
  readonly pid: number;
  /** Runs a command on the lan host to completion (timeout kills it). */
  run(cmd: string, args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Starts a command on the lan host. */
  spawn(cmd: string, args: readonly string[]): ChildProcessWithoutNullStreams;
  /** Kills the lan host: the namespace and the veth pair vanish. */
  close(): Promise<void>;
}

/** Builds the lan namespace and the veth pair. Call from beforeAll inside the gw namespace. */
export async function createLan(): Promise<Lan> {
  if (!IN_NETNS) throw new Error('createLan() runs only inside the sealed namespace');
  assertSealed(['lo']); // a fresh namespace: nothing was added yet, nothing of the machine is here
  const holder = spawn('unshare', ['--net', 'sleep', '150'], { stdio: 'ignore' });
  const pid = holder.pid!;
  const exitKill = (): void => void holder.kill('SIGKILL');
  process.once('exit', exitKill);
  const inLan = (cmd: string, args: readonly string[]): [string, string[]] => [
    'nsenter',
    [`--net=/proc/${pid}/ns/net`, '--', cmd, ...args],
  ];
  try {
    const mine = readlinkSync('/proc/self/ns/net');
    for (let i = 0; ; i++) {
      let theirs = '';
      try {
        theirs = readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        /* not there yet */
      }
      if (theirs && theirs !== mine) break;
      if (i > 100) throw new Error('the lan namespace did not come up');
      await sleep(20);
    }
    const sh = (cmd: string, args: string[]): void => {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
    };
    sh('ip', ['link', 'add', GW_IFACE, 'type', 'veth', 'peer', 'name', LAN_IFACE, 'netns', String(pid)]);
    sh('ip', ['addr', 'add', `${GW_ADDRESS}/24`, 'dev', GW_IFACE]);
    sh('ip', ['link', 'set', GW_IFACE, 'up']);
    sh(
      ...inLan('sh', [
        '-c',
        [
          'ip link set lo up',
          `ip addr add ${LAN_ADDRESS}/24 dev ${LAN_IFACE}`,
          `ip link set ${LAN_IFACE} up`,
          `ip route add default via ${GW_ADDRESS}`,
          `ip route add 239.0.0.0/8 dev ${LAN_IFACE}`,
        ].join(' && '),
      ]),
    );
    assertSealed(['lo', GW_IFACE]);
    const lanIfaces = interfaces(spawnSync(...inLan('cat', ['/proc/self/net/dev']), { encoding: 'utf8' }).stdout);
    if (!lanIfaces.every((i) => ['lo', LAN_IFACE].includes(i))) throw new Error(`the lan namespace is not sealed: ${lanIfaces.join(', ')}`);
    // The veth needs a moment before it carries traffic (no DAD for IPv4, but the link comes up async).
    for (let i = 0; i < 50; i++) {
      if (spawnSync(...inLan('ip', ['-br', 'link', 'show', LAN_IFACE]), { encoding: 'utf8' }).stdout.includes('UP')) break;
      await sleep(20);
    }
  } catch (e) {
    holder.kill('SIGKILL');
    throw e;
  }

  return {
    pid,
    run: (cmd, args, timeoutMs = 20_000) =>
      new Promise((resolve) => {
        const child = spawn(...inLan(cmd, args), { cwd: REPO });
        let stdout = '';
        let stderr = '';
        let output = '';
        child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (output += d.toString())));
        child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), (output += d.toString())));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr, output });
        });
      }),
    spawn: (cmd, args) => spawn(...inLan(cmd, args), { cwd: REPO }),
    close: async () => {
      process.off('exit', exitKill);
      if (holder.exitCode === null && holder.signalCode === null) {
        const gone = new Promise((r) => holder.once('exit', r));
        holder.kill('SIGKILL');
        await gone;
      }
    },
  };
}

/**
 * A client script that prints one JSON object a line and waits for "next\n" on stdin after each,
 * so the test can look at the gateway between the client's steps.
 */
export interface Stepper {
  /** The next JSON line (rejects when the client exits first or after timeoutMs). */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Lets the client go on to its next step. */
  proceed(): void;
  /** Everything the client wrote to stderr. */
  stderr(): string;
  kill(): void;
}

export function stepper(child: ChildProcessWithoutNullStreams): Stepper {
  const queue: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (line) => {
    try {
      queue.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      queue.push({ unparsed: line });
    }
    waiters.splice(0).forEach((w) => w());
  });
  child.on('close', () => {
    ended = true;
    waiters.splice(0).forEach((w) => w());
  });
  return {
    next: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0) {
        if (ended) throw new Error(`client exited early (code ${child.exitCode}); stderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`no answer from the client within ${timeoutMs} ms; stderr:\n${err}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return queue.shift()!;
    },
    proceed: () => {
      if (!ended) child.stdin.write('next\n');
    },
    stderr: () => err,
    kill: () => void child.kill('SIGKILL'),
  };
}

/** Parses JSON lines (ignoring anything else). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
