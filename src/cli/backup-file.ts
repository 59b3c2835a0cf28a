// The backup file (`distdb backup` writes it, `distdb restore` reads it), all
// integers big-endian:
//
//   magic 'DDBK'  version:u16 (1)
//   headerLength:u32  header (JSON: clusterId, index, term, keys, createdAt, node)
//   (length:u32 chunk)*     the state image's bytes (src/storage/state-image.ts), length > 0
//   0:u32                   end of chunks
//   crc32:u32               of every byte before it (node:zlib crc32)
//
// Readers stream it: nothing needs the whole file in memory.

import { createReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

export const BACKUP_MAGIC = Buffer.from('DDBK');
export const BACKUP_VERSION = 1;
/** A header or chunk longer than this means the file is not what it claims. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

export interface BackupHeader {
  clusterId: string;
  /** Raft index the image reflects (the source node's applied index at BACKUP BEGIN). */
  index: number;
  /** Raft term of the cluster when the backup began. */
  term: number;
  keys: number;
  /** ISO 8601. */
  createdAt: string;
  /** host:port the backup was read from. */
  node: string;
}

/** The file is not a complete, intact backup; the message says what is wrong. */
export class BackupFileError extends Error {
  override name = 'BackupFileError';
}

/** Writes `<path>.partial`, then renames it to `path` once complete and synced. */
export class BackupWriter {
  private crc = 0;
  bytes = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
  ) {}

  static async create(path: string, header: BackupHeader): Promise<BackupWriter> {
    const file = await open(`${path}.partial`, 'w', 0o600);
    const w = new BackupWriter(file, path);
    const json = Buffer.from(JSON.stringify(header));
    const start = Buffer.alloc(10);
    BACKUP_MAGIC.copy(start, 0);
    start.writeUInt16BE(BACKUP_VERSION, 4);
    start.writeUInt32BE(json.length, 6);
    await w.write(start);
    await w.write(json);
    return w;
  }

  async chunk(bytes: Uint8Array): Promise<void> {
    if (bytes.byteLength === 0) return;
    await this.write(u32(bytes.byteLength));
    await this.write(bytes);
  }

  async finish(): Promise<void> {
    await this.write(u32(0));
    await this.file.write(u32(this.crc));
    this.bytes += 4;
    await this.file.sync();
    await this.file.close();
    await rename(`${this.path}.partial`, this.path);
  }

  /** Leaves no partial file behind. */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(`${this.path}.partial`, { force: true });
  }

  private async write(b: Uint8Array): Promise<void> {
    this.crc = crc32(b, this.crc);
    this.bytes += b.byteLength;
    await this.file.write(b);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/**
 * Opens a backup file: its header, then its image chunks in order. The
 * chunks' iterator throws BackupFileError unless the end mark and the
 * checksum check out, so consume it to the end before trusting the chunks.
 */
export async function openBackup(
  path: string,
): Promise<{ header: BackupHeader; chunks: AsyncGenerator<Buffer, void> }> {
  const reader = new ByteReader(path);
  let header: BackupHeader;
  try {
    header = await readHeader(reader, path);
  } catch (err) {
    reader.close();
    throw err;
  }
  async function* chunks(): AsyncGenerator<Buffer, void> {
    try {
      for (;;) {
        const n = (await reader.take(4, 'a chunk length')).readUInt32BE(0);
        if (n === 0) break;
        if (n > MAX_RECORD_BYTES)
          throw new BackupFileError(`${path}: chunk length ${n} is corrupt`);
        yield await reader.take(n, `a chunk of ${n} bytes`);
      }
      const computed = reader.crc;
      const stored = (await reader.take(4, 'its checksum')).readUInt32BE(0);
      if (stored !== computed) {
        throw new BackupFileError(
          `${path} is corrupt: checksum ${hex(stored)} stored, ${hex(computed)} computed`,
        );
      }
      if (!(await reader.atEnd())) {
        throw new BackupFileError(`${path} has bytes after its checksum; it is corrupt`);
      }
    } finally {
      reader.close();
    }
  }
  return { header, chunks: chunks() };
}

async function readHeader(reader: ByteReader, path: string): Promise<BackupHeader> {
  const start = await reader.take(10, 'its first 10 bytes');
  if (!start.subarray(0, 4).equals(BACKUP_MAGIC)) {
    throw new BackupFileError(`${path} is not a distdb backup (it does not start with DDBK)`);
  }
  const version = start.readUInt16BE(4);
  if (version !== BACKUP_VERSION) {
    throw new BackupFileError(
      `${path} is a version ${version} backup; this distdb reads version ${BACKUP_VERSION}`,
    );
  }
  const headerLength = start.readUInt32BE(6);
  if (headerLength > MAX_RECORD_BYTES) throw new BackupFileError(`${path}: header is corrupt`);
  const text = (await reader.take(headerLength, 'its header')).toString('utf8');
  let header: BackupHeader;
  try {
    header = JSON.parse(text) as BackupHeader;
  } catch {
    throw new BackupFileError(`${path}: header is corrupt (not JSON)`);
  }
  if (!Number.isSafeInteger(header.index) || !Number.isSafeInteger(header.term)) {
    throw new BackupFileError(`${path}: header is corrupt (no index or term)`);
  }
  return header;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** Exact-length reads from a file stream, with a running crc32 of what was taken. */
class ByteReader {
  crc = 0;
  private readonly it: AsyncIterator<Buffer>;
  private readonly stream;
  private buf: Buffer = Buffer.alloc(0);
  private eof = false;

  constructor(private readonly path: string) {
    this.stream = createReadStream(path, { highWaterMark: 1 << 20 });
    this.it = this.stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async take(n: number, what: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      if (this.buf.length === 0 && !(await this.fill())) {
        throw new BackupFileError(
          `${this.path} is truncated: it ends where ${what} should be; the backup did not finish or the copy is incomplete`,
        );
      }
      const part = this.buf.subarray(0, need);
      this.buf = this.buf.subarray(part.length);
      parts.push(part);
      need -= part.length;
    }
    const out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
    this.crc = crc32(out, this.crc);
    return out;
  }

  async atEnd(): Promise<boolean> {
    return this.buf.length === 0 && !(await this.fill());
  }

  close(): void {
    this.stream.destroy();
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    let r: IteratorResult<Buffer>;
    try {
      r = await this.it.next();
    } catch (err) {
      throw new BackupFileError(`cannot read ${this.path}: ${(err as Error).message}`);
    }
    if (r.done) {
      this.eof = true;
      return false;
    }
    this.buf = r.value;
    return true;
  }
}
