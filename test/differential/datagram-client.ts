/**
 * A datagram client for the NAT-PMP/PCP differential test, run inside the lan namespace (`ip netns
 * exec LAN node --import tsx datagram-client.ts`). It reads `{ targets: { name: { address, port } },
 * steps: { name: DatagramStep[] } }` as JSON on stdin, sends each target its sequence in order, each
 * request from a fresh socket on the step's client address (NAT-PMP and PCP key mappings by client
 * address, not source port; a late reply cannot be taken for the next step's), waits for the first
 * reply (or `waitMs`), and prints `{ name: DatagramResult[] }` as JSON on stdout.
 */
import dgram from 'node:dgram';

/** One request datagram. */
export interface DatagramStep {
  readonly name: string;
  /** The request's bytes, hex. */
  readonly hex: string;
  /** Local (client) address to send from. */
  readonly from: string;
  /** How long to wait for a reply (ms). */
  readonly waitMs: number;
}

/** What came back. */
export interface DatagramResult {
  readonly name: string;
  /** The reply's bytes, hex; absent when nothing came within waitMs. */
  readonly reply?: string;
  /** The reply's sender. */
  readonly sender?: string;
  /** Milliseconds from sending to the reply. */
  readonly ms?: number;
}

type Target = { readonly address: string; readonly port: number };

async function runTarget(target: Target, steps: readonly DatagramStep[]): Promise<DatagramResult[]> {
  const out: DatagramResult[] = [];
  for (const step of steps) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, step.from, resolve));
    try {
      const sent = performance.now();
      const reply = await new Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo } | undefined>((resolve) => {
        const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
          clearTimeout(timer);
          s.off('message', onMessage);
          resolve({ msg, rinfo });
        };
        const timer = setTimeout(() => {
          s.off('message', onMessage);
          resolve(undefined);
        }, step.waitMs);
        s.on('message', onMessage);
        s.send(Buffer.from(step.hex, 'hex'), target.port, target.address);
      });
      out.push(
        reply
          ? {
              name: step.name,
              reply: reply.msg.toString('hex'),
              sender: `${reply.rinfo.address}:${reply.rinfo.port}`,
              ms: Math.round(performance.now() - sent),
            }
          : { name: step.name },
      );
    } finally {
      s.close();
    }
  }
  return out;
}

const input = JSON.parse(
  await new Promise<string>((resolve) => {
    let text = '';
    process.stdin.on('data', (d: Buffer) => (text += d.toString()));
    process.stdin.on('end', () => resolve(text));
  }),
) as { targets: Record<string, Target>; steps: Record<string, DatagramStep[]> };
const results: Record<string, DatagramResult[]> = {};
for (const [name, target] of Object.entries(input.targets)) results[name] = await runTarget(target, input.steps[name] ?? []);
process.stdout.write(JSON.stringify(results));
