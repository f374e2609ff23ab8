/**
 * The real mermaid parser (the `mermaid` package's browser build) running in Debian's chromium,
 * driven by playwright-core (no browser download: `chromium` is a Debian package that
 * scripts/interop-tools.mjs installs). The page loads nothing from the network.
 */
import { createRequire } from 'node:module';
import { type Browser, chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
export const CHROMIUM = '/usr/bin/chromium';

/** The parser's verdict on one document. */
export type ParseVerdict = { readonly ok: true; readonly type: string } | { readonly ok: false; readonly error: string };

/** A browser page with mermaid loaded; `parse` checks documents, `close` ends the browser. */
export interface MermaidParser {
  parse(documents: readonly string[]): Promise<ParseVerdict[]>;
  /** Renders to SVG (layout included); the SVG's length, or the error. */
  render(document: string): Promise<{ ok: true; svgLength: number } | { ok: false; error: string }>;
  close(): Promise<void>;
}

export async function startMermaidParser(): Promise<MermaidParser> {
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], headless: true });
  try {
    const page: Page = await browser.newPage();
    await page.route('**/*', (route) => route.abort()); // nothing leaves the page
    await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>');
    await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') });
    await page.evaluate(() =>
      (globalThis as unknown as { mermaid: { initialize(o: object): void } }).mermaid.initialize({ startOnLoad: false }),
    );
    return {
      parse: (documents) =>
        page.evaluate(
          async (docs) => {
            const m = (globalThis as unknown as { mermaid: { parse(t: string): Promise<{ diagramType: string }> } }).mermaid;
            const out: Array<{ ok: true; type: string } | { ok: false; error: string }> = [];
            for (const d of docs) {
              try {
                out.push({ ok: true, type: (await m.parse(d)).diagramType });
              } catch (e) {
                out.push({ ok: false, error: String((e as Error).message ?? e) });
              }
            }
            return out;
          },
          [...documents],
        ),
      render: (document) =>
        page.evaluate(async (doc) => {
          const m = (globalThis as unknown as { mermaid: { render(id: string, t: string): Promise<{ svg: string }> } }).mermaid;
          try {
            return { ok: true as const, svgLength: (await m.render(`d${Math.floor(Math.random() * 1e9)}`, doc)).svg.length };
          } catch (e) {
            return { ok: false as const, error: String((e as Error).message ?? e) };
          }
        }, document),
      close: () => browser.close(),
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}
