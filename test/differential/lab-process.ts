/**
 * The differential lab (`lab.sh`) as a child process: started with a natsim gateway script, ready
 * when it prints `READY {json}` (the lab's namespaces and addresses), stopped by closing its stdin
 * and SIGTERM (lab.sh tears its namespaces down on either). Shared by the differential tests and
 * bench/portcontrol.ts.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

/** A running lab: what it printed after READY, its stderr so far, and a stop safe to call twice. */
export interface LabProcess<T> {
  readonly lab: T;
  readonly process: ChildProcessWithoutNullStreams;
  /** lab.sh's stderr so far (for failure messages). */
  log(): string;
  /** Ends the lab and waits for it to exit (at most `graceMs`, default 15 s). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `lab.sh` with the gateway script `gateway` (a file name in test/differential/) and the
 * extra environment `env`; rejects when it exits or is not ready within `readyMs` (default 40 s).
 */
export async function startLabProcess<T>(gateway: string, env: Record<string, string> = {}, readyMs = 40_000): Promise<LabProcess<T>> {
  const proc = spawn('bash', [`${HERE}/lab.sh`, `${HERE}/${gateway}`], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (graceMs = 15_000): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    proc.stdin.end();
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, graceMs))]);
  };
  try {
    const lab = await new Promise<T>((ready, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`lab not ready after ${readyMs / 1000} s\n${stderr}`)), readyMs);
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^READY (.*)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          ready(JSON.parse(m[1]!) as T);
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`lab.sh exited (${code}) before ready\n${out}\n${stderr}`));
      });
    });
    return { lab, process: proc, log: () => stderr, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
