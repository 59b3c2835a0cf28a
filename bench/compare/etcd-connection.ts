// Closed-loop clients of etcd through the `etcd3` client (gRPC). All of them
// share one Etcd3 client, so one HTTP/2 connection multiplexes their
// requests — how etcd's own clients work. Each still has one request in
// flight. One Etcd3 client per load-generator client cost the load
// generator about three times the CPU per request (docs/performance.md).

import type { Etcd3 } from 'etcd3';
import type { KvConnection } from './driver.js';
import type { KeySpace } from './keyspace.js';

export function etcdConnection(client: Etcd3, space: KeySpace): KvConnection {
  const { keys, value } = space;
  return {
    async put(k: number): Promise<void> {
      await client.put(keys[k] as Buffer).value(value);
    },
    async get(k: number): Promise<void> {
      // serializable(false) is etcd's default; said here because it is the point: a linearizable read.
      await client
        .get(keys[k] as Buffer)
        .serializable(false)
        .exec();
    },
    close: () => Promise.resolve(), // the shared client is closed with the system
  };
}
