/**
 * Load client of bench/portcontrol.ts, run inside the lab's LAN namespace (`ip netns exec LAN node
 * --import tsx bench/portcontrol-load.ts`). Reads `{ target: { address, port }, protocol: 'natpmp' |
 * 'pcp', inFlight, seconds, basePort, client }` as JSON on stdin; keeps `inFlight` requests
 * outstanding for `seconds` (each slot its own socket, closed loop: the next request when the
 * reply is in, or after a 1 s timeout, counted as lost); prints `{ replies, lost, errors, seconds,
 * perSec }` on stdout. Slot i maps UDP ports basePort + 16·i … + 15 in turn (lifetime 3600), so
 * the first pass creates 16 mappings per slot and later ones refresh them, as clients renew; 16
 * slots hold 256 mappings, natsim's PCP limit per host (`maxMappingsPerHost`).
 */
import dgram from 'node:dgram';
import { IP_PROTOCOL, PCP_OPCODE } from '../src/constants.js';
import { encodeNatpmpRequest } from '../src/natpmp/codec.js';
import { encodePcpRequest } from '../src/pcp/request.js';

interface Job {
  readonly target: { readonly address: string; readonly port: number };
  readonly protocol: 'natpmp' | 'pcp';
  readonly inFlight: number;
  readonly seconds: number;
  readonly basePort: number;
  readonly client: string;
}

const job = JSON.parse(
  await new Promise<string>((resolve) => {
    let text = '';
    process.stdin.on('data', (d: Buffer) => (text += d.toString()));
    process.stdin.on('end', () => resolve(text));
  }),
) as Job;

const PER_SLOT = 16;
/** Every request of the run, built before the clock starts. */
const requests: Uint8Array[][] = Array.from({ length: job.inFlight }, (_, slot) =>
  Array.from({ length: PER_SLOT }, (_, k) => {
    const port = job.basePort + slot * PER_SLOT + k;
    return job.protocol === 'natpmp'
      ? encodeNatpmpRequest({ opcode: 1, internalPort: port, externalPort: port, lifetime: 3600 })
      : encodePcpRequest({
          opcode: PCP_OPCODE.Map,
          lifetime: 3600,
          client: job.client,
          nonce: port.toString(16).padStart(24, '0'),
          protocol: IP_PROTOCOL.udp,
          internalPort: port,
          suggestedPort: port,
        });
  }),
);

let replies = 0;
let lost = 0;
let errors = 0;
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(job.seconds * 1e9));

async function slot(i: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, job.client, resolve));
  let k = 0;
  while (process.hrtime.bigint() < end) {
    const bytes = requests[i]![k++ % PER_SLOT]!;
    const got = await new Promise<Buffer | undefined>((resolve) => {
      const t = setTimeout(() => {
        s.off('message', on);
        resolve(undefined);
      }, 1000);
      const on = (msg: Buffer): void => {
        clearTimeout(t);
        s.off('message', on);
        resolve(msg);
      };
      s.on('message', on);
      s.send(bytes, job.target.port, job.target.address);
    });
    if (got === undefined) lost++;
    else if ((job.protocol === 'natpmp' ? got.readUInt16BE(2) : got[3]) !== 0) errors++;
    else replies++;
  }
  s.close();
}

await Promise.all(Array.from({ length: job.inFlight }, (_, i) => slot(i)));
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(JSON.stringify({ replies, lost, errors, seconds, perSec: Math.round(replies / seconds) }));
