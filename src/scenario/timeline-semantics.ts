/**
 * The semantic checks of a scenario's `timeline:`: every router, host and check it names exists,
 * a mapping is asked for by a host behind a router, a keepalive has an interval, and a timeline
 * check is one kind of check (a check, a reach probe or a resumed call).
 */
import { APPS, type AppProfile, PROBES } from './apps.js';
import { didYouMean } from './errors.js';
import type { HostSpec, RouterSpec, ServerSpec, TimelineEntry } from './schema.js';
import { MAX_KEEPALIVES_PER_WAIT, parseDuration } from './timeline-schema.js';

/** What the timeline checks look at. */
export interface TimelineSemanticInput {
  readonly routers: Readonly<Record<string, RouterSpec>>;
  readonly hosts: Readonly<Record<string, HostSpec>>;
  readonly servers: Readonly<Record<string, ServerSpec>>;
  /** Names of the checks in `checks:`. */
  readonly checkNames: ReadonlySet<string>;
  /** The hosts and feature of each named check in `checks:` (for the keepalives a call starts). */
  readonly checkCalls?: ReadonlyMap<string, CallSpec>;
  /** Names of the checks in `checks:` that have an `after:` (a timeline cannot honour it). */
  readonly checksWithAfter?: ReadonlySet<string>;
  readonly timeline: ReadonlyArray<TimelineEntry | undefined>;
  /** Ids written in the file (valid or not): references to them are not reported again. */
  readonly written?: ReadonlySet<string>;
}

type Err = (path: readonly PropertyKey[], message: string) => void;

/** The parts of a check that decide which app plays it. */
export interface CallSpec {
  readonly from: string;
  readonly to: string;
  readonly feature?: string | undefined;
}

function hint(name: string, candidates: Iterable<string>): string {
  const h = didYouMean(name, candidates);
  return h ? ` (did you mean "${h}"?)` : '';
}

/** Every semantic error of the timeline. */
export function timelineIssues(c: TimelineSemanticInput, err: Err): void {
  const router = (path: readonly PropertyKey[], rid: string): void => {
    if (c.routers[rid] || c.written?.has(rid)) return;
    err(path, `no router "${rid}"${hint(rid, Object.keys(c.routers))}; routers: ${Object.keys(c.routers).join(', ') || 'none'}`);
  };
  const host = (path: readonly PropertyKey[], hid: string, servers = false): void => {
    if (c.hosts[hid] || (servers && c.servers[hid]) || c.written?.has(hid)) return;
    const known = [...Object.keys(c.hosts), ...(servers ? Object.keys(c.servers) : [])];
    err(path, `no ${servers ? 'host or server' : 'host'} "${hid}"${hint(hid, known)}`);
  };
  c.timeline.forEach((e, i) => {
    if (!e) return;
    const at = ['timeline', i];
    if (e.reboot !== undefined) router([...at, 'reboot'], e.reboot);
    if (e['wan-address']) router([...at, 'wan-address', 'router'], e['wan-address'].router);
    if (e.link) router([...at, 'link', 'router'], e.link.router);
    if (e.map) {
      host([...at, 'map', 'host'], e.map.host);
      const h = c.hosts[e.map.host];
      if (h && !h.router)
        err([...at, 'map', 'host'], `${e.map.host} is on the Internet, not behind a router: there is no gateway to map a port on`);
      if (e.map.filter !== undefined && e.map.via !== 'pcp')
        err([...at, 'map', 'filter'], `"filter" is PCP's FILTER option: it needs via: pcp (this map is via ${e.map.via})`);
    }
    if (e.keepalive) {
      const k = e.keepalive;
      host([...at, 'keepalive', 'host'], k.host);
      host([...at, 'keepalive', 'to'], k.to, true);
      const app = c.hosts[k.host]?.app;
      if (k.every === undefined && c.hosts[k.host] && !(app && APPS[app]?.keepalive)) {
        err(
          [...at, 'keepalive'],
          `no interval: give "every" (e.g. every: 25s); ${app ? `the app profile ${app} sends no keepalives of its own` : `${k.host} runs no app profile`}`,
        );
      }
    }
    if (typeof e.check === 'string') {
      if (!c.checkNames.has(e.check)) err([...at, 'check'], `no check "${e.check}" in checks:${hint(e.check, c.checkNames)}`);
      else if (c.checksWithAfter?.has(e.check))
        err(
          [...at, 'check'],
          `check "${e.check}" has "after", which a timeline cannot honour: the entries before a timeline check are what it sees (write it inline without "after")`,
        );
    } else if (e.check) {
      const k = e.check;
      host([...at, 'check', 'from'], k.from);
      host([...at, 'check', 'to'], k.to, k.port !== undefined);
      if ((k.protocol === undefined) !== (k.port === undefined)) err([...at, 'check'], 'a reach probe needs both "protocol" and "port"');
      if (k.address !== undefined && k.port === undefined)
        err([...at, 'check', 'address'], '"address" is for a reach probe (with "protocol" and "port")');
      if (k.port !== undefined && (k.resume || k.feature !== undefined))
        err([...at, 'check'], 'a reach probe (protocol and port) takes no "feature" or "resume"');
      if (k.after.length > 0)
        err([...at, 'check', 'after'], '"after" is for checks: in a timeline, the entries before a check are what it sees');
    }
  });
  keepaliveBudget(c, err);
}

/** The app a call check is played by (as the simulation picks it: the probe named, else `from`'s app). */
function appOf(c: TimelineSemanticInput, call: CallSpec): AppProfile | undefined {
  const own = c.hosts[call.from]?.app;
  const app = own ? APPS[own] : undefined;
  const feature = call.feature ?? app?.defaultFeature ?? 'hole-punch';
  return PROBES[feature]?.app ?? app;
}

/**
 * Refuses, at the wait, a timeline whose keepalives could make one wait send more than
 * {@link MAX_KEEPALIVES_PER_WAIT} rounds (e.g. every: 1ms over 30 days). Counts every keepalive
 * that may be running by then — those written and those an app's call starts — so the bound the
 * player enforces is never reached by a file that validates.
 */
function keepaliveBudget(c: TimelineSemanticInput, err: Err): void {
  const running = new Map<string, number>();
  const start = (from: string, to: string, every: number): void => {
    running.set(`${from}>${to}`, every);
  };
  c.timeline.forEach((e, i) => {
    if (!e) return;
    if (e.keepalive) {
      const k = e.keepalive;
      const own = APPS[c.hosts[k.host]?.app ?? '']?.keepalive;
      const every = k.every !== undefined ? parseDuration(k.every) : own ? own.every * 1000 : undefined;
      if (every) start(k.host, k.to, every);
    }
    const call: CallSpec | undefined =
      typeof e.check === 'string'
        ? c.checkCalls?.get(e.check)
        : e.check && e.check.port === undefined && !e.check.resume
          ? e.check
          : undefined;
    const k = call && appOf(c, call)?.keepalive;
    if (call && k) {
      if (!running.has(`${call.from}>${call.to}`)) start(call.from, call.to, k.every * 1000);
      if (!running.has(`${call.to}>${call.from}`)) start(call.to, call.from, k.every * 1000);
    }
    const ms = e.wait !== undefined ? parseDuration(e.wait) : undefined;
    if (!ms) return;
    let rounds = 0;
    for (const every of running.values()) rounds += Math.floor(ms / every) + 1;
    if (rounds > MAX_KEEPALIVES_PER_WAIT)
      err(
        ['timeline', i, 'wait'],
        `this wait could run ${rounds} keepalive rounds (${running.size} keepalive${running.size === 1 ? '' : 's'} running), more than the ${MAX_KEEPALIVES_PER_WAIT} one wait may send: split it, or send keepalives less often`,
      );
  });
}
