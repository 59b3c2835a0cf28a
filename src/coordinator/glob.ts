// Redis's glob patterns (SCAN MATCH, CONFIG GET), matched on bytes:
//   *  any run of bytes     ?  one byte     [abc] [^abc] [a-z]  a set
//   \x the byte x literally

const STAR = 0x2a;
const QUESTION = 0x3f;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const CARET = 0x5e;
const DASH = 0x2d;
const BACKSLASH = 0x5c;

export function globMatch(p: Uint8Array, t: Uint8Array): boolean {
  // Greedy with one backtrack point (the last `*`): every other token matches
  // exactly one byte, so this is exact and O(|p|·|t|) at worst, never exponential.
  let pi = 0;
  let ti = 0;
  let starP = -1;
  let starT = 0;
  while (ti < t.length) {
    if (pi < p.length) {
      if (p[pi] === STAR) {
        starP = pi++;
        starT = ti;
        continue;
      }
      const next = matchOne(p, pi, t[ti] as number);
      if (next >= 0) {
        pi = next;
        ti++;
        continue;
      }
    }
    if (starP < 0) return false;
    pi = starP + 1;
    ti = ++starT;
  }
  while (p[pi] === STAR) pi++;
  return pi === p.length;
}

/** Matches the single-byte token at p[pi] against b; the index after the token, or -1. */
function matchOne(p: Uint8Array, pi: number, b: number): number {
  const c = p[pi] as number;
  if (c === QUESTION) return pi + 1;
  if (c === OPEN) {
    const set = readSet(p, pi + 1);
    return set.contains(b) !== set.negated ? set.end : -1;
  }
  if (c === BACKSLASH && pi + 1 < p.length) return p[pi + 1] === b ? pi + 2 : -1;
  return c === b ? pi + 1 : -1;
}

interface ByteSet {
  negated: boolean;
  contains(b: number): boolean;
  /** Index just after the closing bracket (or the end of the pattern). */
  end: number;
}

function readSet(p: Uint8Array, i: number): ByteSet {
  let negated = false;
  if (p[i] === CARET) {
    negated = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  while (i < p.length && p[i] !== CLOSE) {
    let lo = p[i] as number;
    if (lo === BACKSLASH && i + 1 < p.length) lo = p[++i] as number;
    if (p[i + 1] === DASH && i + 2 < p.length && p[i + 2] !== CLOSE) {
      let hi = p[i + 2] as number;
      if (hi === BACKSLASH && i + 3 < p.length) hi = p[++i + 2] as number;
      ranges.push(lo <= hi ? [lo, hi] : [hi, lo]);
      i += 3;
    } else {
      ranges.push([lo, lo]);
      i++;
    }
  }
  return {
    negated,
    contains: (b) => ranges.some(([lo, hi]) => b >= lo && b <= hi),
    end: i < p.length ? i + 1 : i,
  };
}

/** The literal bytes every match starts with (`user:*` → `user:`), for a range scan. */
export function literalPrefix(pattern: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as number;
    if (c === STAR || c === QUESTION || c === OPEN) break;
    if (c === BACKSLASH) {
      if (i + 1 >= pattern.length) break;
      out.push(pattern[++i] as number);
      continue;
    }
    out.push(c);
  }
  return Uint8Array.from(out);
}
