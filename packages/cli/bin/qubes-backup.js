#!/usr/bin/env node
// Committed wrapper (executable in git) so `npx qubes-backup` works right after `npm ci && npm run build`.
import { main } from '../dist/index.js';
process.exitCode = await main(process.argv.slice(2));
