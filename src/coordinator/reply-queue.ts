// Replies of one connection's pipelined commands, kept in request order:
// storage answers may complete out of order, but a client matches replies to
// requests by position, so a reply leaves only when all before it have.

export class ReplyQueue {
  private slots: Array<Buffer | null> = [];
  private head = 0;
  /** Slots removed so far; a slot's ticket minus this is its position. */
  private removed = 0;
  /** Bytes of the replies held (filled, not yet taken). */
  bytes = 0;

  /** Commands whose replies have not left the queue yet. */
  get length(): number {
    return this.slots.length - this.head;
  }

  /** Reserves the next slot (filled now or later); returns its ticket. */
  push(reply: Buffer | null): number {
    this.slots.push(reply);
    if (reply) this.bytes += reply.length;
    return this.removed + this.slots.length - 1;
  }

  fill(ticket: number, reply: Buffer): void {
    this.slots[ticket - this.removed] = reply;
    this.bytes += reply.length;
  }

  /** Moves the ready replies at the front, in order, to `out`. */
  takeReady(out: Buffer[]): void {
    while (this.head < this.slots.length) {
      const reply = this.slots[this.head];
      if (reply === null || reply === undefined) break;
      out.push(reply);
      this.bytes -= reply.length;
      this.slots[this.head++] = null;
    }
    if (this.head === this.slots.length) {
      this.removed += this.slots.length;
      this.slots = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.slots.length) {
      this.removed += this.head;
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }
}
