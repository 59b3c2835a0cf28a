// The coordinator's HTTP port (--http-port): the dashboard, /status, /health,
// /metrics, the live feed /events and the key/value API /v1/kv/<key>. Plain
// node:http; every route but /health asks for the node's credentials when it
// has any. See docs/operations.md.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { PROTECTED_MODE_REFUSAL } from '../auth/protected-mode.js';
import type { NodeState } from '../command-context.js';
import { secureContextOptions, type ClientTlsOptions, type TlsMaterial } from '../../tls/index.js';
import { authenticate, requireWholeKeyspace } from './basic-auth.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { EventStreams } from './event-stream.js';
import { health } from './health.js';
import { HTTP_LIMITS } from './http-limits.js';
import { HttpError, sendError, sendJson } from './http-reply.js';
import { KV_PREFIX, kvRoute } from './kv-route.js';
import type { NodeFigures } from './node-figures.js';
import { statusReport } from './status-report.js';

/** What the metrics module offers this port: the Prometheus registry. */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface HttpServerOptions {
  node: NodeState;
  host: string;
  /** 0 picks a free port (see the handle's `port`). */
  port: number;
  /** This node's own figures (node-figures.ts). */
  figures: () => Promise<NodeFigures>;
  /** The Prometheus registry served at /metrics. */
  registry: MetricsRegistry;
  /** The client port's TLS settings; given: this port speaks HTTPS only, with the same certificate (and client certificates when those are required). */
  tls: ClientTlsOptions | null;
  /** Whether protected mode refuses a client from this address (auth/protected-mode.ts); /health is exempt. */
  refuses: (remoteAddress: string | undefined) => boolean;
  log: Logger;
}

export interface HttpServerHandle {
  host: string;
  port: number;
  /** New certificates for HTTPS connections made from now on (SIGHUP reload); no-op over plain HTTP. */
  setTls(material: TlsMaterial): void;
  close(): Promise<void>;
}

/** The port cannot be used; the message says what to change. */
export class HttpPortError extends Error {
  override name = 'HttpPortError';
}

/** How often the live feed sends a status report. */
const EVENT_INTERVAL_MS = 1000;

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle> {
  const { node, log, figures } = opts;
  const limits = HTTP_LIMITS;
  const streams = new EventStreams(
    limits.maxEventStreams,
    EVENT_INTERVAL_MS,
    () => statusReport(node, figures),
    log,
  );
  let active = 0;

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    if (path === '/health') {
      onlyGet(req);
      const h = health(node, await figures());
      sendJson(res, h.ok ? 200 : 503, h);
      return;
    }
    if (opts.refuses(req.socket.remoteAddress))
      throw new HttpError(403, PROTECTED_MODE_REFUSAL.replace(/^DENIED /, ''));
    const principal = await authenticate(req, node.auth, node.failedAuthLog);
    if (path.startsWith(KV_PREFIX)) return kvRoute(node, log, req, res, url, principal);
    onlyGet(req);
    requireWholeKeyspace(principal);
    switch (path) {
      case '/':
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Security-Policy':
            "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        });
        res.end(DASHBOARD_HTML);
        return;
      case '/status':
        sendJson(res, 200, await statusReport(node, figures));
        return;
      case '/events':
        streams.open(req, res);
        return;
      case '/metrics': {
        const text = await opts.registry.metrics();
        res.writeHead(200, {
          'Content-Type': opts.registry.contentType,
          'Cache-Control': 'no-store',
        });
        res.end(text);
        return;
      }
      default:
        throw new HttpError(
          404,
          `no such path ${path}; try /, /status, /health, /metrics, /events or /v1/kv/<key>`,
        );
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (active >= limits.maxConcurrentRequests) {
      sendError(
        res,
        new HttpError(
          503,
          `too many HTTP requests at once (${limits.maxConcurrentRequests}); retry shortly`,
          { 'Retry-After': '1' },
        ),
      );
      return;
    }
    active++;
    let counted = true;
    const done = (): void => {
      if (counted) active--;
      counted = false;
    };
    res.once('close', done);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://distdb');
    } catch {
      sendError(res, new HttpError(400, 'malformed request URL'));
      return;
    }
    route(req, res, url).then(
      // An event stream stays open; it counts against maxEventStreams instead.
      () => done(),
      (err: unknown) => {
        if (err instanceof HttpError) {
          sendError(res, err);
          return;
        }
        log.error({ err, url: req.url }, 'HTTP request failed');
        sendError(
          res,
          new HttpError(
            500,
            `internal error: ${(err as Error)?.message ?? String(err)}; the node log has details`,
          ),
        );
      },
    );
  };
  const timeouts = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
  };
  const tls = opts.tls;
  const server =
    tls === null
      ? createServer(timeouts, handle)
      : createHttpsServer(
          {
            ...timeouts,
            ...secureContextOptions(tls.material),
            requestCert: tls.clientAuth,
            rejectUnauthorized: tls.clientAuth,
          },
          handle,
        );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    log.debug({ err: err.message }, 'bad HTTP request');
    if (!socket.writable) return;
    const [status, message] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['408 Request Timeout', 'the request did not arrive in time']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? ['431 Request Header Fields Too Large', 'the request headers are too large']
          : ['400 Bad Request', 'malformed HTTP request'];
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      throw new HttpPortError(
        `HTTP port ${opts.port} on ${opts.host} is already in use; stop what uses it or choose another with --http-port (NODE_HTTP_PORT)`,
      );
    }
    if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
      throw new HttpPortError(
        `cannot listen for HTTP on ${opts.host}:${opts.port} (${err.code}); check --host and --http-port`,
      );
    }
    throw err;
  });
  server.on('error', (err) => log.error({ err }, 'HTTP listener error'));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : opts.port;
  log.info({ host: opts.host, port }, 'HTTP port listening');

  let closing: Promise<void> | null = null;
  return {
    host: opts.host,
    port,
    setTls(material) {
      if (!('setSecureContext' in server)) return;
      server.setSecureContext(secureContextOptions(material));
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        streams.closeAll();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      return closing;
    },
  };
}

function onlyGet(req: IncomingMessage): void {
  if (req.method !== 'GET') {
    throw new HttpError(405, `${req.method} is not allowed here; use GET`, { Allow: 'GET' });
  }
}
