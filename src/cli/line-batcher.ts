/**
 * Lines to a stream, gathered per event-loop turn: `natsim serve` logs a line per mapping change,
 * and writing each on its own costs a system call (stdout to a pipe or file is synchronous), which
 * under load took a quarter of the server's CPU (two lines per AddPortMapping+DeletePortMapping
 * pair). Lines queued during one turn go out in one write on the next (`setImmediate`), in the
 * order they were queued; `flush()` writes what is queued now (the ready line, shutdown), and the
 * queue is flushed on process exit. A queue past {@link FLUSH_AT} characters is written at once, so
 * it stays bounded within a turn.
 */

/** Queued characters that trigger an immediate write. */
export const FLUSH_AT = 64 * 1024;

export interface LineBatcher {
  /** Queues `line` (a newline is added). */
  readonly line: (line: string) => void;
  /** Writes what is queued, if anything, now. */
  readonly flush: () => void;
}

/**
 * A batcher writing to `write` (default: process.stdout). `schedule` runs the deferred flush
 * (default setImmediate); the process's 'exit' flushes what is left unless `onExit` is false.
 */
export function lineBatcher(
  write: (text: string) => void = (text) => void process.stdout.write(text),
  options: { readonly schedule?: (fn: () => void) => void; readonly onExit?: boolean } = {},
): LineBatcher {
  const schedule = options.schedule ?? ((fn: () => void) => void setImmediate(fn));
  let queued = '';
  let pending = false;
  const flush = (): void => {
    if (queued === '') return;
    const text = queued;
    queued = '';
    write(text);
  };
  const deferred = (): void => {
    pending = false;
    flush();
  };
  if (options.onExit !== false) process.on('exit', flush);
  return {
    line: (line) => {
      queued += `${line}\n`;
      if (queued.length >= FLUSH_AT) flush();
      else if (!pending) {
        pending = true;
        schedule(deferred);
      }
    },
    flush,
  };
}
