/** Seed rules that need a feature of their own: user rights under ICF, one static port per LAN. */
import { describe, expect, it } from 'vitest';
import { check, playByName, stepTexts } from './helpers.js';

const ICF = `
name: icf
routers:
  icf: { wan: 203.0.113.30, lan: 198.18.0.0/24, nat: none, firewall: { inbound: deny }, services: { upnp: true } }
hosts:
  admin: { router: icf, address: 198.18.0.10, app: windows-messenger }
  guest: { router: icf, address: 198.18.0.11, app: windows-messenger, admin: false }
  bob: { address: 198.51.100.20, app: windows-messenger }
servers:
  messenger: { address: 198.51.100.5, role: signalling }
checks:
  - { name: admin calls, from: admin, to: bob, feature: av, expect: works }
  - { name: guest calls, from: guest, to: bob, feature: av, expect: fails }
`;

const ONE_STATIC_PORT = `
name: one static port
routers:
  home:
    wan: 203.0.113.50
    lan: 192.168.0.0/24
    forwards: [{ protocol: tcp, external: 2000-2002, internal: 192.168.0.100 }]
hosts:
  pc: { router: home, address: 192.168.0.100, app: ispq-7 }
  pc2: { router: home, address: 192.168.0.101, app: ispq-7 }
  pal: { address: 198.51.100.70, app: ispq-7 }
servers:
  ispq: { address: 198.51.100.5, role: signalling }
checks:
  - { name: to pc, from: pal, to: pc, feature: video-chat, expect: works }
  - { name: to pc2, from: pal, to: pc2, feature: video-chat, expect: fails }
`;

describe('Windows XP ICF: opening the firewall over UPnP needs administrative rights (seed 004)', () => {
  it("an administrator's call works; a user without rights cannot open the firewall and the call fails there", () => {
    const r = playByName(ICF);
    expect(check(r, 'admin calls').result).toBe('works');
    const guest = check(r, 'guest calls');
    expect(guest.result).toBe('fails');
    expect(guest.failedAt).toBe('icf');
    expect(guest.reason).toContain('the firewall of icf denied inbound UDP to 198.18.0.11:');
    expect(stepTexts(guest).some((t) => t.includes('guest: UPnP AddPortMapping on icf is refused (606 Action not authorized)'))).toBe(true);
  });
});

describe('a static forward serves one LAN host only (seed 004 on TCP 1503, seed 002 on TCP 2000-2002)', () => {
  it('reaches the host it names and says where the port leads for any other', () => {
    const r = playByName(ONE_STATIC_PORT);
    expect(check(r, 'to pc').result).toBe('works');
    const other = check(r, 'to pc2');
    expect(other.result).toBe('fails');
    expect(other.reason).toBe(
      'video control (TCP 2000): pal → 203.0.113.50:2000: 203.0.113.50:2000 leads to pc (192.168.0.100:2000), not to pc2',
    );
  });
});
