#!/usr/bin/env node
// Thin launcher: the only process.exit in fano. Everything else throws typed errors that
// src/cli/main.ts turns into exit codes (CONTRACT "Exit codes").
import { main } from '../dist/cli/main.js';

const code = await main(process.argv);
// Let pending stdout drain before exiting (piped output would otherwise be cut short).
process.stdout.write('', () => process.exit(code));
