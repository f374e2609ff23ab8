/**
 * `natsim lab SCENARIO`: the scenario as a lab of network namespaces (src/lab/start-lab.ts).
 *
 * - `natsim lab SCENARIO [--background HOST=CMD …] --run HOST -- CMD [ARGS…]` starts the
 *   background commands (`sh -c CMD` in HOST, each output line prefixed by `[HOST] `), runs the
 *   foreground one in HOST with natsim's stdio, tears the lab down and exits with its status
 *   (128 + the signal number when a signal ended it).
 * - `natsim lab SCENARIO` alone keeps the lab up, prints each host's address and the command
 *   that opens a shell in it, and tears down on Ctrl-C (SIGINT) or SIGTERM.
 *
 * `--verbose` logs every datagram the lab did not deliver with the model's reason code and
 * sentence; `--pcap DIR` writes a capture per router and side; `--no-stun` leaves the reflector
 * servers' UDP 3478/3479 to whatever runs in them; `--no-services` runs no router's UPnP,
 * NAT-PMP or PCP (by default every router that offers one answers on its LAN). A machine that cannot host the lab
 * exits 3 naming what is missing; an unknown host, 2.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { NatsimError } from '../errors.js';
import type { LabHandle } from '../lab/start-lab.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import { isScenarioName, shippedScenarioPath } from '../scenario/shipped.js';
import { environmentError, usageError } from './errors.js';

interface LabCliOptions {
  background: string[];
  run?: string;
  verbose?: boolean;
  pcap?: string;
  stun: boolean;
  services: boolean;
}

/** One `--background HOST=CMD`. */
export interface BackgroundCommand {
  readonly host: string;
  readonly command: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Parses `HOST=CMD` (the first `=` splits). */
export function parseBackground(text: string): BackgroundCommand {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) throw usageError(`--background takes HOST=COMMAND, not "${text}"`);
  return { host: text.slice(0, at), command: text.slice(at + 1) };
}

/** The exit status for a child that ended with `code` or `signal`, as a shell reports it. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return n !== undefined ? 128 + n : 1;
}

export function registerLabCommand(program: Command): void {
  program
    .command('lab')
    .description('run a scenario as a lab: one network namespace per host, real programs in them, every IPv4 packet through the NAT model')
    .argument('<scenario>', 'a scenario file, or the name of a shipped scenario')
    .argument('[command...]', 'with --run: the foreground command and its arguments (after --)')
    .option('--background <host=cmd>', 'start `sh -c CMD` in HOST before the foreground command (repeatable)', collect, [])
    .option('--run <host>', 'run the command after -- in HOST, then tear down and exit with its status')
    .option('--verbose', "log every datagram the lab drops, with the model's reason code and sentence, on stderr")
    .option('--no-stun', 'no built-in STUN server on the role: reflector servers (run your own there)')
    .option('--no-services', "no router's UPnP, NAT-PMP or PCP in the lab (default: each router offering one serves its LAN)")
    .option('--pcap <dir>', 'write DIR/<router>-inside.pcap and -outside.pcap (what each side of every router saw)')
    .action(async (scenario: string, command: string[], opts: LabCliOptions) => {
      const background = opts.background.map(parseBackground);
      if (opts.run !== undefined && command.length === 0) throw usageError('--run HOST needs a command after --');
      if (opts.run === undefined && command.length > 0) throw usageError(`a command (${command[0]}) needs --run HOST`);
      const config = await loadConfig(scenario);
      const hosts = [...Object.keys(config.servers), ...Object.keys(config.hosts)];
      for (const h of [...(opts.run !== undefined ? [opts.run] : []), ...background.map((b) => b.host)]) {
        if (!hosts.includes(h)) throw usageError(`no host "${h}" in the scenario (hosts: ${hosts.join(', ')})`);
      }
      const lab = await startLabForCli(config, opts);
      const stopLab = async (): Promise<void> => {
        await lab.stop();
        await lab.closeCapture();
      };
      if (opts.run === undefined) {
        await keepUp(lab.handle, config, stopLab);
        return;
      }
      let status: number;
      try {
        for (const b of background) startBackground(lab.handle, b);
        status = await foreground(lab.handle, opts.run, command);
      } finally {
        await stopLab();
      }
      process.exitCode = status;
    });
}

async function loadConfig(scenario: string): Promise<ScenarioConfig> {
  let file = scenario;
  if (!existsSync(scenario) && isScenarioName(scenario.replace(/\.yaml$/, ''))) {
    try {
      file = shippedScenarioPath(scenario, { fn: 'lab' });
    } catch (e) {
      if (e instanceof NatsimError) throw usageError(e.reason);
      throw e;
    }
  }
  return (await (await import('../scenario/loader.js')).loadScenarioFile(file)).config;
}

interface CliLab {
  readonly handle: LabHandle;
  stop(): Promise<void>;
  closeCapture(): Promise<void>;
}

async function startLabForCli(config: ScenarioConfig, opts: LabCliOptions): Promise<CliLab> {
  const [{ startLab }, { PcapDirectory }] = await Promise.all([import('../lab/start-lab.js'), import('../lab/pcap-file.js')]);
  const pcap = opts.pcap !== undefined ? new PcapDirectory(opts.pcap) : undefined;
  try {
    const handle = await startLab({
      scenario: config,
      stun: opts.stun,
      services: opts.services,
      ...(opts.verbose
        ? {
            trace: true,
            onDrop: (d) =>
              process.stderr.write(`natsim: drop ${d.stage}/${d.code} from ${d.from}${d.node ? ` at ${d.node}` : ''}: ${d.message}\n`),
          }
        : {}),
      ...(pcap ? { capture: pcap.sink } : {}),
    });
    return { handle, stop: () => handle.stop(), closeCapture: async () => pcap?.close() };
  } catch (e) {
    await pcap?.close();
    if (e instanceof NatsimError && e.code === 'ERR_NATSIM_LAB_UNAVAILABLE') throw environmentError(e.reason);
    throw e;
  }
}

/** Each line of `stream` to `out`, prefixed by `[host] `. */
function prefixLines(stream: NodeJS.ReadableStream | null, host: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (l) => out.write(`[${host}] ${l}\n`));
}

function startBackground(lab: LabHandle, b: BackgroundCommand): ChildProcess {
  const child = lab.spawn(b.host, 'sh', ['-c', b.command], { stdio: ['ignore', 'pipe', 'pipe'] });
  prefixLines(child.stdout, b.host, process.stdout);
  prefixLines(child.stderr, b.host, process.stderr);
  child.once('error', (e) => process.stderr.write(`[${b.host}] natsim: could not start: ${e.message}\n`));
  return child;
}

/** Runs the foreground command with natsim's stdio; resolves with its exit status. */
function foreground(lab: LabHandle, host: string, command: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = lab.spawn(host, command[0]!, command.slice(1), { stdio: 'inherit' });
    // A Ctrl-C reaches the foreground command itself (same terminal process group); natsim waits
    // for it to end, then tears down.
    const ignore = (): void => {};
    const terminate = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', terminate);
    child.once('error', (e) => {
      process.stderr.write(`natsim: could not run ${command[0]} in ${host}: ${e.message}\n`);
      resolve(127);
    });
    child.once('close', (code, signal) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', terminate);
      resolve(exitStatus(code, signal));
    });
  });
}

/** Keeps the lab up until SIGINT or SIGTERM, after printing how to enter each host. */
async function keepUp(lab: LabHandle, config: ScenarioConfig, stop: () => Promise<void>): Promise<void> {
  const lines = [`natsim: lab "${config.name}" up in ${Math.round(lab.startupMs)} ms (${lab.mode}), ${lab.hosts.length} hosts:`];
  const width = Math.max(...lab.hosts.map((h) => h.length));
  for (const h of lab.hosts) {
    const host = lab.network.host(h);
    const where = host.on === 'internet' ? 'on the Internet' : `behind ${host.on}`;
    lines.push(`  ${h.padEnd(width)}  ${host.address.padEnd(15)}  ${where}`);
    lines.push(`  ${''.padEnd(width)}  shell: ${shellCommand(lab, h)}`);
  }
  lines.push(...serviceLines(lab, config));
  lines.push('Ctrl-C stops the lab.');
  process.stdout.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  await stop();
  process.stdout.write('natsim: lab stopped\n');
}

/** What each served router answers on its LAN (none when no router offers a service). */
export function serviceLines(lab: LabHandle, config: ScenarioConfig): string[] {
  const services = lab.services;
  if (!services) return [];
  const width = Math.max(...services.routers.map((r) => r.length));
  return [
    "Router services (on each router's LAN address, from its LAN):",
    ...services.routers.map((id) => {
      const r = services.router(id);
      const offers = [
        ...(r.descriptionUrl ? [`UPnP ${r.descriptionUrl} (SSDP ${r.ssdpAddress!.port})`] : []),
        ...(r.natpmpAddress ? [`${portControl(config.routers[id]!.services)} ${r.natpmpAddress.port}`] : []),
      ];
      return `  ${id.padEnd(width)}  ${offers.join(', ')}`;
    }),
  ];
}

/** Which protocols a router's port-control port speaks. */
const portControl = (s: { natpmp?: boolean; pcp?: boolean }): string => (s.natpmp && s.pcp ? 'NAT-PMP and PCP' : s.pcp ? 'PCP' : 'NAT-PMP');

/** `nsenter … sh` for a host, without the lab's own pdeathsig wrapper. */
export function shellCommand(lab: LabHandle, host: string): string {
  const full = lab.command(host, 'sh');
  const at = full.indexOf('setpriv');
  return [...full.slice(0, at), 'sh'].join(' ');
}
