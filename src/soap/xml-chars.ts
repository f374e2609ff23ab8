/** Character codes and classes shared by the request path's XML scanners (xml-check.ts, soap-scanner.ts). */
export const LT = 60;
export const GT = 62;
export const SLASH = 47;
export const BANG = 33;
export const QUESTION = 63;
export const EQ = 61;
export const DQ = 34;
export const SQ = 39;
export const COLON = 58;

/** XML white space (XML 1.0 §2.3 `S`): space, tab, LF, CR. */
export const isWs = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;
