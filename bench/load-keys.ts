// `node dist/bench/load-keys.js --port P --keys N`: fills a running cluster
// with N keys `key:00000000`… of 100-byte values, fast, with pipelined MSETs
// (100 pairs each, 64 in flight): the data set the backup and restore figures
// in docs/operations.md were measured on.

import { Command } from 'commander';
import { connect } from '../src/client/index.js';
import { refuse, usageErrors } from './script-options.js';

const PAIRS_PER_MSET = 100;
const IN_FLIGHT = 64;

const script = { name: 'load-keys', run: 'node dist/bench/load-keys.js' };
const flags = usageErrors(new Command('load-keys'), script)
  .description(
    `fills a running cluster with keys key:00000000, key:00000001, ... by pipelined MSETs (${PAIRS_PER_MSET} pairs each, ${IN_FLIGHT} in flight); prints keys/s and DBSIZE`,
  )
  .option('--host <host>', 'a node', '127.0.0.1')
  .requiredOption('-p, --port <port>', 'its client port')
  .option('--keys <n>', 'how many keys', '1000000')
  .option('--value-size <bytes>', 'value size', '100')
  .parse()
  .opts<{ host: string; port: string; keys: string; valueSize: string }>();

const n = Number(flags.keys);
const valueSize = Number(flags.valueSize);
if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(valueSize) || valueSize < 0) {
  refuse(script, '--keys must be a positive whole number, --value-size a whole number');
}
const value = 'x'.repeat(valueSize);
const client = await connect({ host: flags.host, port: Number(flags.port), timeoutMs: 60_000 });
const started = Date.now();
const pending = new Set<Promise<unknown>>();
for (let i = 0; i < n; i += PAIRS_PER_MSET) {
  const args: string[] = [];
  for (let j = i; j < Math.min(n, i + PAIRS_PER_MSET); j++) {
    args.push(`key:${String(j).padStart(8, '0')}`, value);
  }
  const p: Promise<unknown> = client.command('MSET', ...args).finally(() => pending.delete(p));
  pending.add(p);
  if (pending.size >= IN_FLIGHT) await Promise.race(pending);
}
await Promise.all(pending);
const secs = (Date.now() - started) / 1000;
process.stdout.write(
  `loaded ${n} keys in ${secs.toFixed(1)} s (${Math.round(n / secs)} keys/s); DBSIZE ${String(await client.command('DBSIZE'))}\n`,
);
await client.close();
