/** `--max-scenario-bytes`, shared by the commands that read scenario files. */
import type { Command } from 'commander';
import { DEFAULT_MAX_SCENARIO_BYTES } from '../scenario/limits.js';
import { usageError } from './errors.js';

function bytesValue(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1)
    throw usageError(`--max-scenario-bytes must be a whole number of bytes, at least 1, not "${text}"`);
  return n;
}

/** Adds `--max-scenario-bytes <n>` (default 4 MiB) to a command; the value arrives as `maxScenarioBytes`. */
export function maxScenarioBytesOption(cmd: Command): Command {
  return cmd.option(
    '--max-scenario-bytes <n>',
    `largest scenario file read, in bytes (default ${DEFAULT_MAX_SCENARIO_BYTES}, 4 MiB)`,
    bytesValue,
    DEFAULT_MAX_SCENARIO_BYTES,
  );
}
