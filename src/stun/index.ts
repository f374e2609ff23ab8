/** STUN (RFC 5389 Binding, RFC 5780 behaviour discovery): wire codec, the pure server, the socket adapter. */
export * from './codec.js';
export * from './responder.js';
export * from './server.js';
