// Shared by the RESP parser tests: random bytes fed to a parser must either
// parse or fail with a RespProtocolError, never any other exception.
import fc from 'fast-check';
import { RespProtocolError } from '../../src/resp/protocol-error.js';

interface StreamParser {
  push(chunk: Uint8Array): void;
  next(): unknown;
}

export function assertOnlyProtocolErrors(newParser: () => StreamParser): void {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
      const p = newParser();
      try {
        for (const c of chunks) {
          p.push(Buffer.from(c));
          while (p.next() !== null);
        }
      } catch (err) {
        if (!(err instanceof RespProtocolError)) throw err;
      }
    }),
    { numRuns: 2000 },
  );
}
