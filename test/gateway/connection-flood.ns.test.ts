/**
 * Idle-connection flood against `natsim serve`, turned from the hardening report ("4,500 idle
 * connections with RLIMIT_NOFILE 4096 → no legitimate client is served until they go"). Runs
 * inside a private network namespace only (this file re-executes itself under `unshare --net`):
 * the server is a real `node bin/natsim.js serve` child with its file-descriptor limit lowered by
 * `ulimit -n`, the flood and the legitimate client are this process, all over the namespace's lo.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertSealed, IN_NETNS, REPO, reexecInNamespace } from '../support/sealed-namespace.js';

const SELF = 'test/gateway/connection-flood.ns.test.ts';

reexecInNamespace(SELF, 'HTTP connection flood');

if (IN_NETNS) {
  const children: ChildProcess[] = [];
  const sockets: net.Socket[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  /** `natsim serve` with RLIMIT_NOFILE `nofile`; resolves with its description URL (each router's, in `extra` a scenario of several). */
  async function serve(nofile: number, httpPort: number, extra: string[] = []): Promise<string> {
    return (await serveAll(nofile, httpPort, extra))[0]!;
  }

  /** `natsim serve` with RLIMIT_NOFILE `nofile`; resolves with the description URL of every served router. */
  async function serveAll(nofile: number, httpPort: number, extra: string[] = []): Promise<string[]> {
    const cmd = `ulimit -n ${nofile} && exec "${process.execPath}" bin/natsim.js serve --http-port ${httpPort} --ssdp-port ${httpPort + 1} --json ${extra.join(' ')}`;
    const child = spawn('sh', ['-c', cmd], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`natsim serve not ready: ${out}${err}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"ready":true'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { routers: Array<{ descriptionUrl: string }> }).routers.map((r) => r.descriptionUrl));
        }
      });
      child.on('exit', (code) => reject(new Error(`natsim serve exited ${code}: ${out}${err}`)));
    });
  }

  /** Opens `n` connections to `host` that send nothing; resolves once each is connected, refused or 3 s old. */
  async function flood(port: number, n: number, host = '127.0.0.1'): Promise<{ open: () => number }> {
    let closedByServer = 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(port, host);
        sockets.push(s);
        const timer = setTimeout(resolve, 3000);
        s.on('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        s.on('error', () => undefined);
        s.on('close', () => {
          closedByServer++;
          clearTimeout(timer);
          resolve();
        });
      });
    for (let i = 0; i < n; i += 250) await Promise.all(Array.from({ length: Math.min(250, n - i) }, one));
    return { open: () => n - closedByServer };
  }

  /** GetExternalIPAddress as a client would send it; retried up to `tries` times on a transport error. */
  async function legit(descriptionUrl: string, tries = 1): Promise<{ status: number; body: string }> {
    const url = new URL('/ctl/IPConn', descriptionUrl);
    const body =
      '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
      '<s:Body><u:GetExternalIPAddress xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:2"/></s:Body></s:Envelope>';
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      try {
        const r = await fetch(url, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(5000),
          headers: {
            'Content-Type': 'text/xml; charset="utf-8"',
            SOAPAction: '"urn:schemas-upnp-org:service:WANIPConnection:2#GetExternalIPAddress"',
            Connection: 'close',
          },
        });
        return { status: r.status, body: await r.text() };
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`the legitimate client was not served: ${String((last as Error)?.cause ?? last)}`);
  }

  describe('natsim serve under an idle-connection flood (inside the namespace)', () => {
    it('runs sealed', () => {
      assertSealed(['lo']);
    });

    it('4,500 idle connections with RLIMIT_NOFILE 4096: a legitimate client is still served (cap 512, oldest idle evicted)', async () => {
      const url = await serve(4096, 5000);
      const f = await flood(5000, 4500);
      const r = await legit(url);
      expect(r.status).toBe(200);
      expect(r.body).toContain('<NewExternalIPAddress>');
      // The server holds at most its cap; the rest of the flood was closed.
      await new Promise((res) => setTimeout(res, 300));
      expect(f.open()).toBeLessThanOrEqual(512);
    }, 60_000);

    it('a cap above what RLIMIT_NOFILE allows (600 descriptors, --max-connections 4096): the cap is lowered to fit, no EMFILE, a client gets in', async () => {
      // libuv answers EMFILE by closing the new connection without telling Node, so the server
      // has to stay below the limit rather than react to it.
      const url = await serve(600, 5100, ['--max-connections', '4096']);
      const f = await flood(5100, 1000);
      const r = await legit(url);
      expect(r.status).toBe(200);
      expect(r.body).toContain('<NewExternalIPAddress>');
      await new Promise((res) => setTimeout(res, 300));
      expect(f.open()).toBeLessThan(600);
    }, 60_000);

    it('two routers served at once (wm-02), RLIMIT_NOFILE 1024, 600 idle connections at each: a client is served at each (the descriptors are shared out)', async () => {
      // Each HTTP server alone would cap itself at 512, together more than the limit allows.
      const urls = await serveAll(1024, 5200, ['--scenario', 'scenarios/wm-02-two-upnp-gateways.yaml']);
      expect(urls).toEqual(['http://127.0.0.1:5200/rootDesc.xml', 'http://127.0.0.2:5200/rootDesc.xml']);
      const floods = [await flood(5200, 600, '127.0.0.1'), await flood(5200, 600, '127.0.0.2')];
      for (const url of urls) {
        const r = await legit(url);
        expect(r.status).toBe(200);
        expect(r.body).toContain('<NewExternalIPAddress>');
      }
      await new Promise((res) => setTimeout(res, 300));
      expect(floods[0]!.open() + floods[1]!.open()).toBeLessThan(1024);
    }, 60_000);
  });
}
