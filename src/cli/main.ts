#!/usr/bin/env node
// The `distdb` entry point. It holds SIGHUP (early-sighup.ts) before it loads
// the commands, which takes most of a node's start-up, then runs them.

import { holdSighup } from './early-sighup.js';

holdSighup(process.argv[2]);
await import('./program.js');
