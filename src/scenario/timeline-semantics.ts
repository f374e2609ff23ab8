/**
 * The semantic checks of a scenario's `timeline:`: every router, host and check it names exists,
 * a mapping is asked for by a host behind a router, a keepalive has an interval, and a timeline
 * check is one kind of check (a check, a reach probe or a resumed call).
 */
import { APPS } from './apps.js';
import { didYouMean } from './errors.js';
import type { HostSpec, RouterSpec, ServerSpec, TimelineEntry } from './schema.js';

/** What the timeline checks look at. */
export interface TimelineSemanticInput {
  readonly routers: Readonly<Record<string, RouterSpec>>;
  readonly hosts: Readonly<Record<string, HostSpec>>;
  readonly servers: Readonly<Record<string, ServerSpec>>;
  /** Names of the checks in `checks:`. */
  readonly checkNames: ReadonlySet<string>;
  /** Names of the checks in `checks:` that have an `after:` (a timeline cannot honour it). */
  readonly checksWithAfter?: ReadonlySet<string>;
  readonly timeline: ReadonlyArray<TimelineEntry | undefined>;
  /** Ids written in the file (valid or not): references to them are not reported again. */
  readonly written?: ReadonlySet<string>;
}

type Err = (path: readonly PropertyKey[], message: string) => void;

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
}
