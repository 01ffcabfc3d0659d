// Parsing YAML costs more than everything else a one-patch check does (over half a second for
// rules/), so parsed rule files are cached as JSON keyed by a hash of their text. The key is the
// content, never a timestamp: an edited rules file is always parsed afresh, and a stale cache
// cannot exist. The cache lives in a per-user folder under the temp folder; any failure to create,
// read or write it falls back to parsing.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { createRequire } from 'node:module';

let cacheDir: string | null | undefined;

// The YAML parser is loaded only on a cache miss: evaluating it costs a cached one-patch check
// about 20 ms, and a warm cache never needs it. It is required synchronously (callers are
// synchronous). The literal `require('yaml')` is what esbuild bundles (its banner defines
// `require` in every chunk of the CLI and Action bundles, and the bundled module is evaluated only
// when first called); the tsc output, an ES module without `require`, resolves node_modules.
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
function yaml(): YamlModule {
  yamlModule ??= typeof require === 'function' ? (require('yaml') as YamlModule) : (createRequire(import.meta.url)('yaml') as YamlModule);
  return yamlModule;
}

function dir(): string | null {
  if (cacheDir !== undefined) return cacheDir;
  const d = join(tmpdir(), `lockreview-rules-cache-${process.getuid?.() ?? 'u'}`);
  try {
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return (cacheDir = privateDir(d) ? d : null);
  } catch {
    return (cacheDir = null);
  }
}

/** The temp folder is shared: a folder of this name made by another user could hold entries that
 *  change the rules (findings suppressed or invented). Only a real folder of this user's that
 *  nobody else can write is used (bin/lockreview.js checks its code cache the same way). */
function privateDir(d: string): boolean {
  const uid = process.getuid?.();
  if (uid === undefined) return true; // Windows: the temp folder is the user's own
  const st = lstatSync(d);
  return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
}

/** A cache entry's key: the kind of entry and a hash of everything it was computed from. */
export function contentKey(kind: string, ...texts: string[]): string {
  const hash = createHash('sha1').update(kind).update('\0');
  for (const t of texts) hash.update(String(t.length)).update('\0').update(t);
  return hash.digest('hex');
}

/** The cached JSON value stored under `key`, or undefined when absent or unreadable. */
export function readCached(key: string): unknown {
  const d = dir();
  if (!d) return undefined;
  try {
    return JSON.parse(readFileSync(join(d, `${key}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Stores `data` under `key` (atomically: a concurrent reader sees the whole entry or none). */
export function writeCached(key: string, data: unknown): void {
  const d = dir();
  if (!d) return;
  try {
    // pid and thread: scan workers of one process may write the same entry at once.
    const tmp = join(d, `.${key}.${process.pid}.${threadId}.tmp`);
    writeFileSync(tmp, JSON.stringify(data ?? null));
    renameSync(tmp, join(d, `${key}.json`));
    pruneOldest(d);
  } catch {
    /* a read-only temp folder only costs speed */
  }
}

// Entries are keyed by content, so every edited rules file adds one and none is ever stale: only
// the newest are kept. A run needs about twenty (one per rules file, the validated Facts, roles).
const KEEP_ENTRIES = 200;

/** Deletes all but the KEEP_ENTRIES newest entries of the cache folder (best effort; on writes
 *  only, which a warm run does not do). */
function pruneOldest(d: string): void {
  const entries: Array<{ name: string; mtime: number }> = [];
  for (const name of readdirSync(d)) {
    if (!name.endsWith('.json')) continue;
    try {
      entries.push({ name, mtime: statSync(join(d, name)).mtimeMs });
    } catch {
      /* removed meanwhile */
    }
  }
  if (entries.length <= KEEP_ENTRIES) return;
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const e of entries.slice(KEEP_ENTRIES)) rmSync(join(d, e.name), { force: true });
}

/** YAML (or JSON) text -> data, through the content-keyed cache. Throws the parser's error. */
export function parseYamlCached(text: string, isJson = false): unknown {
  if (isJson) return JSON.parse(text);
  const key = createHash('sha1').update('yaml-v1\0').update(text).digest('hex');
  const cached = readCached(key);
  if (cached !== undefined) return cached;
  const data = yaml().parse(text);
  writeCached(key, data);
  return data;
}

/** Reads and parses a rules file through the cache. */
export function readYamlFileCached(path: string): unknown {
  return parseYamlCached(readFileSync(path, 'utf8'), path.endsWith('.json'));
}
