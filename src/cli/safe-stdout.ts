/**
 * EPIPE-safe output: when the reader of stdout goes away (`natsim run scenarios/ | head -1`),
 * natsim stops quietly with the status it has so far instead of dying on an unhandled error.
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}
