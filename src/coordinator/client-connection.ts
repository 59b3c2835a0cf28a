// One client's TCP connection: reads commands (pipelined, any framing),
// dispatches each at once — so a pipelined batch reaches the storage engine
// together and shares its group commit — and writes the replies back in
// request order, gathering those that are ready into one socket write.
//
// Bounds: at most maxPipeline commands, and about maxRequestSize bytes of
// them, in flight (then the socket is not read: backpressure), at most
// maxOutputBuffer reply bytes waiting for a client that does not read (then
// it is disconnected, as Redis does). Reads start only while their largest
// replies fit under maxOutputBuffer together with the replies not yet
// written (reply-budget.ts): the node fetches values no faster than the
// client reads them. A client whose replies fill that budget and that reads
// nothing for OUTPUT_STALL_MS is disconnected as one that does not read.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ARGUMENT_COST_BYTES, RequestParser } from '../resp/request-parser.js';
import { OPEN_ACCESS } from './auth/access.js';
import { RespProtocolError } from '../resp/protocol-error.js';
import { encodeError } from '../resp/reply-encoder.js';
import {
  newClientState,
  type ClientState,
  type CommandContext,
  type NodeState,
} from './command-context.js';
import type { CommandSpec } from './command-table.js';
import { dispatch, lookupCommand } from './dispatch.js';
import { settingName } from './limits.js';
import { replyReserve } from './reply-budget.js';
import { ReplyQueue } from './reply-queue.js';
import { atTurnEnd } from './turn-end.js';

/**
 * 'identity': AUTH or HELLO, which may change who the client is; nothing after it starts until it answers.
 * 'read-write': a command that reads and then writes (CommandSpec.readsThenWrites), counted as both.
 */
type StorageAccess = 'read' | 'write' | 'read-write' | 'none' | 'identity';

/** A command read from the client whose reply is not ready yet. */
interface PendingCommand {
  args: Buffer[];
  spec: CommandSpec | undefined;
  kind: StorageAccess;
  /** Bytes of its arguments and what holding them costs (ARGUMENT_COST_BYTES each), held until it completes. */
  size: number;
  /** Its largest reply if it may carry values (replyReserve), counted against the output limit while it is in flight; 0 for others. */
  reserve: number;
  /** Its reply slot, once it has one. */
  ticket: number | null;
  /** When it was read (performance.now()), for its latency. */
  startedAt: number;
}

function storageAccess(spec: CommandSpec | undefined): StorageAccess {
  if (spec === undefined) return 'none';
  if (spec.name === 'auth' || spec.name === 'hello') return 'identity';
  if (spec.readsThenWrites) return 'read-write';
  if (spec.flags.includes('write')) return 'write';
  if (spec.flags.includes('readonly')) return 'read';
  return 'none';
}

/** How long a closing connection waits for the client to close its side. */
const CLOSE_GRACE_MS = 5000;
/**
 * How long reads may wait for a client to read a byte of the replies that
 * fill its budget; then it counts as not reading. Before reads waited, such
 * a client was disconnected at once, when its replies passed the limit.
 */
export const OUTPUT_STALL_MS = 1000;

export class ClientConnection {
  readonly state: ClientState;
  private readonly ctx: CommandContext;
  private readonly parser: RequestParser;
  /** Aborted when the connection is cut off or closed (CommandContext.gone). */
  private readonly gone = new AbortController();
  private readonly queue = new ReplyQueue();
  /** Commands read but not yet dispatched because earlier ones must finish first (see mayStart). */
  private readonly held: PendingCommand[] = [];
  private readsInFlight = 0;
  private writesInFlight = 0;
  private identityInFlight = 0;
  /** Argument bytes of commands read but not answered; bounded like the in-flight count. */
  private bytesInFlight = 0;
  /** The largest replies of the reads in flight (their `reserve`s). */
  private replyBytesReserved = 0;
  /** Reply bytes handed to the socket; less its writableLength, what the kernel took. */
  private bytesWritten = 0;
  /** Set while reads wait for the client to read (see watchStall). */
  private stallTimer: NodeJS.Timeout | null = null;
  /** Replies ready to write, in order; they precede everything in `queue`. */
  private out: Buffer[] = [];
  private flushScheduled = false;
  private paused = false;
  /** No more commands are read (QUIT, protocol error, shutdown); close once replies are out. */
  private closing = false;
  /**
   * Disconnected for not reading its replies, or because its user was
   * removed or changed (disconnect): as in Redis, what it sent and was not
   * run yet is dropped. Otherwise the rest of its pipeline would run for
   * nobody (dropping replies written nowhere makes room under the limit
   * again), holding the replies of up to maxPipeline reads at a time, or
   * run as a user that is no longer.
   */
  private cutOff = false;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly socket: Socket,
    id: number,
    private readonly node: NodeState,
    private readonly log: Logger,
  ) {
    this.state = newClientState(
      id,
      `${socket.remoteAddress}:${socket.remotePort}`,
      node.auth.required ? null : OPEN_ACCESS,
    );
    this.ctx = { client: this.state, node, gone: this.gone.signal };
    this.parser = new RequestParser(node.limits);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.guard(() => this.onData(chunk)));
    socket.on('drain', () => this.guard(() => this.proceed()));
    socket.on('error', (err) =>
      this.log.debug({ err: err.message, client: id }, 'client socket error'),
    );
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.gone.abort();
        if (this.stallTimer !== null) clearTimeout(this.stallTimer);
        resolve();
      }),
    );
  }

  /** Stops reading; closes once the replies to commands already read are written. */
  shutdown(): void {
    this.closing = true;
    this.pause();
    this.flush();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Closes the connection now; nothing it sent runs unless it has started already. */
  disconnect(): void {
    this.cutOff = true;
    this.gone.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.node.stats.netInputBytes += chunk.length;
    if (this.closing) return;
    this.parser.push(chunk);
    this.readCommands();
    this.flush();
  }

  /** Whether more commands may be read: the in-flight bounds (maxPipeline, maxRequestSize) leave room. */
  private hasRoom(): boolean {
    const { maxPipeline, maxRequestSize } = this.node.limits;
    return this.queue.length < maxPipeline && this.bytesInFlight < maxRequestSize;
  }

  private readCommands(): void {
    while (!this.closing && !this.cutOff && this.hasRoom()) {
      let args: Buffer[] | null;
      try {
        args = this.parser.next();
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
        this.protocolError(err);
        return;
      }
      if (args === null) break;
      this.execute(args);
    }
    if (!this.hasRoom()) this.pause();
    this.watchStall();
  }

  private execute(args: Buffer[]): void {
    const spec = lookupCommand(this.node.commands, args);
    // Nothing after QUIT is read; the connection closes once QUIT's OK is out.
    if (spec?.name === 'quit') this.closing = true;
    let size = 0;
    for (const a of args) size += a.length + ARGUMENT_COST_BYTES;
    this.bytesInFlight += size;
    const kind = storageAccess(spec);
    const cmd: PendingCommand = {
      args,
      spec,
      kind,
      size,
      reserve: spec === undefined ? 0 : replyReserve(spec, kind === 'read', args, this.node.limits),
      ticket: null,
      startedAt: performance.now(),
    };
    if (this.held.length === 0 && this.mayStart(cmd)) {
      this.start(cmd);
      return;
    }
    cmd.ticket = this.queue.push(null);
    this.held.push(cmd);
  }

  /**
   * Whether a command may go to storage now. Writes of one connection may be
   * in flight together (the engine applies them in order), and so may reads;
   * but a read waits for this connection's earlier writes (to see them) and a
   * write for its earlier reads (so they do not see it), as a client that
   * pipelines SET then GET expects. A command that reads then writes waits
   * for both, and both wait for it. Nothing starts while AUTH or HELLO is
   * checking credentials, so the commands after it run as the user it names.
   * A read (or a SET … GET) also waits until its largest reply fits in the
   * reply budget.
   */
  private mayStart(cmd: PendingCommand): boolean {
    if (this.identityInFlight > 0) return false;
    if (cmd.kind === 'read') return this.writesInFlight === 0 && this.replyBudgetFits(cmd.reserve);
    if (cmd.kind === 'write') {
      return this.readsInFlight === 0 && (cmd.reserve === 0 || this.replyBudgetFits(cmd.reserve));
    }
    if (cmd.kind === 'read-write') return this.readsInFlight === 0 && this.writesInFlight === 0;
    return true;
  }

  /**
   * Whether a read's largest reply fits under maxOutputBuffer with the reads
   * in flight and the replies not yet written (queued, or in the socket's
   * buffer). A read that does not fit waits for one in flight to finish or
   * for the socket to drain; with neither to come (nothing in flight, and
   * the socket's buffer under its high-water mark, so no 'drain' event) it
   * goes, holding at most that much more.
   */
  private replyBudgetFits(reserve: number): boolean {
    const held = this.queue.bytes + this.socket.writableLength + this.replyBytesReserved;
    if (held + reserve <= this.node.limits.maxOutputBuffer) return true;
    return this.replyBytesReserved === 0 && !this.socket.writableNeedDrain;
  }

  /**
   * A read (or SET … GET) waiting for the budget with nothing in flight waits for the client
   * to read. If it reads nothing for OUTPUT_STALL_MS it is not reading: it is
   * disconnected, as one whose replies pass the limit is.
   */
  private watchStall(): void {
    const head = this.held[0];
    const stalled =
      head !== undefined &&
      head.reserve > 0 &&
      this.replyBytesReserved === 0 &&
      this.writesInFlight === 0 &&
      this.identityInFlight === 0 &&
      !this.cutOff;
    if (!stalled) {
      if (this.stallTimer !== null) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      return;
    }
    if (this.stallTimer !== null) return;
    const taken = this.bytesWritten - this.socket.writableLength;
    this.stallTimer = setTimeout(
      () =>
        this.guard(() => {
          this.stallTimer = null;
          if (this.bytesWritten - this.socket.writableLength === taken) this.disconnectSlowReader();
          else this.proceed(); // it read some: wait again
        }),
      OUTPUT_STALL_MS,
    );
    this.stallTimer.unref();
  }

  /** Dispatches a command (it has a reply slot already if it was held). */
  private start(cmd: PendingCommand): void {
    const reply = dispatch(this.ctx, cmd.args, cmd.spec, this.log);
    if (Buffer.isBuffer(reply)) {
      this.node.metrics.commandDone(cmd.spec, cmd.startedAt, reply);
      this.bytesInFlight -= cmd.size;
      if (cmd.ticket !== null) this.queue.fill(cmd.ticket, reply);
      else this.appendReply(reply);
      return;
    }
    cmd.ticket ??= this.queue.push(null);
    this.track(cmd.kind, +1);
    this.replyBytesReserved += cmd.reserve;
    reply.then(
      (r) => this.guard(() => this.finished(cmd, r)),
      (err: unknown) =>
        this.guard(() => this.finished(cmd, encodeError(`ERR ${(err as Error).message}`))),
    );
  }

  /** Adds a ready reply after all earlier ones (straight to `out` when none is pending). */
  private appendReply(reply: Buffer): void {
    if (this.queue.length === 0) this.out.push(reply);
    else this.queue.push(reply);
  }

  private track(kind: StorageAccess, delta: number): void {
    if (kind === 'identity') this.identityInFlight += delta;
    if (kind === 'read' || kind === 'read-write') this.readsInFlight += delta;
    if (kind === 'write' || kind === 'read-write') this.writesInFlight += delta;
  }

  private finished(cmd: PendingCommand, reply: Buffer): void {
    this.node.metrics.commandDone(cmd.spec, cmd.startedAt, reply);
    this.track(cmd.kind, -1);
    this.bytesInFlight -= cmd.size;
    this.replyBytesReserved -= cmd.reserve;
    // Cut off: start nothing more, and drop the replies of reads still in
    // flight as they come, rather than fill the queue of a dead connection.
    if (this.cutOff) return;
    // The reply is queued before held reads start, so the budget counts it.
    this.completed(cmd.ticket as number, reply);
    this.startHeld();
  }

  /** Starts the commands held back (for ordering or the reply budget) that may go now, in order. */
  private startHeld(): void {
    while (this.held.length > 0 && !this.cutOff) {
      const next = this.held[0] as PendingCommand;
      if (!this.mayStart(next)) break;
      this.held.shift();
      this.start(next);
    }
    this.watchStall();
  }

  /** After replies were written: starts what now fits, and reads on if there is room. */
  private proceed(): void {
    this.startHeld();
    if (this.paused && !this.closing && !this.cutOff && this.hasRoom()) {
      this.resume();
      this.readCommands();
    }
    this.flush();
  }

  private completed(ticket: number, reply: Buffer): void {
    this.queue.fill(ticket, reply);
    // Replies waiting behind a slow one count too, or they could pile up unbounded.
    if (this.queue.bytes + this.socket.writableLength > this.node.limits.maxOutputBuffer) {
      this.disconnectSlowReader();
      return;
    }
    this.scheduleFlush();
  }

  private disconnectSlowReader(): void {
    if (this.socket.destroyed) return;
    this.cutOff = true;
    this.gone.abort();
    this.node.stats.outputBufferDisconnects++;
    this.log.warn(
      {
        client: this.state.id,
        addr: this.state.addr,
        queued: this.socket.writableLength + this.queue.bytes,
      },
      `client is not reading its replies; disconnecting it (limit ${settingName('maxOutputBuffer')})`,
    );
    this.socket.destroy();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    // Wait for the rest of this event-loop turn: replies that complete
    // together (one storage socket read) then leave in one write.
    this.flushScheduled = true;
    atTurnEnd(this.scheduledFlush);
  }

  private readonly scheduledFlush = (): void =>
    this.guard(() => {
      this.flushScheduled = false;
      this.flush();
      this.proceed();
    });

  /** Runs `fn`; a bug it hits costs this connection only, never the process. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, client: this.state.id }, 'internal error; closing the connection');
      this.socket.destroy();
    }
  }

  private protocolError(err: RespProtocolError): void {
    this.node.stats.protocolErrors++;
    this.log.info(
      { client: this.state.id, addr: this.state.addr, err: err.message },
      'protocol error; closing the connection',
    );
    this.appendReply(encodeError(`ERR ${err.message}`));
    this.closing = true;
    this.pause();
  }

  private flush(): void {
    this.queue.takeReady(this.out);
    const out = this.out;
    const socket = this.socket;
    if (out.length > 0) {
      this.out = [];
      if (socket.destroyed) return;
      let bytes = 0;
      if (out.length === 1) {
        const only = out[0] as Buffer;
        bytes = only.length;
        socket.write(only);
      } else {
        socket.cork();
        for (const b of out) {
          bytes += b.length;
          socket.write(b);
        }
        socket.uncork();
      }
      this.node.stats.netOutputBytes += bytes;
      this.bytesWritten += bytes;
      if (socket.writableLength > this.node.limits.maxOutputBuffer) {
        this.disconnectSlowReader();
        return;
      }
    }
    if (this.closing && this.queue.length === 0 && !socket.writableEnded) {
      socket.end();
      // Read (and drop) what the client still sends so its FIN is seen and the
      // socket closes; a client that never closes is cut off after a grace period.
      socket.resume();
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    }
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private resume(): void {
    this.paused = false;
    this.socket.resume();
  }
}
