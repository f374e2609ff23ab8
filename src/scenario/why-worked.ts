/**
 * Why a check worked, read from the packets that got through: for each flow, what let the opening
 * packets into the receiver's LAN (the mapping of the receiver's own packets, a UPnP / NAT-PMP /
 * PCP mapping, a forward an ALG opened, a static forward, a firewall rule, a reply the firewall
 * tracked, a 1:1 entry, a hairpin, one LAN), which ALG rewrote the addresses a payload carried,
 * and how the receiver learnt the address it advertised when that was not just its own. Only the
 * hops' structured fields are read (`Hop.admission`, payloads before and after), never sentences.
 */
import type { Delivery, Network } from '../nat/network.js';
import type { Hop } from '../nat/trace.js';
import type { ScenarioConfig } from './schema.js';

/** One packet of a flow that reached the host it was meant for. */
export interface FlowPacket {
  readonly delivery: Delivery;
  /** The sending host's id. */
  readonly from: string;
  /** An answer to the other side's packet (a SYN-ACK, a SIP reply): it comes back the way that one went. */
  readonly reply: boolean;
}

/** The evidence of one flow that got through. */
export interface FlowEvidence {
  readonly label: string;
  readonly packets: readonly FlowPacket[];
  /** The payload the flow's signalling carries (an ALG may rewrite it). */
  readonly carries?: 'sdp' | 'h245';
  /**
   * How a receiver learnt the address it advertised, when that made a difference (the same
   * gateway detected, a reflector's or the server's view, a proxy): whole clauses, in order.
   */
  readonly learnt?: readonly string[];
}

/** What the facts need to know about the network beyond the packets. */
export interface WhyContext {
  /** The ALGs of `router` that handle `before` (empty when none is known). */
  algs(router: string, before: Hop['before']): readonly string[];
  /** The router whose LAN `host` is on (undefined: the Internet). */
  lanOf(host: string): string | undefined;
  /** The host, server or router (by its WAN address) that has `address`, if any. */
  nameOf(address: string): string | undefined;
}

/** What let one packet in at one hop, as a phrase (`entered home by alice's UPnP mapping`), or undefined. */
function entry(h: Hop, to: string, reply: boolean, ctx: WhyContext | undefined): string | undefined {
  if (h.action === 'hairpin') return `was hairpinned at ${h.node}`;
  const a = h.admission;
  if (!a) return undefined;
  // A mapping at an outer router may belong to the router below, which asked for it on `to`'s behalf.
  const owner = (a.internal !== undefined && ctx?.nameOf(a.internal)) || to;
  switch (a.by) {
    case 'forward':
      switch (a.origin) {
        case 'upnp':
          return `entered ${h.node} by ${owner}'s UPnP mapping`;
        case 'natpmp':
          return `entered ${h.node} by ${owner}'s NAT-PMP mapping`;
        case 'pcp':
          return `entered ${h.node} by ${owner}'s PCP mapping`;
        case 'alg':
          return `entered ${h.node} by the forward its ALG opened from the addresses it rewrote`;
        case 'pinhole':
          return `entered ${h.node} by the pinhole ${owner} opened in its firewall`;
        default:
          return `entered ${h.node} by its static port forward${a.description ? ` "${a.description}"` : ''}`;
      }
    case 'one-to-one':
      return `entered ${h.node} by its 1:1 NAT entry`;
    case 'excluded':
      return `passed ${h.node} untranslated (the source is excluded from translation)`;
    case 'mapping':
      return reply ? undefined : `entered ${h.node} by the mapping ${to}'s own packets had made`;
    case 'routed':
      if (a.firewall === 'rule') return `was admitted by ${h.node}'s firewall rule "${a.rule}"`;
      if (a.firewall === 'default') return `passed ${h.node}'s firewall, which admits all inbound traffic`;
      if (a.firewall === 'state' && !reply) return `was admitted by ${h.node}'s firewall as a reply to ${to}'s own packets`;
      return undefined;
  }
}

/** `home-a's sip ALG rewrote the addresses in alice's SDP`, for each hop that changed a payload. */
function rewrites(p: FlowPacket, ctx: WhyContext, carries: FlowEvidence['carries']): string[] {
  const out: string[] = [];
  const what = carries === 'sdp' ? 'SDP' : carries === 'h245' ? 'H.245' : 'payload';
  for (const h of p.delivery.hops) {
    if (!h.after || h.after.payload === h.before.payload || h.before.payload === undefined) continue;
    const names = ctx.algs(h.node, h.before);
    out.push(`${h.node}'s ${names.length ? `${names.join('/')} ` : ''}ALG rewrote the addresses in ${p.from}'s ${what}`);
  }
  return out;
}

/** What made one packet get there: its entries, or how it went when nothing let it in (replies: nothing). */
function packetFacts(p: FlowPacket, ctx: WhyContext): string[] {
  const d = p.delivery;
  const to = d.to ?? '';
  const entries = d.hops.map((h) => entry(h, to, p.reply, ctx)).filter((x): x is string => x !== undefined);
  if (entries.length > 0) return [`${p.from} → ${to} ${entries.join(', then ')}`];
  if (p.reply) return [];
  const last = d.hops.at(-1);
  if (last?.code === 'same-lan') {
    const lan = ctx.lanOf(to);
    return [
      lan === undefined
        ? `${p.from} → ${to} went straight across the Internet, no NAT or firewall on the way`
        : `${p.from} → ${to} stayed on ${lan}'s LAN, no router between them`,
    ];
  }
  const out = [...new Set(d.hops.filter((h) => h.action === 'translate' && h.node !== to).map((h) => h.node))];
  if (out.length > 0) return [`${p.from} → ${to} left through ${out.join(' and ')} and reached ${to} directly`];
  return [`${p.from} → ${to} was routed without translation`];
}

/**
 * The facts of one flow, in order, each once: what the receivers learnt, every payload rewrite,
 * and for each direction the first packet that opened it (later packets of a direction ride on
 * what the first one found: a connection's ACK on the state its SYN made).
 */
export function flowFacts(flow: FlowEvidence, ctx: WhyContext): string[] {
  const facts: string[] = [...(flow.learnt ?? [])];
  const opened = new Set<string>();
  for (const p of flow.packets) {
    facts.push(...rewrites(p, ctx, flow.carries));
    const direction = `${p.from}>${p.delivery.to}`;
    if (p.reply || opened.has(direction)) continue;
    opened.add(direction);
    facts.push(...packetFacts(p, ctx));
  }
  return bothWays([...new Set(facts)]);
}

/** `a → b went …` and `b → a went …` with the same rest become one `a ↔ b went …`. */
function bothWays(facts: string[]): string[] {
  const out: string[] = [];
  const merged = new Set<string>();
  for (const f of facts) {
    if (merged.has(f)) continue;
    const m = /^(\S+) → (\S+) (.*)$/.exec(f);
    const back = m ? `${m[2]} → ${m[1]} ${m[3]}` : undefined;
    if (m && back !== f && facts.includes(back!) && !names(m[3]!, m[1]!, m[2]!)) {
      merged.add(back!);
      out.push(`${m[1]} ↔ ${m[2]} ${m[3]}`);
    } else out.push(f);
  }
  return out;
}

/**
 * Why every flow of a feature got through: `label: facts; label and label: facts` (flows with the
 * same facts share one clause). Empty when there is no flow.
 */
export function whyFlowsWorked(flows: readonly FlowEvidence[], ctx: WhyContext): string {
  const groups = new Map<string, string[]>();
  for (const f of flows) {
    const text = flowFacts(f, ctx).join('; ');
    const labels = groups.get(text);
    if (labels) labels.push(f.label);
    else groups.set(text, [f.label]);
  }
  return [...groups]
    .map(([text, labels]) => `${labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}` : labels[0]}: ${text}`)
    .join('; ');
}

/** What let one delivered packet in (`entered home by pc's UPnP mapping`), for single-packet checks; empty when nothing did. */
export function entryText(d: Delivery, reply = false, ctx?: WhyContext): string {
  const to = d.to ?? '';
  return d.hops
    .map((h) => entry(h, to, reply, ctx))
    .filter((x): x is string => x !== undefined)
    .join(', then ');
}

/** Whether `text` names host `a` or `b` (as a word, or `a's`): such a fact is not the same both ways. */
function names(text: string, a: string, b: string): boolean {
  return text.split(/[\s,;()"]+/).some((w) => w === a || w === b || w === `${a}'s` || w === `${b}'s`);
}

/** The {@link WhyContext} of a scenario's network: its routers' ALGs, which LAN each host is on, who has an address. */
export function whyContext(config: ScenarioConfig, net: Network): WhyContext {
  return {
    algs: (node, before) =>
      net.hasRouter(node)
        ? net
            .router(node)
            .algs.filter((a) => a.matches(before))
            .map((a) => a.name)
        : [],
    lanOf: (h) => config.hosts[h]?.router ?? config.servers[h]?.router,
    nameOf: (address) => nameOfAddress(config, address),
  };
}

/** The host, server or router (by one of its WAN addresses) of `config` that has `address`. */
function nameOfAddress(config: ScenarioConfig, address: string): string | undefined {
  for (const [id, h] of Object.entries(config.hosts)) if (h.address === address) return id;
  for (const [id, s] of Object.entries(config.servers)) if (s.address === address) return id;
  for (const [id, r] of Object.entries(config.routers)) if ((Array.isArray(r.wan) ? r.wan : [r.wan]).includes(address)) return id;
  return undefined;
}
