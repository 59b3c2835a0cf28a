// Hostile clients, for the hostile-input e2e tests (hostile-*.test.ts) and the
// figures in docs/security.md (npm run attack-report). Each attack hits a
// node's client port, calls `during()` while the attack is in effect (the
// caller proves there that a well-behaved client is still served), and
// reports what the attacker saw.

import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCommand } from '../resp/command-encoder.js';
import { RawConnection, text } from './raw-connection.js';

/** What the attacker saw. */
export interface AttackOutcome {
  /** The first reply it got (`(error) …`), or '(no reply)'. */
  reply: string;
  /** Whether the node closed its connection(s). */
  closed: boolean;
  /** Attack-specific counts (connections refused, replies received, …). */
  counts?: Record<string, number>;
}

export interface Attack {
  name: string;
  /** One line for the report. */
  description: string;
  run(port: number, during: () => Promise<void>): Promise<AttackOutcome>;
}

/** Sends `bytes`, runs `during`, then waits for the node's verdict (first reply and close). */
async function oneShot(
  port: number,
  bytes: Buffer | string,
  during: () => Promise<void>,
): Promise<AttackOutcome> {
  const c = await RawConnection.open(port);
  try {
    c.write(bytes);
    const [reply] = await c.read(1);
    await during();
    await Promise.race([c.closedPromise, sleep(10_000)]);
    return { reply: text(reply), closed: c.closed };
  } finally {
    c.close();
  }
}

/** Writes `bytes`, waiting for the socket to drain (or the node to close it) when its buffer is full. */
async function writeAll(c: RawConnection, bytes: Buffer): Promise<void> {
  if (!c.socket.write(bytes))
    await Promise.race([new Promise((r) => c.socket.once('drain', r)), c.closedPromise]);
}

/**
 * Sends `prefix`, then up to 8 MB of `fill` bytes (stopping early if the node
 * closes), runs `during`, then waits for the node's verdict.
 */
async function flood(
  port: number,
  prefix: string,
  fill: number,
  during: () => Promise<void>,
): Promise<AttackOutcome> {
  const c = await RawConnection.open(port);
  try {
    c.write(prefix);
    const chunk = Buffer.alloc(64 * 1024, fill);
    let sent = 0;
    for (; sent < 8 * 1024 * 1024 && !c.closed; sent += chunk.length) await writeAll(c, chunk);
    const [reply] = await c.read(1);
    await during();
    await Promise.race([c.closedPromise, sleep(10_000)]);
    return { reply: text(reply), closed: c.closed, counts: { bytesSent: sent } };
  } finally {
    c.close();
  }
}

/**
 * The large-value pipeline: --max-pipeline (1,024 by default) GETs of a value
 * just under the default 1 MiB --max-value-size, about 1 GB of replies.
 */
export const LARGE_VALUE_GETS = 1024;
export const LARGE_VALUE_BYTES = 1_000_000;

/** How many clients the node has disconnected for not reading (INFO stats), asked on `c`. */
export async function cutOffCount(c: RawConnection): Promise<number> {
  const stats = text(await c.command('INFO', 'stats'));
  return Number(/client_output_buffer_disconnects:(\d+)/.exec(stats)?.[1]);
}

/**
 * Waits (up to 30 s) for the node to disconnect a client that does not read:
 * such a client's socket, not being read, does not see the close itself.
 */
export async function waitForCutOff(watcher: RawConnection, before: number): Promise<void> {
  for (let waited = 0; waited < 30_000 && (await cutOffCount(watcher)) === before; waited += 20) {
    await sleep(20);
  }
}

export const ATTACKS: readonly Attack[] = [
  {
    name: 'huge-bulk',
    description: 'declares a 2 GiB argument ($2147483647) and starts sending it',
    run: (port, during) =>
      flood(port, '*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$2147483647\r\n', 0x61, during),
  },
  {
    name: 'huge-multibulk',
    description: 'declares 2^31-1 arguments (*2147483647)',
    run: (port, during) => oneShot(port, '*2147483647\r\n$3\r\nGET\r\n', during),
  },
  {
    name: 'nested-arrays',
    description: 'nests arrays 10,000 deep (*1 *1 *1 …), which RESP requests cannot contain',
    run: (port, during) => oneShot(port, '*1\r\n'.repeat(10_000), during),
  },
  {
    name: 'many-tiny-args',
    description:
      'one command of 1,048,576 empty arguments (the most --max-multibulk-length allows), 6 MB on the wire',
    async run(port, during) {
      const c = await RawConnection.open(port);
      try {
        const n = 1024 * 1024;
        c.write(`*${n}\r\n$7\r\nHOSTILE\r\n`);
        const arg = Buffer.from('$0\r\n\r\n'.repeat(4096));
        for (let sent = 1; sent < n && !c.closed; sent += 4096) {
          await writeAll(c, sent + 4096 <= n ? arg : arg.subarray(0, (n - sent) * 6));
        }
        const [reply] = await c.read(1, 60_000);
        await during();
        return { reply: text(reply), closed: c.closed };
      } finally {
        c.close();
      }
    },
  },
  {
    name: 'endless-line',
    description: 'an inline command that never ends: 8 MB without a newline',
    run: (port, during) => flood(port, 'SET endless ', 0x78, during),
  },
  {
    name: 'garbage',
    description: '50 connections each sending 64 kB of random bytes',
    async run(port, during) {
      let seed = 0x5eed;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed >>> 16;
      };
      const conns: RawConnection[] = [];
      try {
        for (let i = 0; i < 50; i++) {
          const c = await RawConnection.open(port);
          const junk = Buffer.alloc(64 * 1024);
          for (let j = 0; j < junk.length; j++) junk[j] = random() & 0xff;
          c.write(junk);
          conns.push(c);
        }
        await during();
        await Promise.all(conns.map((c) => Promise.race([c.closedPromise, sleep(10_000)])));
        const [first] = await conns[0]!.read(1, 1000).catch(() => []);
        return {
          reply: text(first),
          closed: conns.every((c) => c.closed),
          counts: { closedConnections: conns.filter((c) => c.closed).length },
        };
      } finally {
        for (const c of conns) c.close();
      }
    },
  },
  {
    name: 'pipeline-flood',
    description: '100,000 pipelined commands (1,000 SETs, then GETs) in one write',
    async run(port, during) {
      const c = await RawConnection.open(port);
      try {
        const n = 100_000;
        const keys = 1000;
        const parts: Buffer[] = [];
        for (let i = 0; i < keys; i++) parts.push(encodeCommand(['SET', `flood:${i}`, String(i)]));
        for (let i = keys; i < n; i++) parts.push(encodeCommand(['GET', `flood:${i % keys}`]));
        c.write(Buffer.concat(parts));
        const [replies] = await Promise.all([c.read(n, 300_000), during()]);
        let wrong = 0;
        replies.forEach((r, i) => {
          if (text(r) !== (i < keys ? 'OK' : String(i % keys))) wrong++;
        });
        return {
          reply: text(replies[0]),
          closed: c.closed,
          counts: { replies: replies.length, wrongReplies: wrong },
        };
      } finally {
        c.close();
      }
    },
  },
  {
    name: 'slow-reader',
    description: 'pipelines GETs of a 100 kB value and never reads the replies',
    async run(port, during) {
      const watcher = await RawConnection.open(port);
      await watcher.command('SET', 'slow-reader:big', 'r'.repeat(100 * 1024));
      const cutOffBefore = await cutOffCount(watcher);
      const c = await RawConnection.open(port);
      try {
        c.socket.pause(); // never reads
        const batch = Buffer.concat(
          Array.from({ length: 100 }, () => encodeCommand(['GET', 'slow-reader:big'])),
        );
        const attack = (async (): Promise<number> => {
          let rounds = 0;
          for (; rounds < 10_000 && !c.socket.destroyed && !c.closed; rounds++) {
            c.socket.write(batch);
            await sleep(5);
          }
          return rounds;
        })();
        await during();
        await waitForCutOff(watcher, cutOffBefore);
        c.socket.resume();
        const rounds = await attack;
        await Promise.race([c.closedPromise, sleep(30_000, undefined, { ref: false })]);
        return { reply: '(no reply read)', closed: c.closed, counts: { batchesSent: rounds } };
      } finally {
        c.close();
        watcher.close();
      }
    },
  },
  {
    name: 'large-value-pipeline',
    description: `pipelines ${LARGE_VALUE_GETS} GETs of a ${LARGE_VALUE_BYTES / 1000} kB value in one write and never reads`,
    async run(port, during) {
      const watcher = await RawConnection.open(port);
      const c = await RawConnection.open(port);
      try {
        await watcher.command('SET', 'large-value-pipeline', 'l'.repeat(LARGE_VALUE_BYTES));
        const cutOffBefore = await cutOffCount(watcher);
        c.socket.pause(); // never reads
        const get = encodeCommand(['GET', 'large-value-pipeline']);
        c.write(Buffer.concat(Array.from({ length: LARGE_VALUE_GETS }, () => get)));
        await during();
        await waitForCutOff(watcher, cutOffBefore);
        c.socket.resume();
        await Promise.race([c.closedPromise, sleep(10_000, undefined, { ref: false })]);
        return { reply: '(no reply read)', closed: c.closed };
      } finally {
        c.close();
        watcher.close();
      }
    },
  },
];

/** Opens idle connections until the node refuses them; `during` runs while all are held. */
export async function idleConnections(
  port: number,
  count: number,
  during: () => Promise<void>,
): Promise<AttackOutcome> {
  const conns: RawConnection[] = [];
  let refused = 0;
  let firstRefusal = '(no reply)';
  try {
    for (let i = 0; i < count; i++) {
      const c = await RawConnection.open(port);
      conns.push(c);
    }
    // The node answers each refused one with an error and closes it; accepted ones stay silent.
    const first = await Promise.all(conns.map((c) => c.read(1, 3000).catch(() => [])));
    for (const [r] of first) {
      if (r === undefined) continue;
      refused++;
      if (refused === 1) firstRefusal = text(r);
    }
    await during();
    return { reply: firstRefusal, closed: refused > 0, counts: { opened: count, refused } };
  } finally {
    for (const c of conns) c.close();
  }
}

/** `count` connections each sending a valid command one byte every `intervalMs`; `during` runs meanwhile. */
export async function slowloris(
  port: number,
  count: number,
  intervalMs: number,
  during: () => Promise<void>,
): Promise<AttackOutcome> {
  const conns: RawConnection[] = [];
  let stop = false;
  try {
    for (let i = 0; i < count; i++) conns.push(await RawConnection.open(port));
    const cmd = encodeCommand(['SET', 'slowloris', 'x'.repeat(1000)]);
    const drip = (async (): Promise<number> => {
      let sent = 0;
      while (!stop && sent < cmd.length) {
        for (const c of conns) if (!c.closed) c.write(cmd.subarray(sent, sent + 1));
        sent++;
        await sleep(intervalMs);
      }
      return sent;
    })();
    await during();
    stop = true;
    const bytes = await drip;
    return {
      reply: '(no reply: the commands never complete)',
      closed: conns.some((c) => c.closed),
      counts: {
        connections: count,
        bytesEach: bytes,
        closedByNode: conns.filter((c) => c.closed).length,
      },
    };
  } finally {
    for (const c of conns) c.close();
  }
}
