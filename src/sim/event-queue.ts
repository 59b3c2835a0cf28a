// Events ordered by virtual time; ties go to the event scheduled first, so a
// run is a pure function of its seed.

interface Scheduled {
  time: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  private heap: Scheduled[] = [];
  private seq = 0;
  /** Virtual time of the event being run (milliseconds of simulated time). */
  now = 0;

  get size(): number {
    return this.heap.length;
  }

  at(time: number, run: () => void): void {
    const item: Scheduled = { time: Math.max(time, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Scheduled;
      if (!before(item, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = item;
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run);
  }

  /** Runs the earliest event; false when there is none. */
  runNext(): boolean {
    const h = this.heap;
    const top = h[0];
    if (top === undefined) return false;
    const last = h.pop() as Scheduled;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      while (true) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r] as Scheduled, h[l] as Scheduled) ? r : l;
        if (!before(h[c] as Scheduled, last)) break;
        h[i] = h[c] as Scheduled;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.time;
    top.run();
    return true;
  }
}

function before(x: Scheduled, y: Scheduled): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
