/**
 * A played check as rows of a sequence diagram: what an endpoint did or learnt (a note on its
 * lane), each packet (a caption), and every hop of it (an arrow from the lane that sent it to
 * the lane of the hop, with what the hop did; a drop names the node, its reason code and sentence).
 */
import { describePacket } from '../nat/packet.js';
import type { HopAction } from '../nat/trace.js';
import type { ScenarioConfig } from '../scenario/schema.js';
import type { CheckResult } from '../scenario/simulate.js';
import { type Lane, laneName, orderLanes } from './lanes.js';

/** One row of the diagram; lanes are indices into {@link SequenceModel.lanes}. */
export type SequenceRow =
  | { readonly type: 'note'; readonly step: number; readonly lane: number; readonly text: string }
  | { readonly type: 'packet'; readonly step: number; readonly lane: number; readonly text: string }
  | {
      readonly type: 'hop';
      readonly step: number;
      readonly from: number;
      readonly to: number;
      readonly node: string;
      readonly action: HopAction;
      readonly code: string;
      /** The packet as the hop received it. */
      readonly packet: string;
      /** The packet as the hop sent it on, when it translated it. */
      readonly after?: string;
      readonly message: string;
    };

export interface SequenceModel {
  readonly lanes: readonly Lane[];
  readonly rows: readonly SequenceRow[];
}

/** Every participant of `check` in order of first appearance. */
function participants(check: CheckResult): string[] {
  const seen: string[] = [check.from];
  const add = (id: string): void => {
    if (!seen.includes(id)) seen.push(id);
  };
  for (const s of check.steps) {
    add(s.from ?? s.actor);
    for (const h of s.delivery?.hops ?? []) add(laneName(h.node));
  }
  return seen;
}

/** The lanes and rows of `check`'s diagram. */
export function sequenceModel(config: ScenarioConfig, check: CheckResult): SequenceModel {
  const lanes = orderLanes(config, participants(check), check.from);
  const index = new Map(lanes.map((l, i) => [l.id, i]));
  const at = (id: string): number => index.get(id)!;
  const rows: SequenceRow[] = [];
  check.steps.forEach((s, i) => {
    const step = i + 1;
    if (!s.delivery) {
      rows.push({ type: 'note', step, lane: at(s.actor), text: s.text });
      return;
    }
    let prev = s.from ?? s.actor;
    rows.push({ type: 'packet', step, lane: at(prev), text: s.text });
    for (const h of s.delivery.hops) {
      const node = laneName(h.node);
      const translated = (h.action === 'translate' || h.action === 'hairpin') && h.after;
      rows.push({
        type: 'hop',
        step,
        from: at(prev),
        to: at(node),
        node,
        action: h.action,
        code: h.code,
        packet: describePacket(h.before),
        ...(translated ? { after: describePacket(h.after!) } : {}),
        message: h.message,
      });
      prev = node;
    }
  });
  return { lanes, rows };
}
