/**
 * The lab's private namespace: a new network and PID namespace (rootless: inside a new user
 * namespace too) whose PID 1 is the helper of helper-source.ts. natsim keeps the relay socket the
 * helper binds there, and asks the helper to run the lab's own processes (host holders, socat
 * bridges, ip) inside it.
 *
 * Nothing outlives natsim: the helper is started as `setpriv --pdeathsig KILL unshare … --fork
 * --kill-child`, so when natsim dies (even by SIGKILL) unshare dies, the kernel kills the helper,
 * and with PID 1 gone it kills every process of the namespace; host namespaces are held only by
 * such processes and no namespace is ever mounted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:dgram';
import { NatsimError } from '../errors.js';
import { HELPER_SOURCE } from './helper-source.js';
import { missingBasics, userNamespaceBlockers } from './requirements.js';

/** How the lab got its namespaces: directly as root, or inside a user namespace. */
export type LabMode = 'root' | 'rootless';

/** Output and end of one command the helper runs. */
export interface HelperCommand {
  /** Everything it wrote so far to stdout and stderr. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when it ends (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  /** Resolves with the first match of `pattern` in its stdout (or stderr), rejects if it ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  write(data: string): void;
  kill(signal?: NodeJS.Signals): void;
}

/** The running private namespace. */
export interface LabNamespace {
  readonly mode: LabMode;
  /** The relay's UDP socket, bound on 127.0.0.1 inside the namespace. */
  readonly relay: Socket;
  readonly relayPort: number;
  /** Runs a command inside the namespace (as a child of the helper). */
  run(cmd: string, args: readonly string[]): HelperCommand;
  /** Kills the namespace and everything in it; resolves when unshare has exited. Safe twice. */
  stop(): Promise<void>;
}

/** Raised when the machine cannot host the lab; the message names what is missing. */
export const labUnavailable = (fn: string, what: readonly string[]): NatsimError =>
  new NatsimError('ERR_NATSIM_LAB_UNAVAILABLE', {
    fn,
    reason: `the lab cannot start on this machine: ${what.join('; ')}`,
  });

const START_TIMEOUT_MS = 10_000;

/** unshare's flags for each mode. */
const UNSHARE_FLAGS: Record<LabMode, readonly string[]> = {
  root: ['--net', '--pid'],
  rootless: ['--user', '--map-root-user', '--net', '--pid'],
};

/**
 * Starts the private namespace: as root without a user namespace (falling back to one), otherwise
 * in a user namespace. Throws `ERR_NATSIM_LAB_UNAVAILABLE` naming what is missing.
 */
export async function startLabNamespace(fn: string): Promise<LabNamespace> {
  const root = process.geteuid?.() === 0;
  const modes: LabMode[] = root ? ['root', 'rootless'] : ['rootless'];
  const basics = missingBasics(!root);
  if (basics.length > 0) throw labUnavailable(fn, basics);
  const failures: string[] = [];
  for (const mode of modes) {
    const r = await tryMode(mode);
    if ('ns' in r) return r.ns;
    failures.push(`${mode === 'root' ? 'unshare --net --pid' : 'unshare --user --map-root-user --net --pid'} failed: ${r.failure}`);
  }
  throw labUnavailable(fn, [...(root ? [] : userNamespaceBlockers()), ...failures]);
}

async function tryMode(mode: LabMode): Promise<{ ns: LabNamespace } | { failure: string }> {
  const args = ['--pdeathsig', 'KILL', 'unshare', ...UNSHARE_FLAGS[mode], '--fork', '--kill-child', process.execPath, '-e', HELPER_SOURCE];
  const child = spawn('setpriv', args, {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    // Its own session: a Ctrl-C at natsim's terminal reaches natsim and the commands it runs in
    // hosts, not the lab's plumbing (natsim tears that down itself).
    detached: true,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ port: number; pid: number; socket: Socket } | { failure: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ failure: `the helper did not start within ${START_TIMEOUT_MS} ms` }), START_TIMEOUT_MS);
    const done = (v: { port: number; pid: number; socket: Socket } | { failure: string }): void => {
      clearTimeout(timer);
      resolve(v);
    };
    child.on('message', (m: { t?: string; port?: number; pid?: number; message?: string }, handle: unknown) => {
      if (m.t === 'ready' && handle) done({ port: m.port!, pid: m.pid!, socket: handle as Socket });
      else if (m.t === 'fatal') done({ failure: m.message ?? 'the helper failed' });
    });
    child.once('error', (e) => done({ failure: e.message }));
    child.once('exit', (code, signal) => done({ failure: stderr.trim().split('\n').slice(-3).join(' ') || `exit ${code ?? signal}` }));
  });
  if ('failure' in ready) {
    child.kill('SIGKILL');
    await exited;
    return ready;
  }
  return { ns: labNamespace(mode, child, ready, exited) };
}

function labNamespace(
  mode: LabMode,
  child: ChildProcess,
  ready: { port: number; pid: number; socket: Socket },
  exited: Promise<void>,
): LabNamespace {
  const { socket: relay, port: relayPort, pid: helperPid } = ready;
  const commands = new Map<number, CommandState>();
  let nextId = 1;
  let stopped = false;
  child.on('message', (m: HelperMessage) => {
    const c = m.id !== undefined ? commands.get(m.id) : undefined;
    if (!c) return;
    if (m.t === 'out') c.output(m.fd === 2 ? 'stderr' : 'stdout', m.data ?? '');
    else if (m.t === 'exit') {
      commands.delete(m.id!);
      c.end({ code: m.code ?? null, signal: m.signal ?? null, ...(m.error ? { error: m.error } : {}) });
    }
  });
  exited.then(() => {
    for (const c of commands.values()) c.end({ code: null, signal: 'SIGKILL', error: 'the lab namespace ended' });
    commands.clear();
  });
  const post = (m: object): void => {
    if (child.connected) child.send(m);
  };
  let stopping: Promise<void> | undefined;
  return {
    mode,
    relay,
    relayPort,
    run(cmd, args) {
      const id = nextId++;
      const c = new CommandState(
        (data) => post({ t: 'write', id, data }),
        (signal) => post({ t: 'kill', id, signal }),
      );
      if (stopped) c.end({ code: null, signal: 'SIGKILL', error: 'the lab is stopped' });
      else {
        commands.set(id, c);
        post({ t: 'spawn', id, cmd, args });
      }
      return c;
    },
    stop: () =>
      (stopping ??= (async () => {
        stopped = true;
        try {
          relay.close();
        } catch {
          /* already closed */
        }
        // The helper first: unshare, its parent, reaps it only once every thread is gone and, with
        // PID 1 gone, every process of the namespace killed and reaped; then unshare exits.
        try {
          process.kill(helperPid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        await exited;
      })()),
  };
}

interface HelperMessage {
  readonly t: string;
  readonly id?: number;
  readonly fd?: number;
  readonly data?: string;
  readonly code?: number | null;
  readonly signal?: string | null;
  readonly error?: string;
}

interface Waiter {
  readonly pattern: RegExp;
  readonly stream: 'stdout' | 'stderr';
  readonly resolve: (m: RegExpMatchArray) => void;
  readonly reject: (e: Error) => void;
}

/** Limit on the output kept per command (the lab's own commands print a few lines). */
const MAX_OUTPUT = 64 * 1024;

class CommandState implements HelperCommand {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  #end!: (r: { code: number | null; signal: string | null; error?: string }) => void;
  #ended: { code: number | null; signal: string | null; error?: string } | undefined;
  readonly #waiters = new Set<Waiter>();

  constructor(
    private readonly writeFn: (data: string) => void,
    private readonly killFn: (signal: NodeJS.Signals) => void,
  ) {
    this.exited = new Promise((r) => (this.#end = r));
  }

  output(stream: 'stdout' | 'stderr', data: string): void {
    if (this[stream].length < MAX_OUTPUT) this[stream] += data;
    for (const w of this.#waiters) {
      if (w.stream !== stream) continue;
      const m = this[stream].match(w.pattern);
      if (m) {
        this.#waiters.delete(w);
        w.resolve(m);
      }
    }
  }

  end(r: { code: number | null; signal: string | null; error?: string }): void {
    if (this.#ended) return;
    this.#ended = r;
    this.#end(r);
    for (const w of this.#waiters) w.reject(new Error(`it ended (${this.#describe(r)}) before printing ${w.pattern}`));
    this.#waiters.clear();
  }

  #describe(r: { code: number | null; signal: string | null; error?: string }): string {
    const tail = (this.stderr.trim() || this.stdout.trim()).split('\n').slice(-3).join(' ');
    return `${r.error ?? (r.code !== null ? `exit ${r.code}` : `signal ${r.signal}`)}${tail ? `: ${tail}` : ''}`;
  }

  waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const m = this[stream].match(pattern);
    if (m) return Promise.resolve(m);
    if (this.#ended) return Promise.reject(new Error(`it ended (${this.#describe(this.#ended)}) before printing ${pattern}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        reject(new Error(`it did not print ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiter = {
        pattern,
        stream,
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.add(w);
    });
  }

  /** How it ended, as a phrase with the last lines it printed. */
  describeEnd(): string {
    return this.#ended ? this.#describe(this.#ended) : 'still running';
  }

  write(data: string): void {
    this.writeFn(data);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.killFn(signal);
  }
}
