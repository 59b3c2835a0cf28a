// Simulated clients: each issues one get / put / compare-and-set at a time on
// a handful of keys, or a get / increment on a counter, to the node it
// believes leads, in a client session; on a
// timeout or redirect it retries the same seq elsewhere, so a write is
// applied at most once however often it is retried.

import type { Bytes } from '../kv/types.js';
import type { NodeId } from '../raft/types.js';
import type { ClientReply, ClientRequest } from './client-protocol.js';
import type { EventQueue } from './event-queue.js';
import type { HistoryRecorder, OpHandle, Value } from '../check/history.js';
import type { Prng } from './prng.js';

export interface ClientEnv {
  queue: EventQueue;
  /** Nodes a client may try, in a stable order. */
  nodes(): NodeId[];
  send(to: NodeId, req: ClientRequest, onReply: (r: ClientReply) => void): void;
  history: HistoryRecorder;
  /** A write was acknowledged: its session tag must be in the committed log. */
  acked(session: string, what: string): void;
  trace(line: string): void;
}

export const CLIENT_KEYS = ['a', 'b', 'c'];
/** Keys that only see gets and increments, so their values stay integers. */
export const CLIENT_COUNTERS = ['n'];
/** No answer within this long (virtual ms): retry at another node. */
const REQUEST_TIMEOUT = 250;
/**
 * A client gives up on an operation after this long (virtual ms) and moves
 * on: the operation's outcome is unknown, and a later write uses the next
 * seq. Not while draining at the end of the run: then it waits for answers.
 */
const GIVE_UP_AFTER = 3000;

interface Current {
  req: ClientRequest;
  /** Session tag of a write, `clientId:seq`. */
  session: string | null;
  describe: string;
  handle: OpHandle<never>;
  attempt: number;
  invokedAt: number;
}

export class SimClient {
  private session = 1;
  private seq = 0;
  private target: NodeId | null = null;
  private current: Current | null = null;
  /** Last value seen per key: what a compare-and-set expects. */
  private seen = new Map<string, string | null>();
  draining = false;
  issued = 0;

  constructor(
    readonly name: string,
    private readonly env: ClientEnv,
    private readonly rng: Prng,
  ) {}

  get idle(): boolean {
    return this.current === null;
  }

  start(): void {
    this.env.queue.after(this.rng.int(20), () => this.next());
  }

  /** Gives up on the operation in flight: it never got an answer. */
  abandon(): void {
    if (!this.current) return;
    this.current.handle.timeout();
    this.env.trace(`${this.name} ${this.current.describe} → unknown`);
    this.current = null;
  }

  private clientId(): string {
    return `${this.name}.${this.session}`;
  }

  private next(): void {
    if (this.draining || this.current) return;
    const counter = this.rng.chance(0.2);
    const key = this.rng.pick(counter ? CLIENT_COUNTERS : CLIENT_KEYS);
    const roll = this.rng.next();
    const history = this.env.history;
    this.issued++;
    if (roll < 0.4) {
      const handle = history.invoke(this.name, { kind: 'get', key });
      this.begin({ kind: 'read', key: bytes(key) }, null, `get ${key}`, handle);
      return;
    }
    const clientId = this.clientId();
    const seq = ++this.seq;
    const session = `${clientId}:${seq}`;
    if (counter) {
      // Mostly by 1; sometimes another step, down or none.
      const delta = this.rng.chance(0.8) ? 1 : this.rng.int(7) - 3;
      const handle = history.invoke(this.name, { kind: 'incr', key, delta });
      const command = { op: 'incr' as const, key: bytes(key), by: BigInt(delta) };
      this.begin(
        { kind: 'write', clientId, seq, command },
        session,
        `incr ${key} by ${delta}`,
        handle,
      );
      return;
    }
    // Some values are large, so batching, the in-flight byte window and the
    // uncommitted-bytes limit come into play; a rare one is too large to propose.
    const pad = this.rng.chance(0.2) ? this.rng.int(400) : this.rng.chance(0.005) ? 1100 : -1;
    const value = pad >= 0 ? `${session}~${'x'.repeat(pad)}` : session;
    if (roll < 0.75) {
      const handle = history.invoke(this.name, { kind: 'put', key, value });
      const command = { op: 'put' as const, key: bytes(key), value: bytes(value) };
      this.begin(
        { kind: 'write', clientId, seq, command },
        session,
        `put ${key}=${short(value)}`,
        handle,
      );
      return;
    }
    const expected = this.seen.get(key) ?? null;
    const handle = history.invoke(this.name, { kind: 'cas', key, expected, value });
    const command = {
      op: 'cas' as const,
      key: bytes(key),
      expected: expected === null ? null : bytes(expected),
      value: bytes(value),
    };
    const describe = `cas ${key} ${short(expected)}→${short(value)}`;
    this.begin({ kind: 'write', clientId, seq, command }, session, describe, handle);
  }

  private begin(
    req: ClientRequest,
    session: string | null,
    describe: string,
    handle: OpHandle<Value | Uint8Array> | OpHandle<void> | OpHandle<boolean> | OpHandle<bigint>,
  ): void {
    this.current = {
      req,
      session,
      describe,
      handle: handle as OpHandle<never>,
      attempt: 0,
      invokedAt: this.env.queue.now,
    };
    this.attempt();
  }

  private attempt(): void {
    const cur = this.current;
    if (!cur) return;
    const nodes = this.env.nodes();
    if (this.target === null || !nodes.includes(this.target)) this.target = this.rng.pick(nodes);
    const attempt = ++cur.attempt;
    this.env.send(this.target, cur.req, (r) => this.onReply(cur, r));
    this.env.queue.after(REQUEST_TIMEOUT, () => {
      if (this.current !== cur || cur.attempt !== attempt) return;
      if (!this.draining && this.env.queue.now - cur.invokedAt >= GIVE_UP_AFTER) {
        this.abandon();
        this.env.queue.after(this.rng.int(20), () => this.next());
        return;
      }
      this.target = this.rng.pick(this.env.nodes());
      this.attempt();
    });
  }

  private onReply(cur: Current, r: ClientReply): void {
    if (this.current !== cur) return; // an answer to an operation already finished
    if (r.kind === 'redirect') {
      this.target = r.leader ?? this.rng.pick(this.env.nodes());
      const attempt = ++cur.attempt;
      this.env.queue.after(5 + this.rng.int(20), () => {
        if (this.current === cur && cur.attempt === attempt) this.attempt();
      });
      return;
    }
    const handle = cur.handle as OpHandle<unknown>;
    let outcome: string;
    if (r.kind === 'refused') {
      handle.fail();
      outcome = `fail (${r.reason})`;
    } else if (r.kind === 'value') {
      const value = r.value === null ? null : text(r.value);
      handle.ok(value);
      outcome = `ok ${short(value)}`;
      this.seen.set(keyOf(cur.req), value);
    } else if (r.result.op === 'session-expired') {
      // This attempt applied nothing, but an earlier attempt of the same seq
      // may have, before the session was evicted: the outcome is unknown.
      // A new session starts over at seq 1.
      handle.timeout();
      outcome = 'unknown (session expired)';
      this.session++;
      this.seq = 0;
    } else {
      if (r.result.op === 'refused') {
        // The state machine changed nothing (a sum out of range).
        handle.fail();
        outcome = `fail (${r.result.reason})`;
      } else if (r.result.op === 'incr') {
        handle.ok(r.result.value);
        outcome = `ok ${r.result.value}`;
      } else if (r.result.op === 'cas') {
        handle.ok(r.result.swapped);
        outcome = `ok swapped=${r.result.swapped}`;
        const current = r.result.current;
        this.seen.set(keyOf(cur.req), current === null ? null : text(current));
      } else {
        handle.ok(undefined);
        outcome = 'ok';
        if (cur.req.kind === 'write' && cur.req.command.op === 'put') {
          this.seen.set(keyOf(cur.req), text(cur.req.command.value));
        }
      }
      if (cur.session) this.env.acked(cur.session, cur.describe);
    }
    this.env.trace(`${this.name} ${cur.describe} → ${outcome}`);
    this.current = null;
    this.env.queue.after(this.rng.int(20), () => this.next());
  }
}

/** A value for the trace: padded values show their length instead of the padding. */
function short(v: string | null): string {
  if (v === null) return '∅';
  const at = v.indexOf('~');
  return at < 0 ? v : `${v.slice(0, at)}~(${v.length - at - 1} bytes)`;
}

function bytes(s: string): Bytes {
  return Buffer.from(s, 'utf8');
}

function keyOf(req: ClientRequest): string {
  if (req.kind === 'read') return text(req.key);
  const c = req.command;
  return c.op === 'put' || c.op === 'cas' || c.op === 'incr' ? text(c.key) : '';
}

function text(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}
