// Preloaded (`node --import`) into the child processes a distdb parent
// supervises: the storage engine under `distdb node`, the nodes under
// `distdb start`. If the parent dies without stopping the child (kill -9, a
// crash), the child is re-parented and its parent pid changes; it then sends
// itself SIGTERM so it shuts down cleanly instead of living on as an orphan.

const POLL_MS = 500;
const parent = process.ppid;

const timer = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
}, POLL_MS);
timer.unref(); // never the reason the child stays alive

export {};
