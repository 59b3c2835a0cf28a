// Every bound the HTTP port puts on its callers. The largest request body is
// the node's value-size limit (--max-value-size): a body is a value.

export interface HttpLimits {
  /** Time for a client to send a request's headers before the connection is closed. */
  headersTimeoutMs: number;
  /** Time for a client to send a whole request (headers and body). */
  requestTimeoutMs: number;
  /** Requests being answered at once; beyond it a request gets 503. Event streams count apart. */
  maxConcurrentRequests: number;
  /** Open event streams (GET /events, the dashboard's live feed); beyond it one more gets 503. */
  maxEventStreams: number;
}

export const HTTP_LIMITS: Readonly<HttpLimits> = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxConcurrentRequests: 256,
  maxEventStreams: 32,
};
