// Brings an LMDB environment written by an older build up to this build's
// layout version, once, at open (before the engine serves anything). Each
// step runs in one LMDB transaction with the version it reaches, so a crash
// leaves the data dir at the old version and the next open does it again.
//
// Version 1 (no version record: every build before the record existed) to 2:
// every group's stored key count is recounted. Builds from 7a41a19 up to the
// fix (967b547) could leave it short (by one each time a put over a staged
// delete of the same key in one commit counted the key as present), and the
// count is only ever adjusted, never recomputed, so the error outlived restarts.

import type { RootDatabase } from 'lmdb';
import type { Logger } from 'pino';
import {
  GROUP_PREFIX_BYTES,
  LAYOUT_VERSION,
  META_KEY_COUNT,
  readU64,
  taggedKey,
  u64Value,
} from './lmdb-layout.js';
import type { BinaryDb } from './write-overlay.js';

/** While recounting, a progress line at most this often (the scan is linear: ~0.2 s per million keys here). */
const PROGRESS_EVERY_MS = 5000;

export interface LayoutDbs {
  data: BinaryDb;
  meta: BinaryDb;
  layout: BinaryDb;
}

const VERSION_KEY = Buffer.from('version');

/** The layout version the environment was written with (1 when it carries no record). */
export function storedLayoutVersion(dbs: LayoutDbs): number {
  const v = dbs.layout.getBinary(VERSION_KEY);
  return v ? v.readUInt32BE(0) : 1;
}

/** Records `version` (for the upgrade below, and for tests that write an old data dir). */
export function writeLayoutVersion(dbs: LayoutDbs, version: number): void {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(version, 0);
  dbs.layout.putSync(VERSION_KEY, b);
}

/**
 * Upgrades the environment to LAYOUT_VERSION. Refuses one written by a newer
 * build: it may hold records this build would misread or lose.
 */
export function upgradeLayout(
  root: RootDatabase<Buffer, Buffer>,
  dbs: LayoutDbs,
  log?: Logger,
): void {
  const version = storedLayoutVersion(dbs);
  if (version === LAYOUT_VERSION) return;
  if (version > LAYOUT_VERSION) {
    throw new Error(
      `the data dir was written by a newer distdb (LMDB layout version ${version}; this build reads up to ${LAYOUT_VERSION}): run that build or a newer one`,
    );
  }
  root.transactionSync(() => {
    recountKeys(dbs, log);
    writeLayoutVersion(dbs, LAYOUT_VERSION);
  });
}

/**
 * Counts every group's keys in the data database (a group's keys are
 * contiguous) and rewrites each stored count that differs. The applied index
 * and everything else are left as they are: the pairs are the truth the count
 * describes.
 */
function recountKeys(dbs: LayoutDbs, log?: Logger): void {
  const started = Date.now();
  const total = dbs.data.getStats() as { entryCount: number };
  let lastLine = started;
  const counts = new Map<number, number>();
  let group = -1;
  let n = 0;
  let seen = 0;
  for (const key of dbs.data.getKeys()) {
    const g = key.readUInt32BE(0);
    if (g !== group) {
      if (group >= 0) counts.set(group, n);
      group = g;
      n = 0;
    }
    n++;
    // The clock is read once per 65,536 keys.
    if ((++seen & 0xffff) === 0 && Date.now() - lastLine >= PROGRESS_EVERY_MS) {
      lastLine = Date.now();
      log?.info(
        { keys: seen, of: total.entryCount },
        "recounting every group's keys (a one-time upgrade)",
      );
    }
  }
  if (group >= 0) counts.set(group, n);
  // Groups with a stored count and no keys left.
  for (const key of dbs.meta.getKeys()) {
    if (key.length === GROUP_PREFIX_BYTES + 1 && key[GROUP_PREFIX_BYTES] === META_KEY_COUNT) {
      const g = key.readUInt32BE(0);
      if (!counts.has(g)) counts.set(g, 0);
    }
  }
  const fixed: Array<{ group: number; stored: number; keys: number }> = [];
  for (const [g, keys] of counts) {
    const k = taggedKey(g, META_KEY_COUNT);
    const v = dbs.meta.getBinary(k);
    const stored = v ? readU64(v, 0) : 0;
    if (stored === keys) continue;
    dbs.meta.putSync(k, u64Value(keys));
    fixed.push({ group: g, stored, keys });
  }
  const took = { keys: seen, groups: counts.size, ms: Date.now() - started };
  if (fixed.length > 0) {
    log?.warn(
      { ...took, fixed },
      "recounted every group's keys (a one-time upgrade) and corrected the stored counts that were wrong",
    );
  } else if (seen > 0) {
    log?.info(
      took,
      "recounted every group's keys (a one-time upgrade): every stored count was right",
    );
  }
}
