// Where the runtime data files are: the tree-sitter WASM binaries and the rules/ knowledge base.
// Three layouts must work: the sources run through tsx (src/), the tsc output (build/), and the
// GitHub Action bundle (dist/action.js with the WASM files and rules/ copied beside it, no
// node_modules). Each lookup tries the file beside this module first (the bundle), then the
// package layout one level up (src/ or build/ -> the package root), then Node's resolver.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function firstExisting(candidates: string[]): string | null {
  for (const c of candidates) if (existsSync(c)) return c;
  return null;
}

function packageFile(pkgFile: string): string | null {
  try {
    return createRequire(import.meta.url).resolve(pkgFile);
  } catch {
    return null;
  }
}

function asset(fileName: string, pkgFile: string): string {
  const found = firstExisting([join(here, fileName), join(here, '..', 'node_modules', pkgFile)]) ?? packageFile(pkgFile);
  // Returned even when missing so the caller's error names the path that was expected.
  return found ?? join(here, fileName);
}

/** web-tree-sitter's runtime (pass to `Parser.init({ locateFile: () => treeSitterRuntimeWasm() })`). */
export function treeSitterRuntimeWasm(): string {
  return asset('web-tree-sitter.wasm', 'web-tree-sitter/web-tree-sitter.wasm');
}

/** The C grammar (pass to `Language.load(...)`). */
export function treeSitterCWasm(): string {
  return asset('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm');
}

/** The rules/ directory of the knowledge base (primitives, lock orders, field types as YAML). */
export function rulesDir(): string {
  // Beside the Action bundle; one level up from src/ or build/; two from the CLI bundle (build/bundle/).
  return firstExisting([join(here, 'rules'), join(here, '..', 'rules'), join(here, '..', '..', 'rules')]) ?? join(here, '..', 'rules');
}

/** The scan worker's entry module (src/engine/scan-worker.ts compiled), or null where this layout
 *  has none: the scan then runs on one thread. Beside this module in the CLI bundle, under engine/
 *  in the tsc output. JavaScript only: a worker thread gets no TypeScript loader, so the sources
 *  run through tsx (src/) scan on one thread. */
export function scanWorkerScript(): string | null {
  return firstExisting([join(here, 'scan-worker.js'), join(here, 'engine', 'scan-worker.js')]);
}
