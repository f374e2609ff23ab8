/** PCP (RFC 6887): wire codec, the pure server, refusal → result code. */
export * from './address.js';
export * from './announce.js';
export * from './codec.js';
export * from './options.js';
export * from './port-control.js';
export * from './refusals.js';
export * from './request.js';
export * from './responder.js';
export * from './response.js';
