/** Minimal typings for the parts of node-ssdp (CommonJS, untyped) the tests use: its Client only. */
declare module 'node-ssdp' {
  import type { RemoteInfo } from 'node:dgram';
  import type { EventEmitter } from 'node:events';

  interface ClientOptions {
    /** Interface names to use (non-internal IPv4 interfaces only). */
    interfaces?: string[];
    explicitSocketBind?: boolean;
    reuseAddr?: boolean;
    customLogger?: (...args: unknown[]) => void;
  }

  class Client extends EventEmitter {
    constructor(opts?: ClientOptions);
    start(): Promise<void>;
    search(st: string): Promise<void> | undefined;
    stop(): void;
    on(event: 'response', listener: (headers: Record<string, string>, statusCode: number, rinfo: RemoteInfo) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  const ssdp: { Client: typeof Client };
  export default ssdp;
}
