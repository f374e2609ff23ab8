/** Parsers of numeric option values: a bad value is a usage error (exit 2) naming the real range. */
import { usageError } from './errors.js';

/** A port number 0–65535 (0 = any free port). */
export function portValue(flag: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n > 65535) throw usageError(`${flag} must be a port number (0–65535), not "${text}"`);
    return n;
  };
}

/** A number of seconds in [min, max]; the help text should quote the same range. */
export function secondsValue(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n >= min && n <= max)) {
      throw usageError(`${flag} must be a number of seconds from ${min} to ${max}, not "${text}"`);
    }
    return n;
  };
}

/** An integer in [min, max]. */
export function integerValue(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !(n >= min && n <= max))
      throw usageError(`${flag} must be an integer from ${min} to ${max}, not "${text}"`);
    return n;
  };
}
