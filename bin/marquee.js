#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so `npx marquee` works from a checkout.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = require.resolve('tsx/cli');
const r = spawnSync(process.execPath, [tsx, join(root, 'lib/local/cli.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
