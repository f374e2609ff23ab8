/** The pure NAT model: no I/O, injected clock and RNG. */
export * from './address.js';
export * from './alg.js';
export * from './clock.js';
export * from './events.js';
export * from './firewall.js';
export * from './forward-table.js';
export * from './mapping-service.js';
export * from './nat-table.js';
export * from './network.js';
export * from './packet.js';
export * from './permissions.js';
export * from './policy.js';
export * from './remote-state.js';
export * from './router.js';
export * from './router-policy.js';
export * from './trace.js';
export { TimerHeap, type Expiring } from './timer-heap.js';
