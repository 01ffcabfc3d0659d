// One tree-sitter C parser for the whole process: web-tree-sitter is initialised once and the
// parser reused; callers delete the trees they get when done with them.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { Parser, Language, type Tree } from 'web-tree-sitter';
import { treeSitterCWasm, treeSitterRuntimeWasm } from '../assets.js';

const require = createRequire(import.meta.url);
let ready: Promise<Parser> | null = null;

export function cParser(): Promise<Parser> {
  ready ??= (async () => {
    // Paths from src/assets.ts: node_modules in the package, beside the bundle in the Action.
    await Parser.init({ locateFile: () => treeSitterRuntimeWasm() });
    // The bytes, not the path: given a path, web-tree-sitter reads it through a dynamic import of
    // fs/promises, which a bundle loaded from V8's code cache (bin/lockreview.js) cannot run.
    const lang = await Language.load(readFileSync(treeSitterCWasm()));
    const p = new Parser();
    p.setLanguage(lang);
    return p;
  })();
  return ready;
}

export async function parseC(text: string): Promise<Tree> {
  const p = await cParser();
  const tree = p.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}
