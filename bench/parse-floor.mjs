#!/usr/bin/env node
// A lower bound for a hunk-only `check` of an mbox: start Node, load web-tree-sitter and the C
// grammar, and parse the post-image text of every hunk, nothing else (no ingest, rules or checks).
// WebAssembly on Liftoff only, as bin/lockreview.js runs `check`. bench/run.mjs times it next to
// `check` and checkpatch.pl: a goal below this floor cannot be met by any per-run Node process that
// parses with tree-sitter. Usage: node bench/parse-floor.mjs MBOX
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--liftoff-only');
const { Parser, Language } = await import('web-tree-sitter');
const require = createRequire(import.meta.url);
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(readFileSync(require.resolve('tree-sitter-c/tree-sitter-c.wasm'))));
const mbox = readFileSync(process.argv[2], 'latin1');
let hunks = 0;
let nodes = 0;
for (const hunk of mbox.split(/\n(?=@@ )/).slice(1)) {
  const post = [];
  for (const line of hunk.split('\n').slice(1)) {
    if (line.startsWith('diff --git ') || line.startsWith('-- ')) break;
    if (line[0] === ' ' || line[0] === '+') post.push(line.slice(1));
    else if (line !== '' && line[0] !== '-' && line[0] !== '\\') break;
  }
  const tree = parser.parse(post.join('\n'));
  nodes += tree.rootNode.descendantCount;
  tree.delete();
  hunks++;
}
console.log(`${hunks} hunks, ${nodes} nodes`);
