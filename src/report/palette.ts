/**
 * Colours of the report: the Okabe–Ito palette (distinguishable with the common colour-vision
 * deficiencies), in darkened variants where they carry text on the light background. Colour is
 * never the only cue: every kind of node has its own shape and every arrow its own head and label.
 */
export const COLOUR = {
  ink: '#111111',
  muted: '#3d3d3d',
  paper: '#ffffff',
  grid: '#8a8a8a',
  /** Routers: orange. */
  router: { fill: '#fde8c4', stroke: '#9a5b00' },
  /** Hosts: blue. */
  host: { fill: '#d9eaf7', stroke: '#005a8c' },
  /** Servers: bluish green. */
  server: { fill: '#d3efe4', stroke: '#006b4f' },
  internet: { fill: '#ececec', stroke: '#444444' },
  /** Packet arrows by what the receiving hop did. */
  forward: '#444444',
  translate: '#0072b2',
  hairpin: '#a0527f',
  deliver: '#00785a',
  drop: '#c0392b',
  pass: '#00785a',
  fail: '#c0392b',
  note: { fill: '#fff7d6', stroke: '#8a6d00' },
} as const;
