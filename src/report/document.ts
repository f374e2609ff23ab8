/** The HTML page around a report's body: one file, its stylesheet inline, nothing fetched. */
import { escapeText } from './escape.js';
import { STYLESHEET } from './styles.js';

/** A complete HTML document with `body` (markup) under the heading `title` (plain text). */
export function htmlDocument(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeText(title)}</title>`,
    `<style>${STYLESHEET}</style>`,
    '</head>',
    '<body>',
    body,
    '<footer>Written by natsim: every verdict and every hop comes from packets played through its NAT model. This file is self-contained.</footer>',
    '</body>',
    '</html>',
  ].join('\n');
}
