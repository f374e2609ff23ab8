/** src/cli/line-batcher.ts: lines of one turn in one write, in order; flush now; bounded queue. */
import { describe, expect, it } from 'vitest';
import { FLUSH_AT, lineBatcher } from '../../src/cli/line-batcher.js';

describe('line batcher', () => {
  it('writes the lines queued in one turn once, in order, on the scheduled flush', () => {
    const writes: string[] = [];
    const scheduled: Array<() => void> = [];
    const out = lineBatcher((t) => writes.push(t), { schedule: (fn) => scheduled.push(fn), onExit: false });
    out.line('a');
    out.line('b');
    out.line('c');
    expect(writes).toEqual([]);
    expect(scheduled).toHaveLength(1); // one deferred flush per turn, not one per line
    scheduled[0]!();
    expect(writes).toEqual(['a\nb\nc\n']);
    out.line('d');
    expect(scheduled).toHaveLength(2);
    out.flush(); // e.g. the ready line: out at once
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
    scheduled[1]!(); // nothing left: no empty write
    expect(writes).toHaveLength(2);
  });

  it('writes at once when the queue reaches FLUSH_AT characters', () => {
    const writes: string[] = [];
    const out = lineBatcher((t) => writes.push(t), { schedule: () => {}, onExit: false });
    const line = 'x'.repeat(1023);
    for (let k = 0; k < FLUSH_AT / 1024; k++) out.line(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(FLUSH_AT);
  });

  it('on the real event loop: lines arrive on the next turn', async () => {
    const writes: string[] = [];
    const out = lineBatcher((t) => writes.push(t), { onExit: false });
    out.line('one');
    out.line('two');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['one\ntwo\n']);
  });
});
