/**
 * Parse benchmark: the SOAP body parser (`parseSoapBody`, what every control request goes
 * through) on each 64 KiB input of the adversarial corpus (test/corpus/adversarial.ts) against
 * the plain 64 KiB bodies of the same corpus, measured in the same run, back to back per round
 * (measurePaired). Target (issue 12): the worst adversarial body within 2× of a plain one.
 * Prints one JSON object on stdout; one line per input on stderr.
 *
 *   node --import tsx bench/parse.ts
 */
import { parseSoapBody } from '../src/soap/xml.js';
import { SOAP_ADVERSARIAL, SOAP_PLAIN, type SoapCase } from '../test/corpus/adversarial.js';
import { log, measureOps, measurePaired } from './lib.js';

const SIZE = 64 * 1024;
const OPTIONS = { warmup: 2, runs: 7, minMs: 100 };

const body = (c: SoapCase): (() => number) => {
  const text = c.make(SIZE);
  return () => {
    parseSoapBody(text, { maxBytes: SIZE });
    return 1;
  };
};

const us = (opsPerSec: number): number => Math.round((1e6 / opsPerSec) * 10) / 10;

const plain = SOAP_PLAIN.map((c) => ({ name: c.name, us: us(measureOps(body(c), OPTIONS).opsPerSec) }));
for (const p of plain) log(`${p.name}: ${p.us} µs`);
/** The baseline: the plain body of many short arguments (a real envelope grown to 64 KiB). */
const baseline = SOAP_PLAIN.find((c) => c.name.includes('many short'))!;
const rows = SOAP_ADVERSARIAL.map((c) => {
  const r = measurePaired(body(baseline), body(c), OPTIONS);
  // ratio = subject ops/s ÷ baseline ops/s; as a time ratio it is the inverse.
  const timeRatio = Math.round((1 / r.ratio) * 100) / 100;
  const row = { name: c.name, us: us(r.subject.opsPerSec), baselineUs: us(r.ref.opsPerSec), timeRatio };
  log(`${c.name}: ${row.us} µs, ×${timeRatio} the plain body (${row.baselineUs} µs in the same rounds)`);
  return row;
});
const worst = rows.reduce((a, b) => (b.timeRatio > a.timeRatio ? b : a));
log(`worst: ${worst.name} ×${worst.timeRatio} (target ≤ 2)`);
process.stdout.write(`${JSON.stringify({ sizeBytes: SIZE, plain, baseline: baseline.name, rows, worst }, null, 1)}\n`);
