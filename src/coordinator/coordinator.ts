// The node coordinator: a TCP server speaking RESP to clients, backed by the
// node's storage engine over its Unix socket. `startCoordinator` runs it in
// the calling process (the `distdb coordinator` and `distdb node` commands
// both use it).

import { createServer, type Server, type Socket } from 'node:net';
import pino, { type Logger } from 'pino';
import { refuseConnection } from '../resp/refuse-connection.js';
import { createAuthenticator, type Authenticator } from './auth/authenticator.js';
import { FailedAuthLog } from './auth/failed-auth-log.js';
import {
  PROTECTED_MODE_REFUSAL,
  PROTECTED_MODE_WARNING,
  protectedModeActive,
  protectedModeRefuses,
  UNPROTECTED_WARNING,
  isLoopback,
} from './auth/protected-mode.js';
import { ClientConnection } from './client-connection.js';
import { DEFAULT_COORDINATOR_HOST, DEFAULT_COORDINATOR_PORT } from './defaults.js';
import type { NodeState, NodeStats } from './command-context.js';
import { COMMAND_TABLE } from './command-table.js';
import { DEFAULT_LIMITS, limitsProblem, settingName, type CoordinatorLimits } from './limits.js';
import { NodeMetrics } from './metrics/node-metrics.js';
import { PeerConfigError } from '../peer/index.js';
import { HttpPortError, startHttpServer, type HttpServerHandle } from './http/http-server.js';
import { nodeFigures } from './http/node-figures.js';
import { ClusterNode, type ClusterOptions } from './replication/cluster-node.js';
import { peersProblem } from './replication/initial-peers.js';
import { ScanCursors } from './scan-cursors.js';
import { StorageLink, type StorageOpener } from './storage-link.js';
import { storageOpener } from './storage-opener.js';
import { storageSocketProblem } from './storage-socket-owner.js';
import { ClientTlsAcceptor, type ClientTlsOptions, type TlsMaterial } from '../tls/index.js';

export interface CoordinatorOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 7379); 0 picks a free one (see the handle's `port`). */
  port?: number;
  /** The storage engine's Unix socket (default: `socket`'s engine is reached with connectStorage). */
  socket?: string;
  /** Connects to the storage engine, called again after each lost connection; overrides `socket`. */
  openStorage?: StorageOpener;
  /** Client limits; unset ones take their defaults (see limits.ts). */
  limits?: Partial<CoordinatorLimits>;
  /** How long to wait for the storage engine before listening anyway (default 5000 ms); until it is reachable, commands get TRYAGAIN. */
  storageWaitMs?: number;
  /** The process's root logger; the coordinator logs as component coordinator, Raft as raft, peers as peer (default: pino on stderr at level warn). */
  logger?: Logger;
  /** Replicate through Raft with these peers (distdb node); absent: a standalone coordinator. */
  cluster?: ClusterOptions;
  /** Port for HTTP (dashboard, /status, /health, /metrics, /v1/kv) on the same host; null or absent: none; 0 picks a free one. */
  httpPort?: number | null;
  /** Users and passwords (see auth/); absent: none, every client has full access. */
  auth?: Authenticator;
  /** Refuse non-loopback clients when listening on a non-loopback address without a password (default true). */
  protectedMode?: boolean;
  /** TLS on the client port (see src/tls/client-tls.ts); absent: plain TCP only. */
  tls?: ClientTlsOptions;
}

export interface CoordinatorHandle {
  host: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The HTTP port actually bound, or null when there is none. */
  httpPort: number | null;
  /** This node's metrics (its Prometheus registry and recent load). */
  metrics: NodeMetrics;
  /**
   * New certificate, key and CA for the client, HTTP and peer ports (SIGHUP
   * reload): connections made from now on use them, open ones keep theirs.
   */
  setTls(material: TlsMaterial): void;
  /**
   * Closes every client connection authenticated as one of `users` (a reload
   * removed or changed them); the others stay. Returns how many per user.
   */
  disconnectUsers(users: ReadonlySet<string>): Map<string, number>;
  /** Stops accepting clients, lets replies in flight go out, closes all connections and the storage link. */
  close(): Promise<void>;
}

/** Thrown when the options are unusable; the message says what to change. */
export class CoordinatorConfigError extends Error {
  override name = 'CoordinatorConfigError';
}

export async function startCoordinator(options: CoordinatorOptions): Promise<CoordinatorHandle> {
  const host = options.host ?? DEFAULT_COORDINATOR_HOST;
  const limits: CoordinatorLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const problem = limitsProblem(limits) ?? (options.cluster ? peersProblem(options.cluster) : null);
  if (problem) throw new CoordinatorConfigError(problem);
  const rootLog = options.logger ?? pino({ level: 'warn' }, pino.destination(2));
  const log = rootLog.child({ component: 'coordinator' });

  const open =
    options.openStorage ?? (options.socket !== undefined ? storageOpener(options.socket) : null);
  if (open === null) {
    throw new CoordinatorConfigError('startCoordinator needs the storage engine socket (socket)');
  }
  // A socket already there that is not ours is refused now, not retried forever.
  const socketProblem = options.socket !== undefined ? storageSocketProblem(options.socket) : null;
  if (socketProblem !== null) throw new CoordinatorConfigError(socketProblem);
  const storage = new StorageLink(open, log);
  storage.start();
  const connected = await storage.waitConnected(options.storageWaitMs ?? 5000);
  if (!connected) {
    log.warn(
      'storage engine not reachable yet; listening anyway, commands get TRYAGAIN until it is',
    );
  }

  const connections = new Set<ClientConnection>();
  const stats: NodeStats = {
    connectionsReceived: 0,
    connectionsRejected: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    protocolErrors: 0,
    outputBufferDisconnects: 0,
    authFailures: 0,
    accessDenied: 0,
  };
  const auth = options.auth ?? createAuthenticator([]);
  const guard = {
    enabled: options.protectedMode ?? true,
    authRequired: auth.required,
    bindHost: host,
  };
  let cluster: ClusterNode | null = null;
  const metrics = new NodeMetrics({
    commands: COMMAND_TABLE,
    stats,
    storage,
    clientCount: () => connections.size,
    replication: () => cluster?.status() ?? null,
  });
  const failedAuthLog = new FailedAuthLog(rootLog.child({ component: 'auth' }));
  if (options.cluster) {
    // Applies bound the old values their results carry by the largest value a write stores.
    const settings = { ...options.cluster.settings, maxValueBytes: limits.maxValueSize };
    cluster = new ClusterNode(
      { ...options.cluster, settings },
      storage,
      rootLog,
      metrics.replication,
      { auth, failed: failedAuthLog },
    );
  }
  const node: NodeState = {
    limits,
    storage,
    auth,
    failedAuthLog,
    replication: cluster,
    stats,
    metrics,
    scanCursors: new ScanCursors(limits.maxScanCursors),
    commands: COMMAND_TABLE,
    startedAt: Date.now(),
    host,
    port: options.port ?? DEFAULT_COORDINATOR_PORT,
    clients: function* () {
      for (const c of connections) yield c.state;
    },
  };

  let httpAddress: string | null = null;
  const figures = () => nodeFigures(node, () => metrics.recent(), httpAddress);
  if (cluster) cluster.figures = figures;

  /** Answers a client it will not serve with an error, then closes. */
  const refuse = (socket: Socket, message: string): void => {
    stats.connectionsRejected++;
    refuseConnection(socket, message);
  };
  let nextClientId = 1;
  const serve = (socket: Socket): void => {
    const conn = new ClientConnection(socket, nextClientId++, node, log);
    connections.add(conn);
    void conn.closed.then(() => connections.delete(conn));
  };
  const tls = options.tls ? new ClientTlsAcceptor(options.tls, log, serve) : null;
  const server: Server = createServer((socket: Socket) => {
    stats.connectionsReceived++;
    if (connections.size + (tls?.pending ?? 0) >= limits.maxClients) {
      refuse(
        socket,
        `ERR max number of clients reached (${limits.maxClients}); retry later or raise ${settingName('maxClients')}`,
      );
      return;
    }
    if (protectedModeRefuses(guard, socket.remoteAddress)) {
      refuse(socket, PROTECTED_MODE_REFUSAL);
      return;
    }
    if (tls) tls.accept(socket);
    else serve(socket);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(node.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await storage.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CoordinatorConfigError(
        `port ${node.port} on ${host} is already in use; stop what uses it or choose another with --port (NODE_TCP_PORT)`,
      );
    }
    if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') {
      throw new CoordinatorConfigError(
        `cannot listen on ${host}:${node.port} (${e.code}); check --host and --port`,
      );
    }
    throw err;
  }
  const addr = server.address();
  if (addr && typeof addr === 'object') node.port = addr.port;
  server.on('error', (err) => log.error({ err }, 'client listener error'));
  if (cluster) {
    // Clients on a wildcard address are told the peer host, which others can reach.
    const wildcard = host === '0.0.0.0' || host === '::';
    const advertised = wildcard ? cluster.opts.peerHost : host;
    try {
      await cluster.start(`${advertised}:${node.port}`);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cluster.close();
      await storage.close();
      if (err instanceof PeerConfigError) throw new CoordinatorConfigError(err.message);
      throw err;
    }
  }
  let http: HttpServerHandle | null = null;
  if (options.httpPort !== undefined && options.httpPort !== null) {
    try {
      http = await startHttpServer({
        node,
        host,
        port: options.httpPort,
        figures,
        registry: metrics.registry,
        tls: options.tls ?? null,
        refuses: (address) => protectedModeRefuses(guard, address),
        log,
      });
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cluster?.close();
      await storage.close();
      if (err instanceof HttpPortError) throw new CoordinatorConfigError(err.message);
      throw err;
    }
    // As for clients: on a wildcard address, others reach it at the peer host.
    const wildcard = host === '0.0.0.0' || host === '::';
    httpAddress = `${wildcard && cluster ? cluster.opts.peerHost : host}:${http.port}`;
  }
  if (protectedModeActive(guard)) log.warn({ host }, PROTECTED_MODE_WARNING);
  else if (!auth.required && !isLoopback(host)) log.warn({ host }, UNPROTECTED_WARNING);
  log.info({ host, port: node.port, auth: auth.required }, 'coordinator listening');

  let closing: Promise<void> | null = null;
  return {
    host,
    port: node.port,
    httpPort: http?.port ?? null,
    metrics,
    setTls(material) {
      tls?.setMaterial(material);
      http?.setTls(material);
      cluster?.setTls(material);
    },
    disconnectUsers(users) {
      const closed = new Map<string, number>();
      for (const c of connections) {
        const user = c.state.access?.principal.user;
        if (user === undefined || !users.has(user)) continue;
        c.disconnect();
        closed.set(user, (closed.get(user) ?? 0) + 1);
      }
      return closed;
    },
    close() {
      closing ??= (async () => {
        await http?.close();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        tls?.close();
        for (const c of connections) c.shutdown();
        const grace = setTimeout(() => {
          for (const c of connections) c.destroy();
        }, 2000);
        await Promise.all([...connections].map((c) => c.closed));
        clearTimeout(grace);
        await stopped;
        await cluster?.close();
        await storage.close();
        node.failedAuthLog.close();
      })();
      return closing;
    },
  };
}
