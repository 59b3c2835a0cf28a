// The Raft group holding the whole key space. Sharding (many groups) will
// replace this constant with a key → group lookup.
export const KEYSPACE_GROUP = 0;
