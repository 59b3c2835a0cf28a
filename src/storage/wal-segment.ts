// The segment files of one group's write-ahead log (raft-wal.ts):
// <data-dir>/wal/<group>/<seq:16 hex digits>.wal, written in order. A new
// segment is preallocated as zeros (next.tmp) in the background, then
// renamed into place and its directory fsynced when the log rolls over to
// it: overwriting allocated blocks makes each append's O_DSYNC write cheaper
// than growing the file (measured: docs/storage.md), and the zeros mark
// where the written part ends.

import {
  closeSync,
  constants,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A segment is rolled once the next write would take it past this size. */
export const WAL_SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * The most one write puts in a segment (a single larger record is written
 * alone): a crash can tear only the last write, so at open anything
 * further than this past the bad record was written earlier, and acknowledged.
 */
export const WAL_MAX_WRITE_BYTES = 1024 * 1024;

const SEGMENT_NAME = /^([0-9a-f]{16})\.wal$/;
const NEXT_NAME = 'next.tmp';
const ZEROS = Buffer.alloc(1024 * 1024);

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `${seq.toString(16).padStart(16, '0')}.wal`);
}

/** The group's segment sequence numbers in order; removes a half-prepared next segment. */
export function listSegments(dir: string): number[] {
  const seqs: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = SEGMENT_NAME.exec(name);
    if (m) seqs.push(parseInt(m[1] as string, 16));
    else if (name === NEXT_NAME) unlinkSync(join(dir, name));
  }
  return seqs.sort((a, b) => a - b);
}

/** fsyncs a directory, so a file created, renamed or removed in it stays so after a crash. */
export function syncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Creates `dir` (and its parents) durably. */
export function makeDirDurable(dir: string): void {
  const made = mkdirSync(dir, { recursive: true });
  if (made === undefined) return;
  for (let d = dir; d.length >= made.length; d = dirname(d)) syncDir(dirname(d));
}

/** Opens a segment for appending: every write is durable when it returns (O_DSYNC). */
export function openForAppend(path: string): number {
  return openSync(path, constants.O_WRONLY | constants.O_DSYNC);
}

/**
 * A next.tmp that could not be written in full goes at once: it would hold
 * disk space when the disk is full (ENOSPC), just when the node needs it most.
 */
function dropPartial(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Never created, or already gone.
  }
}

/**
 * Writes all of `b` at offset `at` of `fd` (the file at `path`): a write may
 * be short (a nearly full disk), and the next one says why.
 */
export function writeFullySync(fd: number, path: string, b: Buffer, at: number): void {
  for (let done = 0; done < b.length;) {
    const n = writeSync(fd, b, done, b.length - done, at + done);
    if (n === 0) throw new Error(`no byte written to ${path} at ${at + done}`);
    done += n;
  }
}

/**
 * Writes `bytes` of zeros to the group's next.tmp and syncs it (in the
 * background); on a failure, what it wrote is removed.
 */
export async function prepareSegment(dir: string, bytes: number): Promise<string> {
  const path = join(dir, NEXT_NAME);
  try {
    const fh = await open(path, 'w');
    try {
      // A write may be short (a nearly full disk): the next one says why.
      for (let off = 0; off < bytes;) {
        const { bytesWritten } = await fh.write(ZEROS, 0, Math.min(ZEROS.length, bytes - off), off);
        if (bytesWritten === 0) throw new Error(`no byte written to ${path} at ${off}`);
        off += bytesWritten;
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    dropPartial(path);
    throw err;
  }
  return path;
}

/**
 * Writes a whole segment into the group's next.tmp at once, synchronously:
 * `records`, then zeros up to `bytes` (preallocated like any other), synced.
 * installSegment then renames it into place, so until then a crash leaves
 * no segment behind (a migration, which reopening redoes). Returns its path
 * and the records' bytes.
 */
export function writeSegmentSync(
  dir: string,
  records: Buffer[],
  bytes: number,
): { path: string; written: number } {
  const path = join(dir, NEXT_NAME);
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    for (const r of records) {
      writeFullySync(fd, path, r, written);
      written += r.length;
    }
    for (let off = written; off < bytes; off += ZEROS.length) {
      writeFullySync(fd, path, ZEROS.subarray(0, Math.min(ZEROS.length, bytes - off)), off);
    }
    fdatasyncSync(fd);
    return { path, written };
  } catch (err) {
    dropPartial(path);
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Makes a prepared file (or, without one, a new empty file) segment `seq`, durably. */
export function installSegment(dir: string, seq: number, prepared: string | null): string {
  const path = segmentPath(dir, seq);
  if (prepared) renameSync(prepared, path);
  else closeSync(openSync(path, 'wx'));
  syncDir(dir);
  return path;
}
