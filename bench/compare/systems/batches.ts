/**
 * Runs `write(from, to)` over [0, total) in batches of `size`, at most
 * `inFlight` at a time, reporting the number written after each batch.
 */
export async function inBatches(
  total: number,
  size: number,
  inFlight: number,
  write: (from: number, to: number) => Promise<void>,
  progress: (written: number) => void,
): Promise<void> {
  let next = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const from = next;
      const to = Math.min(total, from + size);
      next = to;
      await write(from, to);
      written += to - from;
      progress(written);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
