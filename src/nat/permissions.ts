/**
 * miniupnpd permission rules (miniupnpd.conf `allow|deny ext-range ip/mask int-range`): the first
 * rule matching the external port, internal address and internal port decides; no match accepts.
 */
import { AddressError, parseIPv4 } from './address.js';

/** One parsed rule. */
export interface PermissionRule {
  readonly allow: boolean;
  readonly extMin: number;
  readonly extMax: number;
  /** Network address (already masked) and mask, as unsigned 32-bit numbers. */
  readonly addr: number;
  readonly mask: number;
  readonly intMin: number;
  readonly intMax: number;
  /** The rule as written. */
  readonly text: string;
}

function portRange(token: string, rule: string): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(token);
  if (!m) throw new AddressError(`permission rule "${rule}": bad port range "${token}"`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535) throw new AddressError(`permission rule "${rule}": port above 65535 in "${token}"`);
  return [lo, hi];
}

/** Parses one rule, e.g. `allow 1024-65535 192.168.1.0/24 1024-65535`; throws on bad syntax. */
export function parsePermissionRule(text: string): PermissionRule {
  const tokens = text.trim().split(/\s+/);
  if (tokens.length !== 4) throw new AddressError(`permission rule "${text}": expected "allow|deny ext-ports ip[/mask] int-ports"`);
  const [verb, ext, net, int] = tokens as [string, string, string, string];
  if (verb !== 'allow' && verb !== 'deny') throw new AddressError(`permission rule "${text}": must start with allow or deny`);
  const [extMin, extMax] = portRange(ext, text);
  const [intMin, intMax] = portRange(int, text);
  const slash = net.indexOf('/');
  const ipText = slash < 0 ? net : net.slice(0, slash);
  const ip = parseIPv4(ipText);
  let mask = 0xffffffff;
  if (slash >= 0) {
    const m = net.slice(slash + 1);
    if (/^\d{1,2}$/.test(m) && Number(m) <= 32) {
      const bits = Number(m);
      mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    } else {
      mask = parseIPv4(m);
    }
  }
  return { allow: verb === 'allow', extMin, extMax, addr: (ip & mask) >>> 0, mask, intMin, intMax, text };
}

/** Parses a rule list; throws on the first bad rule. */
export function parsePermissionRules(rules: readonly string[]): PermissionRule[] {
  return rules.map(parsePermissionRule);
}

/** True when the rule covers this mapping. */
export function ruleMatches(r: PermissionRule, externalPort: number, internalIp: number, internalPort: number): boolean {
  return (
    externalPort >= r.extMin &&
    externalPort <= r.extMax &&
    internalPort >= r.intMin &&
    internalPort <= r.intMax &&
    (internalIp & r.mask) >>> 0 === r.addr
  );
}

/** The first matching rule, or undefined (then the mapping is allowed). */
export function matchingRule(
  rules: readonly PermissionRule[],
  externalPort: number,
  internalIp: number,
  internalPort: number,
): PermissionRule | undefined {
  return rules.find((r) => ruleMatches(r, externalPort, internalIp, internalPort));
}

/**
 * The rules of miniupnpd's shipped miniupnpd.conf, for a router's LAN: LAN clients may map
 * external ports 1024–65535 to internal ports 1024–65535; everything else is denied.
 */
export function defaultPermissionRules(lan: string): string[] {
  return [`allow 1024-65535 ${lan} 1024-65535`, 'deny 0-65535 0.0.0.0/0 0-65535'];
}

/** A rule file could not be read: the line and what is wrong with it. */
export class PermissionFileError extends AddressError {
  readonly code = 'bad-permission-file';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * The permission rules of a miniupnpd.conf text: every `allow`/`deny` line, in order. Comments,
 * blank lines and `option=value` lines are skipped, so miniupnpd's own file can be given as is;
 * any other line is an error naming its line number.
 */
export function parsePermissionFile(text: string): string[] {
  const rules: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '' || /^[A-Za-z_][\w-]*\s*=/.test(line)) return;
    try {
      parsePermissionRule(line);
    } catch (e) {
      throw new PermissionFileError(i + 1, (e as Error).message);
    }
    rules.push(line);
  });
  return rules;
}

/** May `internalIp:internalPort` be mapped on `externalPort`? */
export function isPermitted(rules: readonly PermissionRule[], externalPort: number, internalIp: number, internalPort: number): boolean {
  return matchingRule(rules, externalPort, internalIp, internalPort)?.allow ?? true;
}
