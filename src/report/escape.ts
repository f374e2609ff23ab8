/**
 * Text made safe for HTML and SVG: every scenario string (names, descriptions, ids) is user
 * input and reaches the report only through {@link escapeText}.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` with `& < > " '` as entities, fit for element content and quoted attribute values alike. */
export function escapeText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
