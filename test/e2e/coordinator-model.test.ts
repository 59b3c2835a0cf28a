// Random pipelined workloads on one connection, sent in random chunks, must
// get exactly the replies a sequential model predicts: pipelining, split
// framing and concurrent storage requests must never change what a client sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCommand } from '../../src/resp/command-encoder.js';
import { incrementFloat } from '../../src/coordinator/commands/float-increment.js';
import { RawConnection, startNode, text, type TestNode } from './coordinator-support.js';

let node: TestNode;

before(async () => {
  node = await startNode();
});

after(async () => {
  await node?.stop();
});

const key = fc.constantFrom('a', 'b', 'c', 'd');
const value = fc.constantFrom('1', '2', 'three', '', '-7', '9223372036854775807');
/** Increments: small, the largest (overflows nearly anything), and not an integer. */
const amount = fc.constantFrom('3', '-2', '9223372036854775807', 'x');
/** INCRBYFLOAT's increments: exact and inexact in binary, an exponent, infinite, not a number. */
const floatAmount = fc.constantFrom('0.5', '-1.25', '0.1', '1e3', 'inf', 'x');
/** GETRANGE's ends: inside, past either end, from the end, and not an integer. */
const index = fc.constantFrom('0', '1', '3', '-1', '-2', '-100', '100', 'x');
const command = fc.oneof(
  fc.tuple(fc.constant('SET'), key, value),
  fc.tuple(fc.constant('SET'), key, value, fc.constantFrom('NX', 'XX', 'GET')),
  fc.tuple(fc.constant('GET'), key),
  fc.tuple(fc.constant('DEL'), key, key),
  fc.tuple(fc.constant('EXISTS'), key, key),
  fc.tuple(fc.constant('MSET'), key, value, key, value),
  fc.tuple(fc.constant('MGET'), key, key),
  fc.tuple(fc.constantFrom('INCR', 'DECR', 'STRLEN', 'GETDEL'), key),
  fc.tuple(fc.constantFrom('INCRBY', 'DECRBY'), key, amount),
  fc.tuple(fc.constant('INCRBYFLOAT'), key, floatAmount),
  fc.tuple(fc.constantFrom('APPEND', 'GETSET', 'SETNX'), key, value),
  fc.tuple(fc.constantFrom('TYPE', 'TTL', 'PTTL', 'PERSIST'), key),
  fc.tuple(fc.constantFrom('UNLINK', 'TOUCH'), key, key),
  fc.tuple(fc.constantFrom('GETRANGE', 'SUBSTR'), key, index, index),
  fc.tuple(fc.constant('PING')),
);

const NOT_AN_INTEGER = '(error) ERR value is not an integer or out of range';

/** INCRBY in the model: bigint arithmetic, "integer" as a regular expression. */
function incrBy(store: Map<string, string>, k: string, by: string): string {
  const isInt = (x: string): boolean =>
    /^(0|-?[1-9][0-9]*)$/.test(x) && BigInt(x) >= -(2n ** 63n) && BigInt(x) < 2n ** 63n;
  const old = store.get(k) ?? '0';
  if (!isInt(by) || !isInt(old)) return NOT_AN_INTEGER;
  const sum = BigInt(old) + BigInt(by);
  if (!isInt(sum.toString())) return '(error) ERR increment or decrement would overflow';
  store.set(k, sum.toString());
  return sum.toString();
}

/**
 * INCRBYFLOAT in the model: its arithmetic is the unit under test of
 * float-increment.test.ts (checked there against redis-server); here what
 * matters is that it reads and writes in its place in the pipeline.
 */
function incrByFloat(store: Map<string, string>, k: string, by: string): string {
  const old = store.get(k);
  try {
    const sum = incrementFloat(old === undefined ? null : Buffer.from(old), Buffer.from(by));
    store.set(k, sum.toString());
    return sum.toString();
  } catch (err) {
    return `(error) ${(err as Error).message}`;
  }
}

/**
 * GETRANGE in the model, from Redis's documented rules: ends inclusive,
 * negative from the end, both negative with start after end empty, then
 * clamped to the value.
 */
function getRange(v: string, startArg: string, endArg: string): string {
  if (!/^(0|-?[1-9][0-9]*)$/.test(startArg) || !/^(0|-?[1-9][0-9]*)$/.test(endArg)) {
    return NOT_AN_INTEGER;
  }
  const [start, end] = [Number(startArg), Number(endArg)];
  if (start < 0 && end < 0 && start > end) return '';
  const from = Math.max(0, start < 0 ? v.length + start : start);
  const to = Math.min(v.length - 1, Math.max(0, end < 0 ? v.length + end : end));
  return v.slice(from, to + 1);
}

/** What a sequential server answers, in the text() form. */
function model(store: Map<string, string>, cmd: string[]): string {
  const [name, k = '', v = '', opt] = cmd;
  const show = (x: string | undefined): string => (x === undefined ? '(nil)' : x);
  switch (name) {
    case 'SET': {
      const old = store.get(k);
      const ok = opt === 'NX' ? old === undefined : opt === 'XX' ? old !== undefined : true;
      if (ok) store.set(k, v);
      if (opt === 'GET') return show(old);
      return ok ? 'OK' : '(nil)';
    }
    case 'GET':
      return show(store.get(k));
    case 'DEL':
    case 'UNLINK': {
      let n = 0;
      for (const x of cmd.slice(1)) if (store.delete(x)) n++;
      return String(n);
    }
    case 'EXISTS':
    case 'TOUCH':
      return String(cmd.slice(1).filter((x) => store.has(x)).length);
    case 'TYPE':
      return store.has(k) ? 'string' : 'none';
    case 'TTL':
    case 'PTTL':
      return store.has(k) ? '-1' : '-2';
    case 'PERSIST':
      return '0';
    case 'GETRANGE':
    case 'SUBSTR':
      return getRange(store.get(k) ?? '', v, opt as string);
    case 'MSET':
      for (let i = 1; i < cmd.length; i += 2) store.set(cmd[i] as string, cmd[i + 1] as string);
      return 'OK';
    case 'INCR':
      return incrBy(store, k, '1');
    case 'DECR':
      return incrBy(store, k, '-1');
    case 'INCRBY':
      return incrBy(store, k, v);
    case 'INCRBYFLOAT':
      return incrByFloat(store, k, v);
    case 'DECRBY':
      return incrBy(store, k, v.startsWith('-') ? v.slice(1) : v === 'x' ? v : `-${v}`);
    case 'APPEND':
      store.set(k, (store.get(k) ?? '') + v);
      return String((store.get(k) as string).length);
    case 'STRLEN':
      return String(store.get(k)?.length ?? 0);
    case 'GETDEL': {
      const old = store.get(k);
      store.delete(k);
      return show(old);
    }
    case 'GETSET': {
      const old = store.get(k);
      store.set(k, v);
      return show(old);
    }
    case 'SETNX':
      if (store.has(k)) return '0';
      store.set(k, v);
      return '1';
    case 'MGET':
      return `[${cmd
        .slice(1)
        .map((x) => show(store.get(x)))
        .join(', ')}]`;
    default:
      return 'PONG';
  }
}

test('random pipelines in random chunks match a sequential model', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(command, { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
      async (cmds, chunkSizes) => {
        const c = await RawConnection.open(node.port);
        try {
          // Each run uses its own keys, starting from an empty store.
          const prefix = `r${run++}:`;
          const store = new Map<string, string>();
          const named = cmds.map((cmd) =>
            cmd[0] === 'PING' ? [...cmd] : cmd.map((x, i) => (isKeyArg(cmd, i) ? prefix + x : x)),
          );
          const expected = named.map((cmd) =>
            model(
              store,
              cmd.map((x) => x.replace(prefix, '')),
            ),
          );
          const bytes = Buffer.concat(named.map((cmd) => encodeCommand(cmd)));
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const size = chunkSizes[i % chunkSizes.length] as number;
            c.write(bytes.subarray(at, at + size));
            at += size;
          }
          const got = (await c.read(named.length)).map(text);
          assert.deepEqual(got, expected);
        } finally {
          c.close();
        }
      },
    ),
    { numRuns: 40, seed: 20261126 },
  );
});

/** Whether argument `i` of `cmd` is a key (the model's commands only). */
function isKeyArg(cmd: readonly string[], i: number): boolean {
  if (i === 0) return false;
  const name = cmd[0];
  if (name === 'MSET') return i % 2 === 1;
  if (['DEL', 'EXISTS', 'MGET', 'UNLINK', 'TOUCH'].includes(name as string)) return true;
  return i === 1;
}
