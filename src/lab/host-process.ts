/**
 * Real processes in a lab host: `nsenter` into the host's network namespace and the lab's PID
 * namespace (rootless: its user namespace first), so the process sees only the host's `lo` and
 * `eth0` and dies with the lab. nsenter forks to enter the PID namespace and does not pass
 * signals on, so {@link hostSpawn}'s `kill()` signals the command itself, and the command is
 * started with `setpriv --pdeathsig TERM` so it is told to stop if nsenter dies first.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LabMode } from './lab-namespace.js';

/** The nsenter command line that runs `cmd args` in the namespace held by `pid`. */
export function hostCommand(mode: LabMode, pid: number, cmd: string, args: readonly string[]): [string, string[]] {
  return [
    'nsenter',
    [
      `--target=${pid}`,
      ...(mode === 'rootless' ? ['--user', '--preserve-credentials'] : []),
      '--net',
      '--pid',
      '--',
      'setpriv',
      '--pdeathsig',
      'TERM',
      '--',
      cmd,
      ...args,
    ],
  ];
}

/** The PID of the command nsenter forked (its only child), or undefined before it exists or after it ended. */
export function innerPid(nsenterPid: number): number | undefined {
  try {
    const children = readFileSync(`/proc/${nsenterPid}/task/${nsenterPid}/children`, 'utf8').trim();
    const first = Number(children.split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Spawns `cmd args` in a host. The returned child is nsenter's; its exit code and signal are the
 * command's, and `kill(signal)` is delivered to the command (to nsenter before the command exists).
 */
export function hostSpawn(mode: LabMode, pid: number, cmd: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(...hostCommand(mode, pid, cmd, args), options);
  const killNsenter = child.kill.bind(child);
  child.kill = (signal?: NodeJS.Signals | number): boolean => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
    const inner = innerPid(child.pid);
    if (inner === undefined) return killNsenter(signal);
    try {
      process.kill(inner, signal ?? 'SIGTERM');
      return true;
    } catch {
      return killNsenter(signal);
    }
  };
  return child;
}

/** What {@link hostExec} returns. */
export interface ExecResult {
  /** Exit code, or null when it was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved as they came, as a terminal shows them. */
  readonly output: string;
  /** True when the timeout killed it. */
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** Kill it (SIGKILL) after this many ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Written to its stdin, which is then closed (default: stdin closed at once). */
  readonly input?: string | Uint8Array;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** Most output kept per stream by {@link hostExec} (the rest is counted out). */
const MAX_EXEC_OUTPUT = 4 * 1024 * 1024;

/** Runs a command in a host to completion and collects its output. */
export function hostExec(mode: LabMode, pid: number, cmd: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = hostSpawn(mode, pid, cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    const keep = (s: string, d: string): string => (s.length < MAX_EXEC_OUTPUT ? s + d : s);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      stdout = keep(stdout, d);
      output = keep(output, d);
    });
    child.stderr!.on('data', (d: string) => {
      stderr = keep(stderr, d);
      output = keep(output, d);
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(options.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output, timedOut });
    });
  });
}
