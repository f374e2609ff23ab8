/** Runs the natsim CLI as users do (`node bin/natsim.js …`, cwd = repo root), optionally inside a fresh `unshare --net`. */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A finished CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args…` from the repository root; never rejects on a non-zero exit. */
export function run(file: string, args: readonly string[], timeout = 25_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(file, [...args], { cwd: ROOT, timeout, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** `node bin/natsim.js args…`. */
export function natsim(...args: string[]): Promise<CliRun> {
  return run(process.execPath, ['bin/natsim.js', ...args]);
}

/** The `unshare` arguments that make a new network namespace here (root, else a user namespace), or undefined. */
export function unsharePrefix(): string[] | undefined {
  const variants = [['--net'], ['--user', '--map-root-user', '--net']];
  return variants.find((v) => spawnSync('unshare', [...v, 'true'], { stdio: 'ignore' }).status === 0);
}

/** Runs `setup; natsim args…` (a shell line) inside a fresh network namespace of its own. */
export function natsimInFreshNamespace(setup: string, ...args: string[]): Promise<CliRun> {
  const prefix = unsharePrefix();
  if (!prefix) throw new Error('unshare --net is not permitted on this machine (util-linux, root or user namespaces)');
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return run('unshare', [...prefix, 'sh', '-c', `${setup ? `${setup}; ` : ''}exec '${process.execPath}' bin/natsim.js ${quoted}`]);
}

/** Runs a client to completion (20 s at most): its stdout and stderr together, and its exit status. */
export async function runClient(cmd: string, ...args: string[]): Promise<{ code: number | null; output: string }> {
  const r = await run(cmd, args, 20_000);
  return { code: r.code, output: r.stdout + r.stderr };
}
