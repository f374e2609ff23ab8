/** NAT-PMP (RFC 6886): wire codec, the pure server, refusal → result code. */
export * from './codec.js';
export * from './refusals.js';
export * from './responder.js';
