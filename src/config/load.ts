// Finding and reading the configuration. Layers, lowest first:
//   defaults  <-  git config lockreview.*  <-  one file: --config FILE, else .lockreview.toml
//   (or .lockreview.json) at the repository root.
// A layer overrides the keys it sets and nothing else, so a per-user `git config --global
// lockreview.failOn error` still applies under a repository file that only disables a rule.
// Every source is validated strictly: an unknown key or a bad value is an InputError naming the
// source and the key (exit 2 at the door), never a silent default.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { InputError } from '../errors.js';
import { gitRead, gitReadEnv } from '../diff/git-batch.js';
import { defaultConfig, type Config } from './index.js';
import type { ConfigFile } from './schema.js';
import type { Primitive } from '../engine/types.js';

export const CONFIG_FILE_NAMES = ['.lockreview.toml', '.lockreview.json'] as const;

export interface LoadOptions {
  /** --config FILE (relative to the current directory). */
  configPath?: string;
  /** The repository whose .lockreview.* and git config apply; null = the one around the current
   *  directory, if any. */
  repoRoot: string | null;
}

// The schemas (zod) are loaded only when there is something to validate: most runs have no
// configuration at all, and building the schemas is a noticeable part of a one-patch check's start-up.
type Validate = (data: unknown, name: string) => ConfigFile;
let validator: Validate | null = null;

async function loadValidator(): Promise<void> {
  validator ??= (await import('./schema.js')).validateConfigFile;
}

function validateConfigFile(data: unknown, name: string): ConfigFile {
  if (!validator) throw new Error('configuration validator used before loadValidator()');
  return validator(data, name);
}

export async function loadConfigFor(opts: LoadOptions): Promise<Config> {
  // Without a given root, the two git commands (where is the repository, what does its git config
  // say) run at once: a check's start-up otherwise waits for them one after the other. The config
  // as seen from the current directory is the repository's own.
  const [root, fromGit] = opts.repoRoot
    ? [opts.repoRoot, await readGitConfig(opts.repoRoot)]
    : await Promise.all([repositoryAroundAsync(process.cwd()), readGitConfig(process.cwd())]);
  const layers: Array<{ name: string; file: ConfigFile }> = [];
  if (fromGit) layers.push({ name: 'git config lockreview.*', file: fromGit });
  const filePath = opts.configPath ?? (root ? repositoryConfigFile(root) : null);
  if (filePath) layers.push({ name: filePath, file: await readConfigFile(filePath) });
  const config = defaultConfig();
  for (const layer of layers) mergeInto(config, layer.file);
  if (layers.length) config.source = layers.map((l) => l.name).join(' + ');
  return config;
}

/** The top level of the git work tree containing `dir`, or null outside one. */
export function repositoryAround(dir: string): string | null {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8', env: gitReadEnv() });
  if (r.status !== 0) return null;
  const top = r.stdout.trim();
  return top || null;
}

/** repositoryAround() without blocking: other start-up work goes on while git runs. */
async function repositoryAroundAsync(dir: string): Promise<string | null> {
  const r = await gitRead(dir, ['rev-parse', '--show-toplevel']);
  if (r.status !== 0) return null;
  return r.stdout.trim() || null;
}

function repositoryConfigFile(root: string): string | null {
  const found = CONFIG_FILE_NAMES.map((n) => join(root, n)).filter((p) => existsSync(p));
  if (found.length > 1) throw new InputError(root, `both ${CONFIG_FILE_NAMES.join(' and ')} exist: keep one`);
  return found[0] ?? null;
}

/** Reads and validates one configuration file (.toml, else JSON). */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new InputError(path, 'is a directory, not a configuration file');
    text = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(path, 'cannot read the configuration file');
  }
  let data: unknown;
  if (path.endsWith('.json')) {
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new InputError(path, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    // The TOML parser is loaded only when there is a TOML file to read (not on every check).
    const { parse: parseToml, TomlError } = await import('smol-toml');
    try {
      data = parseToml(text);
    } catch (err) {
      const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      throw new InputError(path, `invalid TOML${where}: ${first}`);
    }
  }
  await loadValidator();
  return validateConfigFile(data, path);
}

/** Applies one layer on top of `config` (in place). */
export function mergeInto(config: Config, layer: ConfigFile): void {
  if (layer.failOn !== undefined) config.failOn = layer.failOn;
  if (layer.strict !== undefined) config.strict = layer.strict;
  if (layer.include !== undefined) config.include = [...layer.include];
  if (layer.exclude !== undefined) config.exclude = [...layer.exclude];
  for (const id of layer.disable ?? []) config.rules[id] = { ...config.rules[id], enabled: false };
  for (const id of layer.enable ?? []) config.rules[id] = { ...config.rules[id], enabled: true };
  for (const [id, severity] of Object.entries(layer.severity ?? {})) config.rules[id] = { ...config.rules[id], severity };
  const f = layer.facts;
  if (f) {
    if (f.primitives) {
      // Family entries (`names: [a, b]`) expand to one primitive per name, as in rules/*.yaml.
      const expanded = f.primitives.flatMap((p): Primitive[] =>
        'names' in p ? p.names.map((name) => ({ ...omitNames(p), name }) as Primitive) : [p as Primitive],
      );
      config.facts.primitives = [...(config.facts.primitives ?? []), ...expanded];
    }
    if (f.lockOrders) config.facts.lockOrders = [...(config.facts.lockOrders ?? []), ...f.lockOrders];
    if (f.fieldTypes) config.facts.fieldTypes = [...(config.facts.fieldTypes ?? []), ...f.fieldTypes];
    if (f.wrappers) config.facts.wrappers = { ...config.facts.wrappers, ...f.wrappers };
  }
  const l = layer.llm;
  if (l) {
    if (l.url !== undefined) config.llm.url = l.url;
    if (l.model !== undefined) config.llm.model = l.model;
    if (l.keyEnv !== undefined) config.llm.keyEnv = l.keyEnv;
    if (l.tasks !== undefined) config.llm.tasks = [...l.tasks];
    if (l.timeoutMs !== undefined) config.llm.timeoutMs = l.timeoutMs;
    if (l.concurrency !== undefined) config.llm.concurrency = l.concurrency;
    if (l.cacheDir !== undefined) config.llm.cacheDir = l.cacheDir;
  }
}

function omitNames<T extends { names: string[] }>(p: T): Omit<T, 'names'> {
  const { names: _names, ...rest } = p;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// git config lockreview.*: the same vocabulary as the file, as git keys. Git folds section and key
// names to lower case, so keys are matched case-insensitively (lockreview.failOn = lockreview.failon).
// Multi-valued keys (disable, enable, include, exclude, severity, lockOrder, wrapper) accumulate.

const GIT_SOURCE = 'git config';

type GitKeyHandler = (file: ConfigFile, value: string, key: string) => void;

const GIT_KEYS: Record<string, GitKeyHandler> = {
  'lockreview.failon': (f, v) => (f.failOn = v as ConfigFile['failOn']),
  'lockreview.strict': (f, v, k) => (f.strict = gitBool(v, k)),
  'lockreview.include': (f, v) => (f.include = [...(f.include ?? []), v]),
  'lockreview.exclude': (f, v) => (f.exclude = [...(f.exclude ?? []), v]),
  'lockreview.disable': (f, v) => (f.disable = [...(f.disable ?? []), ...listValue(v)]),
  'lockreview.enable': (f, v) => (f.enable = [...(f.enable ?? []), ...listValue(v)]),
  'lockreview.severity': (f, v, k) => {
    const [rule, level] = pair(v, '=', k, '<rule>=<level>');
    f.severity = { ...f.severity, [rule]: level as 'error' };
  },
  'lockreview.lockorder': (f, v, k) => {
    const [before, after] = pair(v, '->', k, '<lock taken first> -> <lock taken second>');
    const facts = (f.facts ??= {});
    facts.lockOrders = [...(facts.lockOrders ?? []), { before, after, source: `git config ${k}` }];
  },
  'lockreview.wrapper': (f, v, k) => {
    const [name, primitive] = pair(v, '=', k, '<wrapper function>=<primitive it behaves as>');
    const facts = (f.facts ??= {});
    facts.wrappers = { ...facts.wrappers, [name]: primitive };
  },
  'lockreview.llm.url': (f, v) => ((f.llm ??= {}).url = v),
  'lockreview.llm.model': (f, v) => ((f.llm ??= {}).model = v),
  'lockreview.llm.keyenv': (f, v) => ((f.llm ??= {}).keyEnv = v),
  'lockreview.llm.tasks': (f, v) => ((f.llm ??= {}).tasks = listValue(v) as Array<'word'>),
  'lockreview.llm.timeoutms': (f, v, k) => ((f.llm ??= {}).timeoutMs = gitInt(v, k)),
  'lockreview.llm.concurrency': (f, v, k) => ((f.llm ??= {}).concurrency = gitInt(v, k)),
  'lockreview.llm.cachedir': (f, v) => ((f.llm ??= {}).cacheDir = v),
};

/** The file-format key each git key fills, for error messages that name the git key. */
const FILE_KEY_TO_GIT: Record<string, string> = {
  failOn: 'lockreview.failOn',
  strict: 'lockreview.strict',
  include: 'lockreview.include',
  exclude: 'lockreview.exclude',
  disable: 'lockreview.disable',
  enable: 'lockreview.enable',
  severity: 'lockreview.severity',
  facts: 'lockreview.lockOrder / lockreview.wrapper',
};

/** Reads lockreview.* from git config as seen from `dir` (repository, global and system files).
 *  Null when no such key is set (or git is unavailable). */
export async function readGitConfig(dir: string): Promise<ConfigFile | null> {
  const r = await gitRead(existsSync(dir) ? dir : undefined, ['config', '--includes', '-z', '--get-regexp', '^lockreview\\.']);
  if (r.status !== 0 || !r.stdout) return null; // 1 = no matching key
  const file: ConfigFile = {};
  for (const entry of r.stdout.split('\0')) {
    if (!entry) continue;
    const nl = entry.indexOf('\n');
    const rawKey = nl < 0 ? entry : entry.slice(0, nl);
    const value = nl < 0 ? 'true' : entry.slice(nl + 1); // a bare `key` in a config file means true
    const handler = GIT_KEYS[rawKey.toLowerCase()];
    if (!handler) throw new InputError(GIT_SOURCE, `unknown key '${rawKey}' (known: ${knownGitKeys()})`);
    handler(file, value.trim(), rawKey);
  }
  await loadValidator();
  try {
    return validateConfigFile(file, GIT_SOURCE);
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // Name the git key rather than the file-format path.
    const path = err.message.match(/^([A-Za-z.\[\]0-9-]+):/)?.[1] ?? '';
    const top = path.split(/[.[]/)[0] ?? '';
    const gitKey = top === 'llm' ? `lockreview.${path}` : FILE_KEY_TO_GIT[top];
    throw new InputError(GIT_SOURCE, gitKey ? `${gitKey}: ${err.message.slice(path.length + 1).trim()}` : err.message);
  }
}

function knownGitKeys(): string {
  return ['failOn', 'strict', 'include', 'exclude', 'disable', 'enable', 'severity', 'lockOrder', 'wrapper', 'llm.url', 'llm.model', 'llm.keyEnv', 'llm.tasks', 'llm.timeoutMs', 'llm.concurrency', 'llm.cacheDir']
    .map((k) => `lockreview.${k}`)
    .join(', ');
}

function listValue(v: string): string[] {
  return v.split(/[\s,]+/).filter(Boolean);
}

/** Splits "a=b" or "a -> b". The arrow needs spaces around it: lock classes contain '->'. */
function pair(v: string, sep: '=' | '->', key: string, shape: string): [string, string] {
  const m = sep === '=' ? /=/.exec(v) : /\s->\s/.exec(v);
  const a = m ? v.slice(0, m.index).trim() : '';
  const b = m ? v.slice(m.index + m[0].length).trim() : '';
  if (!a || !b) throw new InputError(GIT_SOURCE, `${key}: expected '${shape}', got '${v}'`);
  return [a, b];
}

function gitBool(v: string, key: string): boolean {
  const s = v.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'off', '0', ''].includes(s)) return false;
  throw new InputError(GIT_SOURCE, `${key}: expected a boolean, got '${v}'`);
}

function gitInt(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw new InputError(GIT_SOURCE, `${key}: expected a whole number, got '${v}'`);
  return Number(v);
}
