import { describe, expect, it } from 'vitest';
import { resolveListen, resolveListenWhenUp } from '../../src/gateway/start-gateway.js';

describe('the listen address', () => {
  it('loopback resolves at once (its LAN comes from the scenario)', async () => {
    await expect(resolveListenWhenUp('127.0.0.1', 0)).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  it('an address no running interface has is refused after the wait, not served with a guessed LAN', async () => {
    await expect(resolveListenWhenUp('192.0.2.55', 200)).rejects.toMatchObject({
      code: 'ERR_NATSIM_NO_INTERFACE',
      option: 'listen',
      message: 'option "listen": no running network interface has the address 192.0.2.55',
    });
  });

  it('an unknown interface name is refused with the names that exist', () => {
    expect(() => resolveListen('no-such-iface0')).toThrow(
      /^option "listen": no interface "no-such-iface0" with an IPv4 address \(have: .*lo/,
    );
  });
});
