#!/usr/bin/env node
// npm links the bins of dependencies into node_modules/.bin but not the root package's own, so
// `npx --no-install lockreview` (the README, the scorer, b4 and git hooks) would not find it.
// Run from `prepare` (after `npm ci`/`npm install`): links node_modules/.bin/lockreview to bin/.
import { mkdirSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'lockreview');
mkdirSync(binDir, { recursive: true });
rmSync(link, { force: true });
symlinkSync(join('..', '..', 'bin', 'lockreview.js'), link);
chmodSync(join(root, 'bin', 'lockreview.js'), 0o755);
