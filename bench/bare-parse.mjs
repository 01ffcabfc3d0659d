#!/usr/bin/env node
// The peer for scan throughput: parse every file of a list with web-tree-sitter + tree-sitter-c and
// nothing else (one parser, trees freed). Usage: node bench/bare-parse.mjs FILE-LIST
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Parser, Language } from 'web-tree-sitter';

const require = createRequire(import.meta.url);
await Parser.init();
const parser = new Parser();
parser.setLanguage(await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm')));
let nodes = 0;
for (const f of readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)) {
  const tree = parser.parse(readFileSync(f, 'latin1'));
  nodes += tree.rootNode.descendantCount;
  tree.delete();
}
console.log(nodes);
