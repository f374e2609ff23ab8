/**
 * `natsim/express`: the IGD as an express app, for mounting in your own express server. express
 * is an optional peer dependency: install it (and `@types/express` for TypeScript) to use this
 * entry; `import 'natsim'` never loads it.
 *
 * ```ts
 * import express from 'express';
 * import { createUpnpApp } from 'natsim/express';
 * ```
 */

export type { UpnpAppOptions } from './soap/app.js';
export { createUpnpApp, type UpnpApp } from './soap/express-app.js';
