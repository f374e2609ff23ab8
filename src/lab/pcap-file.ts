/**
 * `--pcap DIR`: one capture file per router and side, `DIR/<router>-inside.pcap` (its LAN) and
 * `DIR/<router>-outside.pcap` (its WAN), written as datagrams are carried. Files are opened on
 * first use. Writes are buffered by the stream; past {@link PCAP_MAX_PENDING} bytes waiting for
 * the disk a record is not written but counted (`dropped`), so a slow disk never holds up the
 * data plane or grows memory without bound.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { CapturePoint, CaptureSink } from './capture.js';
import { pcapFileHeader, pcapRecord } from './pcap.js';

/** Bytes a capture file may have waiting for the disk before records are dropped. */
export const PCAP_MAX_PENDING = 16 * 1024 * 1024;

/** Router ids are scenario ids (letters, digits, `-`, `_`); anything else becomes `_` in a file name. */
function fileName(router: string, side: string): string {
  return `${router.replace(/[^A-Za-z0-9_.-]/g, '_')}-${side}.pcap`;
}

export class PcapDirectory {
  readonly dir: string;
  readonly #now: () => number;
  readonly #files = new Map<string, WriteStream>();
  #dropped = 0;
  #records = 0;
  #closed = false;

  /** `now()` gives the capture time in ms since the epoch (default: the wall clock). */
  constructor(dir: string, now: () => number = Date.now) {
    this.dir = dir;
    this.#now = now;
    mkdirSync(dir, { recursive: true });
  }

  /** A {@link CaptureSink} writing into this directory. */
  get sink(): CaptureSink {
    return (p) => this.write(p);
  }

  /** Records written and records dropped because the disk fell behind. */
  get stats(): { readonly records: number; readonly dropped: number } {
    return { records: this.#records, dropped: this.#dropped };
  }

  /** The paths written so far. */
  get files(): string[] {
    return [...this.#files.values()].map((s) => String(s.path));
  }

  write(point: CapturePoint): void {
    if (this.#closed) return;
    const key = fileName(point.router, point.side);
    let out = this.#files.get(key);
    if (!out) {
      out = createWriteStream(join(this.dir, key));
      out.on('error', () => {});
      out.write(pcapFileHeader());
      this.#files.set(key, out);
    }
    if (out.writableLength > PCAP_MAX_PENDING) {
      this.#dropped++;
      return;
    }
    out.write(pcapRecord(this.#now(), point.bytes));
    this.#records++;
  }

  /** Flushes and closes every file; safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#files.values()].map((s) => new Promise<void>((resolve) => s.end(resolve))));
  }
}
