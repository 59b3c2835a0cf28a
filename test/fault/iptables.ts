// Network partitions between test nodes with iptables. Every rule lives in
// one dedicated chain (DISTDB_TEST, jumped to from INPUT and OUTPUT) and names
// only the test addresses 127.0.0.11–.19, so nothing else on the machine is
// touched. Rules are cleared before a test uses them, on heal, and whenever
// this process exits (normally, by an exception, or on SIGINT/SIGTERM).

import { execFileSync } from 'node:child_process';

export const CHAIN = 'DISTDB_TEST';

/** The loopback addresses fault-test nodes bind; the only ones rules may name. */
export const TEST_ADDRESSES: readonly string[] = Array.from(
  { length: 9 },
  (_, i) => `127.0.0.${11 + i}`,
);

function iptables(args: string[]): void {
  execFileSync('iptables', ['-w', '5', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function quietly(args: string[]): boolean {
  try {
    iptables(args);
    return true;
  } catch {
    return false;
  }
}

/** Why partitions cannot be made here (not root, no iptables, no netfilter), or null. */
export function iptablesProblem(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'iptables needs root (run the fault tests as root, e.g. in CI or a container)';
  }
  try {
    iptables(['-S', 'OUTPUT']);
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === 'ENOENT') return 'iptables is not installed (apt-get install iptables)';
    return `iptables does not work here: ${err.stderr?.toString().trim() || String(e)}`;
  }
  return null;
}

function checkAddress(a: string): void {
  if (!TEST_ADDRESSES.includes(a)) {
    throw new Error(`iptables: ${a} is not a test address (${TEST_ADDRESSES.join(', ')})`);
  }
}

/**
 * Removes the chain, its rules and the jumps to it (whatever an earlier,
 * crashed run may have left). Safe to call at any time, also when nothing is there.
 */
export function clearRules(): void {
  while (quietly(['-D', 'INPUT', '-j', CHAIN]));
  while (quietly(['-D', 'OUTPUT', '-j', CHAIN]));
  quietly(['-F', CHAIN]);
  quietly(['-X', CHAIN]);
}

let installed = false;

/** Clears stale rules, creates an empty chain and jumps to it; installs the exit handlers once. */
function ensureChain(): void {
  if (!installed) {
    clearRules();
    iptables(['-N', CHAIN]);
    iptables(['-I', 'INPUT', '-j', CHAIN]);
    iptables(['-I', 'OUTPUT', '-j', CHAIN]);
    installed = true;
    installExitHandlers();
  }
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => clearRules());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      clearRules();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Drops every packet between `a` and `b`, in both directions. */
export function cut(a: string, b: string): void {
  checkAddress(a);
  checkAddress(b);
  ensureChain();
  iptables(['-A', CHAIN, '-s', a, '-d', b, '-j', 'DROP']);
  iptables(['-A', CHAIN, '-s', b, '-d', a, '-j', 'DROP']);
}

/** Cuts every address of `side` from every address of `rest`. */
export function partition(side: readonly string[], rest: readonly string[]): void {
  for (const a of side) for (const b of rest) cut(a, b);
}

/** Removes every partition; the chain stays (empty) until exit or clearRules. */
export function heal(): void {
  if (installed) iptables(['-F', CHAIN]);
}

/** Starts a test: stale rules of an earlier run go, an empty chain is in place. */
export function resetFirewall(): void {
  installed = false;
  ensureChain();
}

/** The DROP rules in force, as `src>dst` pairs, for messages. */
export function activeCuts(): string[] {
  if (!installed) return [];
  const out = execFileSync('iptables', ['-w', '5', '-S', CHAIN], { encoding: 'utf8' });
  const cuts: string[] = [];
  for (const m of out.matchAll(/-s (\S+?)(?:\/32)? -d (\S+?)(?:\/32)? -j DROP/g)) {
    cuts.push(`${m[1]}>${m[2]}`);
  }
  return cuts;
}
