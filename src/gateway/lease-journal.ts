/**
 * Durable leases: the router's runtime mappings (UPnP, NAT-PMP, PCP) kept in an append-only
 * journal (records: lease-records.ts), so a restarted `natsim serve --lease-file FILE` resumes them.
 *
 * - Every mapping event of the router (the model's event stream: mapping-created, -refreshed,
 *   -removed, -expired) is appended as a record the moment it happens; {@link
 *   LeaseJournal.flush} resolves once every record appended so far is written (and, with `sync:
 *   'fsync'`, the default, fdatasync'ed). The gateway awaits it before sending a SOAP reply, so an
 *   acknowledged mapping is on disk before its acknowledgement. Writes are group commits: records
 *   that arrive while one write is under way go out together in the next.
 * - The file is preallocated (zero-filled ahead of the last record) and records are written in
 *   place, opened with O_DSYNC: each write is durable when it completes, without the file-size
 *   update an append would have to sync too — one system call per group commit (with `sync:
 *   'write'`, a plain write into the page cache, made synchronously). A reader skips the zeros.
 * - The journal is compacted (rewritten as one `put` per live mapping: a temporary file, synced,
 *   renamed over the journal, the directory synced) when it holds more than twice the records the
 *   table needs, and on every start.
 * - {@link LeaseJournal.open} replays the file into the table before anything else can change it:
 *   mappings come back in table order with their remaining lease on the wall clock; expired ones
 *   are dropped; a damaged or partial record (a crash in mid-write) is dropped and reported.
 * - A failed write rejects the waiting flushes (the gateway answers those requests with an error
 *   instead of acknowledging them) and the next write rewrites the whole journal from the table.
 * - One writer per file: `FILE.lock` (lease-lock.ts) is held from open to close; a second natsim
 *   on the same file is refused while the first lives.
 */
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';
import { type FileHandle, open, readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../nat/clock.js';
import type { MappingEvent } from '../nat/events.js';
import type { ForwardEntry, ForwardOrigin, ForwardTable } from '../nat/forward-table.js';
import { acquireLeaseLock, type LeaseLock } from './lease-lock.js';
import {
  encodeRecord,
  type JournalProblem,
  LEASE_JOURNAL_FORMAT,
  LEASE_JOURNAL_VERSION,
  type LeaseRecord,
  replayJournal,
} from './lease-records.js';

/** When a record counts as written: after fdatasync (default) or once handed to the kernel. */
export type LeaseSync = 'fsync' | 'write';

/** The origins whose mappings the journal keeps (runtime mappings that clients asked for). */
export const DURABLE_ORIGINS: ReadonlySet<ForwardOrigin> = new Set<ForwardOrigin>(['upnp', 'natpmp', 'pcp']);

/** Zeros written ahead of the last record: at least this much, at most {@link MAX_PREALLOCATE}. */
const MIN_PREALLOCATE = 64 * 1024;
const MAX_PREALLOCATE = 4 * 1024 * 1024;

/** Largest journal read at start (a compacted journal of a full table is far smaller). */
export const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

/** Options of {@link LeaseJournal.open}. */
export interface LeaseJournalOptions {
  /** The journal file (created when missing). */
  readonly path: string;
  /** The table to follow (its event stream) and to restore into. */
  readonly forwards: ForwardTable;
  /** The router whose events to follow (the stream may be a network's, shared by several routers); default '' (a bare table's). */
  readonly routerId?: string;
  /**
   * Puts one journalled mapping back with `leaseSeconds` left; returns why it was refused, or
   * undefined. Default: straight into the table. The gateway passes its router's mapping
   * service, so a restored mapping meets the rules a new request would.
   */
  readonly restore?: (lease: LeaseRecord, leaseSeconds: number, now: number) => string | undefined;
  /** The model's clock (lease expiries in the table are on it). */
  readonly clock: Clock;
  /** Default 'fsync'. */
  readonly sync?: LeaseSync;
  /** The wall clock, Unix ms (default Date.now): leases run out on it while natsim is down. */
  readonly wallClock?: () => number;
  /** Compact once the journal holds this many records and more than twice the live mappings (default 4096). */
  readonly compactAfter?: number;
  /**
   * Runs before each write of the journal after the start (fault injection for tests: delay it
   * to stand for a slow disk, throw to stand for a failing one).
   */
  readonly beforeWrite?: () => void | Promise<void>;
}

/** What a start found in the journal. */
export interface LeaseRestoreReport {
  readonly path: string;
  /** The file did not exist and was created. */
  readonly created: boolean;
  /** Mappings put back into the table. */
  readonly restored: number;
  /** Mappings whose lease ran out while natsim was down (dropped). */
  readonly expired: number;
  /** Mappings the table refused (e.g. the port is now the gateway's own), with the reason. */
  readonly refused: ReadonlyArray<{ readonly lease: LeaseRecord; readonly reason: string }>;
  /** Damaged or partial records dropped. */
  readonly problems: readonly JournalProblem[];
}

/** An error of the lease journal; `code` is stable. */
export class LeaseJournalError extends Error {
  constructor(
    readonly code: 'LEASE_FILE_FOREIGN' | 'LEASE_FILE_TOO_LARGE' | 'LEASE_FILE_VERSION',
    message: string,
  ) {
    super(message);
    this.name = 'LeaseJournalError';
  }
}

interface Waiter {
  readonly seq: number;
  resolve(): void;
  reject(e: Error): void;
}

/** The journal of one forward table. */
export class LeaseJournal {
  readonly path: string;
  readonly sync: LeaseSync;
  readonly report: LeaseRestoreReport;
  readonly #forwards: ForwardTable;
  readonly #clock: Clock;
  readonly #wall: () => number;
  readonly #compactAfter: number;
  readonly #beforeWrite: (() => void | Promise<void>) | undefined;
  #fh: FileHandle | undefined;
  /** Where the next record goes / how far the file is allocated (zeros beyond #end). */
  #end = 0;
  #allocated = 0;
  #buf: string[] = [];
  /** Records appended / known written. */
  #seq = 0;
  #durableSeq = 0;
  /** Records in the file (for compaction). */
  #records = 0;
  #waiters: Waiter[] = [];
  #draining = false;
  #kickQueued = false;
  #broken = false;
  #closed = false;
  #unsubscribe: () => void = () => {};
  #lock: LeaseLock | undefined;
  /** Writes done (appends and rewrites), for tests and the bench. */
  writes = 0;
  compactions = 0;

  private constructor(options: LeaseJournalOptions, report: LeaseRestoreReport) {
    this.path = options.path;
    this.sync = options.sync ?? 'fsync';
    this.report = report;
    this.#forwards = options.forwards;
    this.#clock = options.clock;
    this.#wall = options.wallClock ?? Date.now;
    this.#compactAfter = options.compactAfter ?? 4096;
    this.#beforeWrite = options.beforeWrite;
  }

  /**
   * Reads the journal (if any), restores its mappings into the table, writes a compacted journal
   * and follows the table from then on. Call before the table can change otherwise.
   */
  static async open(options: LeaseJournalOptions): Promise<LeaseJournal> {
    const lock = acquireLeaseLock(options.path);
    try {
      return await LeaseJournal.#openLocked(options, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  static async #openLocked(options: LeaseJournalOptions, lock: LeaseLock): Promise<LeaseJournal> {
    const text = await readJournal(options.path);
    const wall = (options.wallClock ?? Date.now)();
    const now = options.clock.now();
    let restored = 0;
    let expired = 0;
    const refused: Array<{ lease: LeaseRecord; reason: string }> = [];
    const replay = checkedReplay(options.path, text);
    for (const lease of replay.leases) {
      if (!DURABLE_ORIGINS.has(lease.origin)) continue;
      if (lease.expiresAtMs !== 0 && lease.expiresAtMs <= wall) {
        expired++;
        continue;
      }
      const left = lease.expiresAtMs === 0 ? 0 : Math.ceil((lease.expiresAtMs - wall) / 1000);
      const why = (options.restore ?? restoreIntoTable(options.forwards))(lease, left, now);
      if (why === undefined) restored++;
      else refused.push({ lease, reason: why });
    }
    const journal = new LeaseJournal(options, {
      path: options.path,
      created: text === undefined,
      restored,
      expired,
      refused,
      problems: replay.problems,
    });
    await journal.#rewrite();
    const on = (e: MappingEvent): void => {
      if (e.router === (options.routerId ?? '')) journal.#onChange(e);
    };
    const offs = (['mapping-created', 'mapping-refreshed', 'mapping-removed', 'mapping-expired'] as const).map((t) =>
      options.forwards.events.on(t, on),
    );
    journal.#unsubscribe = () => {
      for (const off of offs) off();
    };
    journal.#lock = lock;
    return journal;
  }

  /** True when every record appended so far is written. */
  get durable(): boolean {
    return this.#durableSeq >= this.#seq && !this.#broken;
  }

  /** Resolves once every change made so far is written (rejects when the write failed). */
  flush(): Promise<void> {
    if (this.durable) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('the lease journal is closed'));
    const seq = this.#seq;
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
    void this.#drain();
    return p;
  }

  /** Writes what is pending, then stops following the table and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#unsubscribe();
    await this.flush().catch(() => {});
    this.#closed = true;
    try {
      await this.#fh?.close();
    } finally {
      this.#fh = undefined;
      this.#lock?.release();
    }
  }

  #onChange(c: MappingEvent): void {
    if (!DURABLE_ORIGINS.has(c.origin)) return;
    const e = c.mapping;
    this.#append(
      c.type === 'mapping-created' || c.type === 'mapping-refreshed'
        ? encodeRecord({ op: 'put', lease: this.#leaseOf(e, this.#wall(), this.#clock.now()) })
        : encodeRecord({ op: 'del', protocol: e.protocol, externalPort: e.externalPort, remoteHost: e.remoteHost }),
    );
  }

  #leaseOf(e: ForwardEntry, wall: number, now: number): LeaseRecord {
    return {
      protocol: e.protocol,
      externalPort: e.externalPort,
      internalClient: e.internalClient,
      internalPort: e.internalPort,
      remoteHost: e.remoteHost,
      description: e.description,
      expiresAtMs: e.expiresAt === Infinity ? 0 : Math.max(1, Math.round(wall + (e.expiresAt - now))),
      leaseSeconds: e.leaseSeconds,
      origin: e.origin,
      enabled: e.enabled,
      owner: e.owner,
      ...(e.nonce !== undefined ? { nonce: e.nonce } : {}),
    };
  }

  #append(line: string): void {
    this.#buf.push(line);
    this.#seq++;
    // Changes made in one turn of the event loop go out in one write.
    if (!this.#kickQueued) {
      this.#kickQueued = true;
      queueMicrotask(() => {
        this.#kickQueued = false;
        void this.#drain();
      });
    }
  }

  /** The single writer: appends (or rewrites) until nothing is pending. */
  async #drain(): Promise<void> {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    try {
      while (!this.durable) {
        try {
          await this.#beforeWrite?.();
          if (this.#broken || this.#needsCompaction()) await this.#rewrite();
          else await this.#appendPending();
          this.#settle();
        } catch (e) {
          this.#broken = true;
          this.#fail(e instanceof Error ? e : new Error(String(e)));
          return;
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  async #appendPending(): Promise<void> {
    const upTo = this.#seq;
    const lines = this.#buf;
    this.#buf = [];
    const fh = this.#fh!;
    const bytes = Buffer.from(lines.join(''), 'utf8');
    if (this.#end + bytes.length > this.#allocated) await this.#preallocate(this.#end + bytes.length);
    // 'write': into the page cache, a few microseconds, done in place of a trip to the thread pool.
    if (this.sync === 'write') writeAllSync(fh, bytes, this.#end);
    else await writeAll(fh, bytes, this.#end);
    // Without O_DSYNC (not every platform has it), the same with an explicit fdatasync.
    if (this.sync === 'fsync' && !HAS_DSYNC) await fh.datasync();
    this.#end += bytes.length;
    this.writes++;
    this.#records += lines.length;
    this.#durableSeq = upTo;
  }

  #needsCompaction(): boolean {
    return this.#records + this.#buf.length > Math.max(this.#compactAfter, 2 * this.#forwards.size + 64);
  }

  /** Writes the whole table as a fresh journal: temp file, sync, rename, directory sync. */
  async #rewrite(): Promise<void> {
    const upTo = this.#seq;
    this.#buf = [];
    const wall = this.#wall();
    const now = this.#clock.now();
    const lines = [encodeRecord({ op: 'header', format: LEASE_JOURNAL_FORMAT, version: LEASE_JOURNAL_VERSION })];
    for (const e of this.#forwards.list()) {
      if (DURABLE_ORIGINS.has(e.origin) && e.expiresAt > now) lines.push(encodeRecord({ op: 'put', lease: this.#leaseOf(e, wall, now) }));
    }
    await this.#fh?.close();
    this.#fh = undefined;
    const text = Buffer.from(lines.join(''), 'utf8');
    const pad = preallocation(text.length);
    await replaceFile(this.path, Buffer.concat([text, Buffer.alloc(pad)]), this.sync);
    this.#fh = await open(this.path, this.sync === 'fsync' && HAS_DSYNC ? constants.O_RDWR | constants.O_DSYNC : 'r+');
    this.#end = text.length;
    this.#allocated = text.length + pad;
    this.writes++;
    if (this.#records > 0) this.compactions++;
    this.#records = lines.length;
    this.#broken = false;
    this.#durableSeq = upTo;
  }

  /** Extends the zero-filled space so that `need` bytes fit. */
  async #preallocate(need: number): Promise<void> {
    const size = need + preallocation(need);
    await writeAll(this.#fh!, Buffer.alloc(size - this.#allocated), this.#allocated);
    if (this.sync === 'fsync' && !HAS_DSYNC) await this.#fh!.datasync();
    this.#allocated = size;
  }

  #settle(): void {
    const done = this.#waiters.filter((w) => w.seq <= this.#durableSeq);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.seq > this.#durableSeq);
    for (const w of done) w.resolve();
  }

  #fail(e: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    const err = new Error(`lease file ${this.path}: ${e.message}`, { cause: e });
    for (const w of waiters) w.reject(err);
  }
}

/** Replays a journal's text, refusing one that is not a natsim journal of this version. */
function checkedReplay(path: string, text: string | undefined): ReturnType<typeof replayJournal> {
  const replay = replayJournal(text ?? '');
  if (text !== undefined && text.length > 0) {
    if (!replay.header || replay.header.format !== LEASE_JOURNAL_FORMAT) {
      throw new LeaseJournalError(
        'LEASE_FILE_FOREIGN',
        `${path} is not a natsim lease journal (a miniupnpd lease file? convert it with \`natsim leases import\`)`,
      );
    }
    if (replay.header.version !== LEASE_JOURNAL_VERSION) {
      throw new LeaseJournalError(
        'LEASE_FILE_VERSION',
        `${path}: lease journal version ${replay.header.version} (this natsim reads ${LEASE_JOURNAL_VERSION})`,
      );
    }
  }
  return replay;
}

/**
 * Reads a lease journal without a table (for `natsim leases export`): its mappings in table order
 * (expired ones included) and the records dropped as damaged.
 */
export async function readLeaseJournal(
  path: string,
  options: { readonly missingOk?: boolean } = {},
): Promise<{ leases: LeaseRecord[]; problems: JournalProblem[] }> {
  const text = await readJournal(path);
  if (text === undefined && !options.missingOk) throw Object.assign(new Error(`${path}: no such lease file`), { code: 'ENOENT', path });
  const r = checkedReplay(path, text);
  return { leases: r.leases, problems: r.problems };
}

/** Writes a compacted lease journal holding `leases` (replacing the file atomically). */
export async function writeLeaseJournal(path: string, leases: readonly LeaseRecord[], sync: LeaseSync = 'fsync'): Promise<void> {
  const lines = [encodeRecord({ op: 'header', format: LEASE_JOURNAL_FORMAT, version: LEASE_JOURNAL_VERSION })];
  for (const lease of leases) lines.push(encodeRecord({ op: 'put', lease }));
  await replaceFile(path, lines.join(''), sync);
}

const HAS_DSYNC = typeof constants.O_DSYNC === 'number' && constants.O_DSYNC > 0;

/** How many zeros to keep ahead of `size` bytes of records. */
const preallocation = (size: number): number => Math.min(MAX_PREALLOCATE, Math.max(MIN_PREALLOCATE, size));

/** Writes all of `buf` at `position` (a write may be short). */
async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

function writeAllSync(fh: FileHandle, buf: Buffer, position: number): void {
  for (let done = 0; done < buf.length; ) done += writeSync(fh.fd, buf, done, buf.length - done, position + done);
}

/** Replaces `path` with `text`: a temp file, synced, renamed over it, the directory synced. */
async function replaceFile(path: string, text: string | Buffer, sync: LeaseSync): Promise<void> {
  const tmp = `${path}.tmp`;
  const out = await open(tmp, 'w', 0o644);
  try {
    await writeAll(out, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, 0);
    if (sync === 'fsync') await out.datasync();
  } finally {
    await out.close();
  }
  await rename(tmp, path);
  if (sync === 'fsync') syncDirectory(dirname(path));
}

/** The default restore: the mapping goes straight into the table (tests, a bare table). */
function restoreIntoTable(forwards: ForwardTable): NonNullable<LeaseJournalOptions['restore']> {
  return (lease, leaseSeconds, now) => {
    const r = forwards.add(
      {
        protocol: lease.protocol,
        externalPort: lease.externalPort,
        internalClient: lease.internalClient,
        internalPort: lease.internalPort,
        remoteHost: lease.remoteHost,
        description: lease.description,
        leaseSeconds,
        origin: lease.origin,
        enabled: lease.enabled,
        owner: lease.owner,
        ...(lease.nonce !== undefined ? { nonce: lease.nonce } : {}),
      },
      now,
    );
    return r.ok ? undefined : r.conflict.message;
  };
}

/** The journal's text, or undefined when there is no file. */
async function readJournal(path: string): Promise<string | undefined> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  if (size > MAX_JOURNAL_BYTES) {
    throw new LeaseJournalError(
      'LEASE_FILE_TOO_LARGE',
      `${path}: ${size} bytes is larger than a lease journal can be (${MAX_JOURNAL_BYTES})`,
    );
  }
  return readFile(path, 'utf8');
}

/** fsync of a directory, so a rename in it survives a power cut (not supported everywhere: ignored). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on directories */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
