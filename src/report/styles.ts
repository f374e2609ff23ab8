/**
 * The report's one stylesheet, inlined: large type and strong contrast for a projector, a light
 * background, system fonts only (nothing is fetched), and print rules for a CI artifact.
 */
import { COLOUR } from './palette.js';

const SANS = "system-ui, 'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif";
const MONO = "'DejaVu Sans Mono', 'Cascadia Mono', Consolas, Menlo, monospace";

export const STYLESHEET = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1920px; padding: 24px 36px 64px; background: ${COLOUR.paper}; color: ${COLOUR.ink};
  font-family: ${SANS}; font-size: 20px; line-height: 1.45; }
h1 { font-size: 2.1em; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.7em; margin: 1.6em 0 0.3em; border-bottom: 4px solid ${COLOUR.ink}; padding-bottom: 0.15em; }
h3 { font-size: 1.3em; margin: 1.2em 0 0.4em; }
p { margin: 0.35em 0; max-width: 75em; }
code, .mono { font-family: ${MONO}; font-size: 0.95em; }
a { color: #004f7c; }
.meta { color: ${COLOUR.muted}; }
.totals { font-size: 1.2em; font-weight: 700; }
figure { margin: 0.6em 0 1.2em; overflow-x: auto; }
svg { max-width: 100%; height: auto; display: block; }
svg text { font-family: ${SANS}; fill: ${COLOUR.ink}; }
.node-title, .lane-title { font-weight: 700; text-anchor: middle; }
.node-kind, .lane-kind { text-anchor: middle; fill: ${COLOUR.muted}; font-style: italic; }
.node-fact { text-anchor: middle; font-family: ${MONO}; }
.segment-label { font-family: ${MONO}; font-weight: 700; fill: ${COLOUR.router.stroke}; paint-order: stroke; stroke: ${COLOUR.paper}; stroke-width: 5px; }
.lifeline { stroke: ${COLOUR.grid}; stroke-width: 1.5; stroke-dasharray: 6 6; }
.step-rule { stroke: #c8c8c8; stroke-width: 1; }
.step-number { font-weight: 700; text-anchor: middle; }
.packet-caption { font-weight: 700; }
.packet { font-family: ${MONO}; }
.packet.translated { fill: ${COLOUR.translate}; font-weight: 700; }
.note-text { fill: ${COLOUR.muted}; font-style: italic; }
.note-mark { font-weight: 700; text-anchor: middle; font-style: italic; }
.hop-label { text-anchor: middle; fill: ${COLOUR.muted}; paint-order: stroke; stroke: ${COLOUR.paper}; stroke-width: 6px; }
.drop-label { fill: ${COLOUR.drop}; font-weight: 700; }
.drop-band { fill: #fdebe8; }
.drop-title { fill: ${COLOUR.drop}; font-weight: 700; }
.drop-text { fill: ${COLOUR.ink}; font-weight: 700; }
table { border-collapse: collapse; margin: 0.5em 0 1em; width: 100%; }
th, td { border: 2px solid #555; padding: 0.35em 0.55em; vertical-align: top; text-align: left; }
th { background: #e8e8e8; }
td.why { font-size: 0.9em; }
.verdict { font-weight: 700; white-space: nowrap; padding: 0.05em 0.45em; border-radius: 4px; border: 2px solid; }
.verdict.pass { color: ${COLOUR.pass}; border-color: ${COLOUR.pass}; background: #e3f5ee; }
.verdict.fail { color: ${COLOUR.fail}; border-color: ${COLOUR.fail}; background: #fdebe8; }
.outcome { font-weight: 700; white-space: nowrap; }
details.check { border: 2px solid #888; border-radius: 6px; padding: 0.4em 0.8em; margin: 0.8em 0; }
details.check.mismatch { border-color: ${COLOUR.fail}; border-width: 4px; }
details.check > summary { cursor: pointer; font-size: 1.25em; font-weight: 700; }
.drop-summary { border-left: 8px solid ${COLOUR.drop}; background: #fdebe8; padding: 0.4em 0.7em; font-weight: 700; }
.legend-list { display: flex; flex-wrap: wrap; gap: 0.4em 1.6em; padding: 0; list-style: none; }
.legend-list svg { display: inline-block; vertical-align: middle; }
table.matrix-grid { width: auto; }
table.matrix-grid td.cell { font-weight: 700; white-space: nowrap; }
td.cell.direct { color: ${COLOUR.pass}; background: #e3f5ee; }
td.cell.relayed { color: ${COLOUR.ink}; background: #fff4d6; }
td.cell.fails { color: ${COLOUR.fail}; background: #fdebe8; }
footer { margin-top: 3em; color: ${COLOUR.muted}; font-size: 0.9em; }
@media print {
  body { font-size: 14px; max-width: none; padding: 0; }
  details.check { break-inside: avoid-page; }
}
`;
