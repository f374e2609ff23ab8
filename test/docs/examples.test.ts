import { describe, expect, it, vi } from 'vitest';

describe('README examples', () => {
  it('examples/model.ts runs and shows the carrier-NAT lesson', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const m = await import('../../examples/model.js');
    log.mockRestore();
    expect(m.reflexive).toMatch(/^203\.0\.113\.1:\d+$/);
    expect(m.dropCode).toBe('no-route');
    expect(m.mappingsLeft).toBe(0);
    expect(m.upnp.ok).toBe(true);
    expect(m.dropped).toEqual(['internet: no-route']);
  });
});

describe('README stays true', () => {
  it('shows the code of test/docs/readme-gateway.test.ts (imports aside)', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync('README.md', 'utf8');
    const body = readFileSync('test/docs/readme-gateway.test.ts', 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('import ') && !l.startsWith('//'))
      .map((l) => l.replace(/\s+\/\/.*$/, ''));
    const missing = body.filter((l) => !readme.includes(l));
    expect(missing).toEqual([]);
  });
});
