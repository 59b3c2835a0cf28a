// Typed errors of the client library. Every error the library hands back is a
// DistdbError, so callers can tell "the server said no" (ReplyError, with the
// server's code word) from "the server could not be reached" (ConnectionError)
// and "no answer in time" (TimeoutError).

/** Base class of every error the distdb client raises. */
export class DistdbError extends Error {
  override name = 'DistdbError';
}

/** The server answered with an error reply, e.g. `-ERR wrong number of arguments`. */
export class ReplyError extends DistdbError {
  override name = 'ReplyError';
  /** The code word the reply starts with: ERR, WRONGTYPE, TRYAGAIN, CLUSTERDOWN, ... */
  readonly code: string;
  /** The command that was answered with this error (name only, arguments may be secret or large). */
  readonly command: string;

  constructor(reply: string, command: string) {
    super(reply);
    const space = reply.indexOf(' ');
    const word = space < 0 ? reply : reply.slice(0, space);
    // A code word is upper-case by convention; anything else is a bare message.
    this.code = /^[A-Z][A-Z0-9_]*$/.test(word) ? word : 'ERR';
    this.command = command;
  }
}

/**
 * The connection could not be made or was lost. A request that fails with
 * this error after it was sent may or may not have been carried out
 * (`sent` says whether it had left this process).
 */
export class ConnectionError extends DistdbError {
  override name = 'ConnectionError';
  readonly sent: boolean;

  constructor(message: string, sent = false) {
    super(message);
    this.sent = sent;
  }
}

/** No reply arrived within the request's timeout. The request may still be carried out. */
export class TimeoutError extends DistdbError {
  override name = 'TimeoutError';
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The server refused the credentials (WRONGPASS) or wants some (NOAUTH): give
 * `user`/`password` to connect(), or fix them.
 */
export class AuthError extends ReplyError {
  override name = 'AuthError';
}

/** The user may not run this command or touch this key (NOPERM). */
export class PermissionError extends ReplyError {
  override name = 'PermissionError';
}

/** The typed error for an error reply: AuthError, PermissionError, else ReplyError. */
export function replyError(reply: string, command: string): ReplyError {
  if (reply.startsWith('NOAUTH') || reply.startsWith('WRONGPASS')) {
    return new AuthError(reply, command);
  }
  if (reply.startsWith('NOPERM')) return new PermissionError(reply, command);
  return new ReplyError(reply, command);
}
