/** Port ranges in scenario files, kept apart from the schema so the gateway can build routers without zod. */

/** Parses "6891-6900" or 1503 into an inclusive range. */
export function portRange(spec: number | string): { from: number; to: number } {
  if (typeof spec === 'number') return { from: spec, to: spec };
  const [a, b] = spec.split('-');
  const from = Number(a);
  const to = b === undefined ? from : Number(b);
  return { from, to };
}
