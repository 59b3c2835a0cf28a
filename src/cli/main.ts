#!/usr/bin/env node
// The `distdb` entry point. Before it loads the commands, which takes most
// of a node's start-up, a node process holds SIGHUP (early-sighup.ts) and
// lowers V8's optimisation budget (tier-up.ts); then it runs them.

import { holdSighup } from './early-sighup.js';
import { runsNodeProcess } from './node-subcommands.js';
import { tierUpSooner } from './tier-up.js';

const subcommand = process.argv[2];
holdSighup(subcommand);
if (runsNodeProcess(subcommand)) tierUpSooner();
await import('./program.js');
