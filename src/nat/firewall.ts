/**
 * A stateful firewall usable with or without NAT: default policy per direction, ordered
 * allow/deny rules (first match wins), and return traffic of allowed outbound flows.
 *
 * Rules see packets from the inside: inbound packets after destination translation, outbound
 * packets before source translation.
 */
import { formatPrefix, type IPv4, inPrefix, type Prefix, type Protocol } from './address.js';
import type { Packet } from './packet.js';
import { type Expiring, TimerHeap } from './timer-heap.js';

export type Direction = 'in' | 'out';
export type Verdict = 'allow' | 'deny';

/** A port range, inclusive. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** One firewall rule. Absent fields match anything. */
export interface FirewallRule {
  readonly action: Verdict;
  readonly direction: Direction | 'both';
  readonly protocol?: Protocol | 'any';
  readonly src?: Prefix;
  readonly dst?: Prefix;
  readonly srcPorts?: PortRange;
  readonly dstPorts?: PortRange;
  /** Shown in traces, e.g. "allow NetMeeting TCP 1720". */
  readonly name?: string;
}

export interface FirewallConfig {
  readonly defaultInbound: Verdict;
  readonly defaultOutbound: Verdict;
  readonly rules: readonly FirewallRule[];
  /** Admit return traffic of allowed outbound flows (default true). */
  readonly stateful?: boolean;
  /** Idle timeout of tracked flows, seconds (default: UDP 300, TCP 7440). */
  readonly flowTimeouts?: { udp?: number; tcp?: number };
}

/** The outcome of a firewall check. */
export type FirewallDecision =
  | { readonly allowed: true; readonly by: 'rule' | 'default' | 'established'; readonly rule?: FirewallRule; readonly index?: number }
  | { readonly allowed: false; readonly by: 'rule' | 'default'; readonly rule?: FirewallRule; readonly index?: number };

interface Flow extends Expiring {
  readonly key: string;
}

const flowKey = (proto: Protocol, inIp: IPv4, inPort: number, remIp: IPv4, remPort: number): string =>
  `${proto}|${inIp}|${inPort}|${remIp}|${remPort}`;

export class Firewall {
  readonly #flows = new Map<string, Flow>();
  readonly #heap = new TimerHeap<Flow>();

  constructor(readonly config: FirewallConfig) {}

  /** Checks a packet; allowed outbound packets are tracked so that replies get back in. */
  check(direction: Direction, p: Packet, now: number): FirewallDecision {
    this.#heap.expire(now, (f) => this.#flows.delete(f.key));
    const stateful = this.config.stateful ?? true;
    if (direction === 'in' && stateful) {
      const f = this.#flows.get(flowKey(p.proto, p.dst.ip, p.dst.port, p.src.ip, p.src.port));
      if (f && f.expiresAt > now) {
        this.#touch(f, p.proto, now);
        return { allowed: true, by: 'established' };
      }
    }
    const rules = this.config.rules;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!matches(r, direction, p)) continue;
      if (r.action === 'allow') {
        if (direction === 'out' && stateful) this.track(p, now);
        return { allowed: true, by: 'rule', rule: r, index: i };
      }
      return { allowed: false, by: 'rule', rule: r, index: i };
    }
    const def = direction === 'in' ? this.config.defaultInbound : this.config.defaultOutbound;
    if (def === 'allow') {
      if (direction === 'out' && stateful) this.track(p, now);
      return { allowed: true, by: 'default' };
    }
    return { allowed: false, by: 'default' };
  }

  /** Records an outbound flow (inside view) so its replies are admitted. */
  track(p: Packet, now: number): void {
    const key = flowKey(p.proto, p.src.ip, p.src.port, p.dst.ip, p.dst.port);
    let f = this.#flows.get(key);
    if (!f) {
      f = { key, expiresAt: 0, queuedAt: -1 };
      this.#flows.set(key, f);
    }
    this.#touch(f, p.proto, now);
  }

  /** Forgets every tracked flow (the router restarted). */
  reset(): void {
    for (const f of this.#flows.values()) this.#heap.cancel(f);
    this.#flows.clear();
  }

  /** Number of tracked flows. */
  get flowCount(): number {
    return this.#flows.size;
  }

  #touch(f: Flow, proto: Protocol, now: number): void {
    const t = this.config.flowTimeouts;
    const secs = proto === 'tcp' ? (t?.tcp ?? 7440) : (t?.udp ?? 300);
    f.expiresAt = now + secs * 1000;
    this.#heap.schedule(f);
  }
}

function inRange(port: number, r: PortRange | undefined): boolean {
  return r === undefined || (port >= r.from && port <= r.to);
}

function matches(r: FirewallRule, direction: Direction, p: Packet): boolean {
  if (r.direction !== 'both' && r.direction !== direction) return false;
  if (r.protocol !== undefined && r.protocol !== 'any' && r.protocol !== p.proto) return false;
  if (r.src && !inPrefix(p.src.ip, r.src)) return false;
  if (r.dst && !inPrefix(p.dst.ip, r.dst)) return false;
  return inRange(p.src.port, r.srcPorts) && inRange(p.dst.port, r.dstPorts);
}

/** `allow in tcp dst 192.168.1.0/24 ports 1503` — a rule as one line of text. */
export function describeRule(r: FirewallRule): string {
  if (r.name) return r.name;
  const parts: string[] = [r.action, r.direction === 'both' ? 'in/out' : r.direction, r.protocol ?? 'any'];
  if (r.src) parts.push(`from ${formatPrefix(r.src)}`);
  if (r.srcPorts) parts.push(`sport ${portText(r.srcPorts)}`);
  if (r.dst) parts.push(`to ${formatPrefix(r.dst)}`);
  if (r.dstPorts) parts.push(`dport ${portText(r.dstPorts)}`);
  return parts.join(' ');
}

function portText(r: PortRange): string {
  return r.from === r.to ? String(r.from) : `${r.from}-${r.to}`;
}
