/**
 * The IGD as an express app, for mounting in an existing express server or calling in tests.
 * It wraps {@link createUpnpHandler}, which `natsim serve` uses directly (no framework on the
 * request path), so both answer byte for byte alike.
 */
import express, { type Express } from 'express';
import { createUpnpHandler, type UpnpAppOptions } from './app.js';
import type { UpnpService } from './service.js';

/** The IGD as an express app (mount it in your own app, or `app.listen()`), over {@link createUpnpHandler}. */
export type UpnpApp = Express & {
  /** The IGD (configuration, GENA publisher, identity for SSDP). */
  readonly upnp: UpnpService;
  /** Detaches from the router and drops subscriptions. */
  close(): void;
};

/**
 * Creates the IGD's express app. Listen on it with `app.listen(port, address)` or mount it.
 * Call `app.close()` when the router goes away.
 */
export function createUpnpApp(options: UpnpAppOptions): UpnpApp {
  const handler = createUpnpHandler(options);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use((req, res) => handler(req, res));
  return Object.assign(app, { upnp: handler.upnp, close: handler.close }) as UpnpApp;
}
