#!/usr/bin/env node
// The tenantnet command's entry point: run the program (program.ts) on argv and exit with its code.
import { main } from './program.js';

process.exitCode = await main(process.argv.slice(2));
