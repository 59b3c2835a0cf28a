export type Workload = 'put' | 'get' | 'mixed';
export const WORKLOADS: readonly Workload[] = ['put', 'get', 'mixed'];

/** Share of reads in the mixed workload. */
export const MIXED_READ_SHARE = 0.5;
