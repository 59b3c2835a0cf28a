// Failed logins (AUTH, HELLO … AUTH, HTTP Basic, a --join's credentials) in the node log, for an
// operator looking for password guessing: the client's address and the user
// name, never the password. At most one line a second per node: the first
// failure is logged at once, later ones within the second are summed up in a
// line at its end, so a flood of guesses cannot fill the disk.

import type { Logger } from 'pino';

const INTERVAL_MS = 1000;
/** The user name is the client's to choose: only this many characters of it are logged. */
const MAX_USER_CHARS = 64;

/** Where the credentials came in. */
export type LoginPort = 'client' | 'http' | 'peer';

export class FailedAuthLog {
  /** Failures since the last line, not logged one by one. */
  private suppressed = 0;
  private lastClient = '';
  private lastUser = '';
  private lastPort: LoginPort = 'client';
  /** Set while a line was written less than INTERVAL_MS ago. */
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly log: Logger) {}

  /** One refused login from `client` (address:port) as `user`. */
  record(client: string, user: string, port: LoginPort): void {
    const shown = user.length > MAX_USER_CHARS ? `${user.slice(0, MAX_USER_CHARS)}…` : user;
    if (this.timer === null) {
      this.log.warn({ client, user: shown, port }, 'failed AUTH: wrong user name or password');
      this.startInterval();
      return;
    }
    this.suppressed++;
    this.lastClient = client;
    this.lastUser = shown;
    this.lastPort = port;
  }

  /** Writes what is still summed up (the node is stopping). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  private startInterval(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.flush()) this.startInterval();
    }, INTERVAL_MS);
    this.timer.unref();
  }

  /** Logs the failures summed up since the last line; false if there were none. */
  private flush(): boolean {
    if (this.suppressed === 0) return false;
    this.log.warn(
      {
        suppressed: this.suppressed,
        client: this.lastClient,
        user: this.lastUser,
        port: this.lastPort,
      },
      `failed AUTH: ${this.suppressed} more in the last second, not logged one by one (the last one shown)`,
    );
    this.suppressed = 0;
    return true;
  }
}
