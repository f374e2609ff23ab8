/**
 * XML text decoding shared by the SOAP scanner and the fast-xml-parser path: the five predefined
 * entities and numeric character references, nothing else (no entity expansion). A hand-written
 * forward scan (a regex with a callback per reference cost ~0.15 µs each: 13,000 `&amp;` in a
 * 64 KiB body took 2 ms); the result is the same as
 * `text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, …)`.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** A code point XML allows in text (XML 1.0 §2.2). */
const allowed = (cp: number): boolean =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

/** Where {@link replacement} found the reference to end (after `;`). */
let refEnd = 0;

/** `text` at `at` is `word` (ASCII, compared in place). */
function at(text: string, i: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (text.charCodeAt(i + k) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * The replacement of the reference starting at `amp` (`&…;`), its end in {@link refEnd}; undefined
 * when the text there is not a reference of the three forms, or names an entity other than the
 * five (both are left as they are). Compared in place: no slice, no object per reference.
 */
function replacement(text: string, amp: number): string | undefined {
  let j = amp + 1;
  if (text.charCodeAt(j) === 35) {
    // #x hex{1,6} ; | # digits{1,7} ;
    j++;
    const hex = text.charCodeAt(j) === 120;
    if (hex) j++;
    const start = j;
    const max = hex ? 6 : 7;
    let cp = 0;
    for (; j - start < max; j++) {
      const c = text.charCodeAt(j);
      if (isDigit(c)) cp = cp * (hex ? 16 : 10) + c - 48;
      else if (hex && isHex(c)) cp = cp * 16 + (c | 32) - 87;
      else break;
    }
    if (j === start || text.charCodeAt(j) !== 59) return undefined;
    refEnd = j + 1;
    return allowed(cp) ? String.fromCodePoint(cp) : undefined;
  }
  const start = j;
  while (isLetter(text.charCodeAt(j))) j++;
  if (j === start || text.charCodeAt(j) !== 59) return undefined;
  refEnd = j + 1;
  const len = j - start;
  const c = text.charCodeAt(start);
  if (len === 2 && text.charCodeAt(start + 1) === 116) return c === 108 ? '<' : c === 103 ? '>' : undefined; // lt, gt
  if (len === 3 && at(text, start, 'amp')) return '&';
  if (len === 4) return at(text, start, 'quot') ? '"' : at(text, start, 'apos') ? "'" : undefined;
  return undefined;
}

/** Decodes the five predefined entities and numeric character references; leaves others as text. */
export function decodeXmlText(text: string): string {
  let amp = text.indexOf('&');
  if (amp < 0) return text;
  let out = '';
  let last = 0;
  const n = text.length;
  while (amp >= 0) {
    const c = text.charCodeAt(amp + 1);
    let next = amp + 1;
    if (c === 35 || isLetter(c)) {
      const value = replacement(text, amp);
      if (value !== undefined) {
        out += last === amp ? value : text.slice(last, amp) + value;
        last = next = refEnd;
      }
    }
    // The next `&`: often right here (`&&&…`, `&amp;&amp;…`), so look before calling the search.
    amp = next < n && text.charCodeAt(next) === 38 ? next : text.indexOf('&', next);
  }
  return last === 0 ? text : out + text.slice(last);
}
