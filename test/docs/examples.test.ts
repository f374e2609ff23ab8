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
  });
});
