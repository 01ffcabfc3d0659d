// The tool's version, read once from package.json (kept in one place).
import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

// The Action bundle (scripts/build-action.mjs) fixes the version at build time with esbuild's
// `define`: inside dist/ there is no package.json one level up to read.
declare const __LOCKREVIEW_VERSION__: string | undefined;

export const VERSION: string = typeof __LOCKREVIEW_VERSION__ === 'string' ? __LOCKREVIEW_VERSION__ : readVersion();
