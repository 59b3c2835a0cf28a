// Work deferred to the end of the current event-loop turn, for every
// connection at once: one setImmediate per turn rather than one (and its
// closure) per connection whose reply completed in it. Tasks queued while
// the batch runs wait for the next turn, as their own setImmediate would.

let due: Array<() => void> = [];
let spare: Array<() => void> = [];
let scheduled = false;

/** Runs `task` once the rest of this event-loop turn is done (setImmediate order). */
export function atTurnEnd(task: () => void): void {
  due.push(task);
  if (scheduled) return;
  scheduled = true;
  setImmediate(runDue);
}

function runDue(): void {
  scheduled = false;
  const batch = due;
  due = spare;
  spare = batch;
  for (const task of batch) {
    try {
      task();
    } catch (err) {
      // As an uncaught error in its own setImmediate would be, without
      // skipping the tasks after it.
      queueMicrotask(() => {
        throw err;
      });
    }
  }
  batch.length = 0;
}
