#!/usr/bin/env node
// Builds the GitHub Action bundle: dist/action.js (esbuild, ESM, every dependency inlined), the
// tree-sitter WASM files beside it, and a copy of rules/ so the bundle runs without node_modules.
// `node scripts/build-action.mjs [--outdir DIR]` (default dist/). The output depends only on the
// sources, so rebuilding into a temporary directory and comparing tells whether dist/ is stale
// (test/action/bundle.test.ts does that).
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { bundleDefines } from './bundle-defines.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const at = args.indexOf('--outdir');
const outdir = resolve(at >= 0 && args[at + 1] ? args[at + 1] : join(root, 'dist'));
const require = createRequire(join(root, 'package.json'));

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'src/doors/action.ts')],
  outfile: join(outdir, 'action.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
  charset: 'utf8',
  define: bundleDefines(root),
  // CommonJS dependencies call require() for Node built-ins; an ESM bundle has none of its own.
  banner: {
    js: "import { createRequire as __lockreviewCreateRequire } from 'node:module';\nconst require = __lockreviewCreateRequire(import.meta.url);",
  },
});

// Runtime data the bundle loads from beside itself (see src/assets.ts).
copyFileSync(require.resolve('web-tree-sitter/web-tree-sitter.wasm'), join(outdir, 'web-tree-sitter.wasm'));
copyFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'), join(outdir, 'tree-sitter-c.wasm'));
cpSync(join(root, 'rules'), join(outdir, 'rules'), { recursive: true });
// dist/ is ESM whatever the package around it says.
writeFileSync(join(outdir, 'package.json'), JSON.stringify({ type: 'module', private: true }, null, 2) + '\n');
