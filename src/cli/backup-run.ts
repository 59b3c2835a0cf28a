// `distdb backup` run (its flags: backup-command.ts): reads the key space
// with BACKUP BEGIN/CHUNK/END into <file>.partial, renamed when complete.

import { connect, DistdbError, type Client } from '../client/index.js';
import { ImageParser } from '../storage/state-image.js';
import { BackupWriter, type BackupHeader } from './backup-file.js';
import { credentials } from './credentials.js';
import { nodeTarget, type NodeTargetFlags } from './node-target.js';
import { clientTlsSettings } from './tls-settings.js';

export async function runBackup(file: string, flags: NodeTargetFlags): Promise<void> {
  try {
    await writeBackup(file, flags);
  } catch (err) {
    // The node's refusal or an unreachable node is a sentence for the user, not a stack trace.
    if (!(err instanceof DistdbError)) throw err;
    process.stderr.write(`distdb backup: ${err.message}\n`);
    process.exitCode = 1;
  }
}

async function writeBackup(file: string, flags: NodeTargetFlags): Promise<void> {
  const { host, port } = nodeTarget(flags);
  const started = Date.now();
  const client = await connect({
    host,
    port,
    timeoutMs: 60_000,
    reconnect: false,
    ...credentials(flags),
    tls: clientTlsSettings(flags),
  });
  let writer: BackupWriter | null = null;
  let id: string | null = null;
  try {
    const begin = (await client.command('BACKUP', 'BEGIN')) as [
      Buffer,
      number,
      number,
      number,
      Buffer,
    ];
    id = begin[0].toString();
    const header: BackupHeader = {
      clusterId: begin[4].toString(),
      index: Number(begin[1]),
      term: Number(begin[2]),
      keys: Number(begin[3]),
      createdAt: new Date().toISOString(),
      node: `${host}:${port}`,
    };
    writer = await BackupWriter.create(file, header);
    const progress = new Progress(header.keys, started);
    // Counting keys as they pass also checks the image is well formed.
    const parser = new ImageParser();
    for (;;) {
      const chunk = await nextChunk(client, id);
      if (chunk === null) break;
      parser.push(chunk);
      await writer.chunk(chunk);
      progress.show(writer.bytes, parser.pairs);
    }
    parser.end();
    id = null;
    await writer.finish();
    progress.done();
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `backup ${file}: ${parser.pairs} keys at raft index ${header.index} (term ${header.term}), ${writer.bytes} bytes in ${secs} s\n`,
    );
  } catch (err) {
    await writer?.abort();
    if (id !== null) await client.command('BACKUP', 'END', id).catch(() => undefined);
    throw err;
  } finally {
    await client.close();
  }
}

async function nextChunk(client: Client, id: string): Promise<Buffer | null> {
  const r = await client.command('BACKUP', 'CHUNK', id);
  return r === null ? null : (r as Buffer);
}

/** A one-line progress bar on stderr, only when stderr is a terminal. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;

  constructor(
    private readonly total: number,
    private readonly started: number,
  ) {}

  show(bytes: number, keys: number): void {
    const now = Date.now();
    if (!this.tty || now - this.last < 200) return;
    this.last = now;
    const frac = this.total > 0 ? Math.min(1, keys / this.total) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const elapsed = (now - this.started) / 1000;
    const eta = frac > 0 ? Math.max(0, elapsed / frac - elapsed) : 0;
    process.stderr.write(
      `\r[${bar}] ${(frac * 100).toFixed(0)}%  ${keys}/${this.total} keys  ${(bytes / 1048576).toFixed(1)} MiB  ETA ${eta.toFixed(0)} s `,
    );
  }

  done(): void {
    if (this.tty) process.stderr.write('\n');
  }
}
