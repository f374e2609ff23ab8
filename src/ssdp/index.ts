/** SSDP for the simulated gateway: wire format, pure responder, node:dgram adapter. */
export * from './message.js';
export * from './responder.js';
export * from './search.js';
export * from './server.js';
