/**
 * `natsim serve …` as a real process (node bin/natsim.js, cwd = repo root) for the tests that read
 * what it prints: its stdout and stderr lines as they come, a wait for a line, and its exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { REPO } from '../support/sealed-namespace.js';

/** A running (or finished) `natsim serve`. */
export interface ServeRun {
  readonly child: ChildProcess;
  /** Lines written to stdout so far. */
  readonly stdout: string[];
  /** Lines written to stderr so far. */
  readonly stderr: string[];
  /** Resolves once stdout has `n` lines (rejects if the process ends first or after `ms`). */
  lines(n: number, ms?: number): Promise<string[]>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every process {@link serveProcess} started, for an afterAll that kills what is left. */
export const started: ChildProcess[] = [];

/** Kills what is still running of {@link started}. */
export async function killStarted(): Promise<void> {
  for (const c of started) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
}

/** Starts `natsim serve ARGS…`. */
export function serveProcess(...args: string[]): ServeRun {
  const child = spawn(process.execPath, ['bin/natsim.js', 'serve', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const splitter = (into: string[]) => {
    let rest = '';
    return (d: string): void => {
      rest += d;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        into.push(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
    };
  };
  child.stdout!.setEncoding('utf8').on('data', splitter(stdout));
  child.stderr!.setEncoding('utf8').on('data', splitter(stderr));
  let ended = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      ended = true;
      resolve({ code, signal });
    });
  });
  const lines = (n: number, ms = 10_000): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + ms;
      const t = setInterval(() => {
        if (stdout.length >= n) {
          clearInterval(t);
          resolve(stdout.slice(0, n));
        } else if (ended || Date.now() > deadline) {
          clearInterval(t);
          reject(
            new Error(
              `natsim serve ${ended ? 'exited' : 'was still running'} with ${stdout.length} of ${n} lines on stdout:\n${stdout.join('\n')}\nstderr:\n${stderr.join('\n')}`,
            ),
          );
        }
      }, 20);
    });
  return {
    child,
    stdout,
    stderr,
    lines,
    exit,
    stop: (signal = 'SIGTERM') => {
      if (!ended) child.kill(signal);
      return exit;
    },
  };
}
