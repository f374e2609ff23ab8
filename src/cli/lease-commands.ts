/** `natsim leases export|import`: natsim's lease journal to and from miniupnpd's lease file. */
import type { Command } from 'commander';
import { CliError, EXIT, usageError } from './errors.js';

interface TimeOption {
  time: 'absolute' | 'remaining';
}

function timeMode(text: string): 'absolute' | 'remaining' {
  if (text !== 'absolute' && text !== 'remaining') throw usageError(`--time must be absolute or remaining, not "${text}"`);
  return text;
}

/** Runs a command body; a file that cannot be read or written, or is not a lease file, is exit 1 with one sentence. */
async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    // Another natsim is using the file: the environment, as a port in use is (exit 3).
    if (err.name === 'LeaseFileLockedError') throw new CliError(err.message, EXIT.environment, 'LEASE_FILE_LOCKED');
    if (err.name === 'LeaseJournalError' || err.path !== undefined) throw new CliError(err.message, EXIT.failed, err.code ?? 'LEASE_FILE');
    throw e;
  }
}

export function registerLeaseCommands(program: Command): void {
  const leases = program
    .command('leases')
    .description("convert between natsim's lease file (natsim serve --lease-file) and miniupnpd's lease file format");

  leases
    .command('export')
    .description(
      "write the mappings of a natsim lease file in miniupnpd's lease file format (PROTO:EXTPORT:INTCLIENT:INTPORT:TIMESTAMP:DESC)",
    )
    .requiredOption('--lease-file <file>', 'the natsim lease file to read')
    .option('--output <file>', 'write here instead of stdout')
    .option(
      '--time <mode>',
      'TIMESTAMP as miniupnpd writes it: absolute (Unix time; the default build) or remaining (LEASEFILE_USE_REMAINING_TIME)',
      timeMode,
      'absolute',
    )
    .action((opts: TimeOption & { leaseFile: string; output?: string }) =>
      run(async () => {
        const time = opts.time;
        const [{ readLeaseJournal }, { formatMiniupnpdLeases }, { writeFile }] = await Promise.all([
          import('../gateway/lease-journal.js'),
          import('../gateway/miniupnpd-leases.js'),
          import('node:fs/promises'),
        ]);
        const journal = await readLeaseJournal(opts.leaseFile);
        for (const p of journal.problems) console.error(`natsim: ${opts.leaseFile}: ${p.message}`);
        const out = formatMiniupnpdLeases(journal.leases, { time });
        for (const s of out.skipped) {
          console.error(
            `natsim: not exported: ${s.lease.protocol.toUpperCase()} ${s.lease.externalPort} → ${s.lease.internalClient}:${s.lease.internalPort}: ${s.reason}`,
          );
        }
        if (opts.output !== undefined) {
          await writeFile(opts.output, out.text);
          console.error(
            `natsim: ${out.written} mapping(s) written to ${opts.output}${out.skipped.length ? `, ${out.skipped.length} not exported` : ''}`,
          );
        } else {
          process.stdout.write(out.text);
        }
      }),
    );

  leases
    .command('import')
    .description('add the mappings of a miniupnpd lease file to a natsim lease file (created when missing)')
    .argument('<miniupnpd-lease-file>', 'the miniupnpd lease file to read')
    .requiredOption('--lease-file <file>', 'the natsim lease file to write')
    .option('--replace', 'drop what the natsim lease file held before')
    .option(
      '--time <mode>',
      'how the miniupnpd file stores TIMESTAMP: absolute (Unix time; the default build) or remaining',
      timeMode,
      'absolute',
    )
    .action((source: string, opts: TimeOption & { leaseFile: string; replace?: boolean }) =>
      run(async () => {
        const time = opts.time;
        const [{ readLeaseJournal, writeLeaseJournal }, { parseMiniupnpdLeases }, { readFile }, { leaseKey }, { acquireLeaseLock }] =
          await Promise.all([
            import('../gateway/lease-journal.js'),
            import('../gateway/miniupnpd-leases.js'),
            import('node:fs/promises'),
            import('../gateway/lease-records.js'),
            import('../gateway/lease-lock.js'),
          ]);
        // Not while a natsim serve writes the journal: its next compaction would undo the import.
        const lock = acquireLeaseLock(opts.leaseFile);
        try {
          const parsed = parseMiniupnpdLeases(await readFile(source, 'utf8'), { time });
          for (const p of parsed.problems) console.error(`natsim: ${source}: ${p.message}`);
          const table = new Map<string, import('../gateway/lease-records.js').LeaseRecord>();
          if (!opts.replace) {
            const existing = await readLeaseJournal(opts.leaseFile, { missingOk: true });
            for (const p of existing.problems) console.error(`natsim: ${opts.leaseFile}: ${p.message}`);
            for (const l of existing.leases) table.set(leaseKey(l.protocol, l.externalPort, l.remoteHost), l);
          }
          for (const l of parsed.leases) table.set(leaseKey(l.protocol, l.externalPort, l.remoteHost), l);
          await writeLeaseJournal(opts.leaseFile, [...table.values()]);
          console.error(
            `natsim: ${parsed.leases.length} mapping(s) imported into ${opts.leaseFile} (${table.size} in all)` +
              `${parsed.expired ? `, ${parsed.expired} expired dropped` : ''}${parsed.problems.length ? `, ${parsed.problems.length} line(s) not readable` : ''}`,
          );
          if (parsed.problems.length) process.exitCode = EXIT.failed;
        } finally {
          lock.release();
        }
      }),
    );
}
