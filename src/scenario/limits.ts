/** Limits on scenario files (kept import-free: the CLI reads them at start-up). */

/** Scenario files larger than this are refused before parsing (4 MiB). */
export const DEFAULT_MAX_SCENARIO_BYTES = 4 * 1024 * 1024;
/** Deepest nesting of mappings and lists accepted (scenario files need about 6). */
export const MAX_SCENARIO_DEPTH = 64;
/** Alias expansions accepted (yaml's `maxAliasCount`): stops "billion laughs" documents. */
export const MAX_SCENARIO_ALIASES = 100;
