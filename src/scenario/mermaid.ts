/**
 * Mermaid sequence diagrams of played checks: one check, or every check of a scenario in one
 * document (one `sequenceDiagram`, each check in its own shaded block headed by a note), and a
 * Markdown page with one fenced diagram per check. Every output is one valid Mermaid document
 * (proven by the real mermaid parser in test/scenario/mermaid.test.ts).
 */
import { describePacket } from '../nat/packet.js';
import { checkResultArgument, scenarioResultArgument } from './argument.js';
import type { CheckResult, ScenarioResult } from './simulate.js';

const VERDICT: Record<string, string> = { works: 'WORKS', fails: 'FAILS', relayed: 'RELAYED' };

/** Words the sequence-diagram grammar reserves; an id equal to one gets a prefix. */
const RESERVED = new Set([
  'participant',
  'actor',
  'as',
  'note',
  'over',
  'left',
  'right',
  'of',
  'loop',
  'alt',
  'else',
  'opt',
  'par',
  'and',
  'rect',
  'critical',
  'option',
  'break',
  'end',
  'box',
  'activate',
  'deactivate',
  'autonumber',
  'title',
  'create',
  'destroy',
  'links',
  'link',
  'properties',
  'details',
]);

/** A Mermaid-safe participant id for a node name. */
export function mermaidId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9_]/g, '_');
  return RESERVED.has(id.toLowerCase()) || /^[0-9]/.test(id) || id === '' ? `n_${id}` : id;
}

/** Message and note text: no statement separators, entity starts, comments or line breaks. */
export function mermaidText(text: string): string {
  return text
    .replace(/[;#]/g, ',')
    .replace(/%%/g, '%')
    .replace(/[\r\n]+/g, ' ');
}

/** Participants in order of appearance, shared by every check of a document. */
class Participants {
  readonly names: string[] = [];
  add(name: string): string {
    if (!this.names.includes(name)) this.names.push(name);
    return mermaidId(name);
  }
  head(): string[] {
    return this.names.map((p) => `  participant ${mermaidId(p)} as ${mermaidText(p)}`);
  }
}

/** The message and note lines of one check; `used` gets each participant it touches. */
function checkBody(check: CheckResult, participants: Participants, used: Set<string>, indent: string): string[] {
  const add = (p: string): string => {
    used.add(p);
    return participants.add(p);
  };
  const body: string[] = [];
  for (const s of check.steps) {
    if (!s.delivery) {
      body.push(`${indent}Note over ${add(s.actor)}: ${mermaidText(s.text)}`);
      continue;
    }
    let prev = s.from ?? s.actor;
    add(prev);
    for (const h of s.delivery.hops) {
      const node = h.node.startsWith('router:') ? h.node.slice(7) : h.node;
      if (node === prev && h.action !== 'drop') continue; // a hop at the sender itself
      const label = mermaidText(`${describePacket(h.before)}${h.action === 'drop' ? ` ✗ ${h.code}` : ''}`);
      body.push(`${indent}${add(prev)}${h.action === 'drop' ? '-x' : '->>'}${add(node)}: ${label}`);
      if ((h.action === 'translate' || h.action === 'hairpin') && h.after) {
        body.push(`${indent}Note right of ${add(node)}: ${mermaidText(`${h.code}: now ${describePacket(h.after)}`)}`);
      }
      if (h.action === 'drop') body.push(`${indent}Note right of ${add(node)}: ${mermaidText(h.message)}`);
      prev = node;
    }
  }
  return body;
}

/** A Mermaid sequence diagram of every packet of one check. */
export function explainMermaid(check: CheckResult): string {
  checkResultArgument(check, 'explainMermaid');
  const participants = new Participants();
  const body = checkBody(check, participants, new Set(), '  ');
  return ['sequenceDiagram', ...participants.head(), ...body].join('\n');
}

/**
 * One Mermaid document for the checks of a run: a single check as {@link explainMermaid}, several
 * in one diagram, each in a shaded block headed by its name and verdict.
 */
export function explainMermaidDocument(result: ScenarioResult): string {
  scenarioResultArgument(result, 'explainMermaidDocument');
  if (result.checks.length === 1) return `%% ${mermaidText(result.checks[0]!.name)}\n${explainMermaid(result.checks[0]!)}`;
  const participants = new Participants();
  const blocks: string[] = [];
  for (const check of result.checks) {
    const used = new Set<string>();
    const body = checkBody(check, participants, used, '    ');
    if (used.size === 0) {
      participants.add(check.from);
      used.add(check.from);
    }
    const names = participants.names.filter((p) => used.has(p));
    const over = names.length > 1 ? `${mermaidId(names[0]!)},${mermaidId(names[names.length - 1]!)}` : mermaidId(names[0]!);
    const verdict = `${VERDICT[check.result]} (expected ${check.expect}${check.pass ? '' : ' — MISMATCH'})`;
    blocks.push('  rect rgba(127, 127, 127, 0.1)', `    Note over ${over}: ${mermaidText(`${check.name}: ${verdict}`)}`, ...body, '  end');
  }
  return [`%% ${mermaidText(result.scenario)}`, 'sequenceDiagram', ...participants.head(), ...blocks].join('\n');
}

/** A Markdown page: the scenario as a heading, then per check a heading, its verdict and reason, and a fenced Mermaid diagram. */
export function explainMarkdown(result: ScenarioResult): string {
  scenarioResultArgument(result, 'explainMarkdown');
  const out = [`# ${result.scenario}`, ''];
  for (const c of result.checks) {
    out.push(
      `## ${c.name}`,
      '',
      `${c.from} → ${c.to}, ${c.feature}: **${VERDICT[c.result]}** (expected ${c.expect}${c.pass ? ', as expected' : ' — MISMATCH'}). ${c.reason}`,
      '',
    );
    out.push('```mermaid', explainMermaid(c), '```', '');
  }
  return out.join('\n').trimEnd();
}
