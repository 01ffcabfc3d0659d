// Knowledge base: every rules/**/*.yaml (and .json) file, schema-checked, merged with the extra
// facts of the user's config. A schema error names the file and the entry (InputError).
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentKey, readCached, writeCached } from './yaml-cache.js';
import type { FieldTypeFact, KnowledgeBase, LockOrderFact, Primitive } from '../engine/types.js';
import type { ExtraFacts } from '../config/index.js';
import { InputError } from '../errors.js';
import { rulesDir } from '../assets.js';
import { GENERATED_SLEEP_FAMILY } from '../engine/generated-facts.js';
import { byCodeUnit } from '../model/index.js';

/** The package's rules/ folder (same relative place from src/kb and build/kb). */
// Resolved through src/assets.ts so the Action bundle (dist/rules) finds it too.
export const RULES_DIR = rulesDir();

export interface Facts {
  primitives: Primitive[];
  lockOrders: LockOrderFact[];
  fieldTypes: FieldTypeFact[];
  wrappers: Record<string, string>;
  /** A generated sleep table's lines (schema.ts sleepTableSchema), made primitives on demand. */
  sleepTable?: string;
  /** Sources Kconfig never builds with an option set (schema.ts neverBuiltWithSchema). */
  neverBuilt?: { option: string; entries: NeverBuiltEntry[] };
}

/** A kernel path Kconfig never builds with some option: `path` (a directory ends in `/`) is built
 *  only under `symbol`, which cannot be enabled with the option (`where`: the Kconfig file:line of
 *  the `depends on !OPTION`, or of the dependency on `via`, a symbol that has one). */
export interface NeverBuiltEntry {
  path: string;
  symbol: string;
  where: string;
  via?: string | undefined;
}

/** The engine's knowledge base plus the facts only the pipeline's filters read. */
export interface RulesKnowledgeBase extends KnowledgeBase {
  /** The entry saying Kconfig never builds `file` with CONFIG_`option`=y, if any. `file` may be
   *  kernel-relative (a patch's path) or absolute (a scanned file): an entry matches whole path
   *  components at the end (a file) or inside (a directory), never part of one. */
  neverBuiltWith(option: string, file: string): NeverBuiltEntry | undefined;
}

/** Path components of a file, `\` read as `/` (a Windows scan path). */
const componentsOf = (path: string) => path.replace(/\\/g, '/').split('/').filter((c) => c !== '' && c !== '.');

/** Whether the entry's components occur in the file's: at the end for a file entry, before the
 *  last component for a directory entry. Any prefix is allowed: the tree's root is not known. */
function entryCovers(entry: NeverBuiltEntry, fileParts: readonly string[]): boolean {
  const isDir = entry.path.endsWith('/');
  const parts = componentsOf(entry.path);
  const last = fileParts.length - (isDir ? 1 : 0); // the window must end by here
  for (let start = isDir ? 0 : last - parts.length; start >= 0 && start + parts.length <= last; start++) {
    if (parts.every((p, i) => fileParts[start + i] === p)) return true;
    if (!isDir) break;
  }
  return false;
}

async function ruleFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  // Later files override earlier ones: the order must not depend on the locale.
  for (const e of entries.sort((a, b) => byCodeUnit(a.name, b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await ruleFiles(p)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

export function buildKnowledgeBase(all: Facts[], source = 'rules'): RulesKnowledgeBase {
  const prims = new Map<string, Primitive>();
  const orders: LockOrderFact[] = [];
  const fields: FieldTypeFact[] = [];
  const wrapperNames: Record<string, string> = {};
  const tables: string[] = [];
  const neverBuilt = new Map<string, NeverBuiltEntry[]>();
  for (const f of all) {
    if (f.neverBuilt) neverBuilt.set(f.neverBuilt.option, [...(neverBuilt.get(f.neverBuilt.option) ?? []), ...f.neverBuilt.entries]);
    for (const p of f.primitives) prims.set(p.name, p);
    orders.push(...f.lockOrders);
    fields.push(...f.fieldTypes);
    Object.assign(wrapperNames, f.wrappers);
    if (f.sleepTable) tables.push(f.sleepTable);
  }
  // Written primitives (any file's, and the config's) win over a generated table's line.
  const table = sleepTableLookup(tables);
  const primitive = (name: string) => prims.get(name) ?? table.get(name);
  const wrappers = new Map<string, Primitive>();
  for (const [w, target] of Object.entries(wrapperNames)) {
    const p = primitive(target);
    if (!p) throw new InputError(source, `wrapper ${w}: unknown primitive ${target}`);
    wrappers.set(w, { ...p, name: w, doc: `wrapper of ${target}${p.doc ? `: ${p.doc}` : ''}` });
  }
  const exact = new Map<string, FieldTypeFact>();
  const wild: Array<{ re: RegExp; fact: FieldTypeFact }> = [];
  for (const f of fields) {
    const pat = f.pattern.replace(/\s+/g, '');
    if (pat.includes('*')) wild.push({ re: new RegExp('^' + pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$'), fact: f });
    else exact.set(pat, f);
  }
  return {
    primitive,
    primitives: () => [...prims.values(), ...table.all().filter((p) => !prims.has(p.name))],
    lockOrders: () => orders,
    fieldType: (cls) => {
      const c = cls.replace(/\s+/g, '');
      const hit = exact.get(c);
      if (hit) return hit;
      // `vcpu->kvm->srcu` matches the rule `kvm->srcu`.
      const hop = /([A-Za-z_]\w*(?:->|\.)[A-Za-z_]\w*)$/.exec(c)?.[1];
      if (hop && exact.get(hop)) return exact.get(hop);
      return wild.find((w) => w.re.test(c))?.fact;
    },
    wrappers: () => wrappers,
    neverBuiltWith: (option, file) => {
      const entries = neverBuilt.get(option);
      if (!entries) return undefined;
      const parts = componentsOf(file);
      return entries.find((e) => entryCovers(e, parts));
    },
  };
}

/** The lines of generated sleep tables (`name file callee...`, sorted by name, which the schema
 *  checks). A name is found by binary search in the text itself: indexing the ~9,000 lines up front
 *  would cost a one-patch check ~8 ms, while it asks for a few hundred names. Only the lines asked
 *  for become primitives. */
function sleepTableLookup(tables: readonly string[]): { get(name: string): Primitive | undefined; all(): Primitive[] } {
  const made = new Map<string, Primitive | null>();
  const toPrimitive = (name: string, rest: string): Primitive => {
    const [file, ...chain] = rest.split(' ');
    // `name file @rt callee...`: sleeps only on PREEMPT_RT (schema.ts SLEEP_TABLE_LINE).
    const rtOnly = chain[0] === '@rt';
    if (rtOnly) chain.shift();
    const doc = `${file}:${rtOnly ? ' on PREEMPT_RT' : ''} -> ${chain.map((c) => (c.endsWith(')') ? c : `${c}()`)).join(' -> ')}`;
    const family = GENERATED_SLEEP_FAMILY;
    return rtOnly ? { name, family, op: 'sleep', ordering: 'none', sleepsOnRT: true, doc } : { name, family, op: 'sleep', ordering: 'none', sleeps: true, doc };
  };
  const get = (name: string): Primitive | undefined => {
    if (!tables.length) return undefined;
    let p = made.get(name);
    if (p === undefined) {
      p = null;
      for (const text of tables) {
        const rest = findSorted(text, name);
        if (rest != null) {
          p = toPrimitive(name, rest);
          break;
        }
      }
      made.set(name, p);
    }
    return p ?? undefined;
  };
  const all = () => {
    const names = new Set<string>();
    for (const text of tables) for (const line of text.split('\n')) if (line) names.add(line.slice(0, line.indexOf(' ')));
    return [...names].map((n) => get(n)!);
  };
  return { get, all };
}

/** The rest of the line of `text` (lines sorted by their first word) whose first word is `name`. */
function findSorted(text: string, name: string): string | undefined {
  let lo = 0; // always a line start
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = text.lastIndexOf('\n', mid - 1) + 1;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const sp = text.indexOf(' ', start);
    const key = text.slice(start, sp < 0 || sp > end ? end : sp);
    if (name < key) hi = start;
    else if (name > key) lo = end + 1;
    else return sp < 0 || sp > end ? '' : text.slice(sp + 1, end);
  }
  return undefined;
}

let cached: Promise<Facts[]> | null = null;

// Set by the bundles (scripts/bundle-defines.mjs): a hash of validate.ts and schema.ts.
declare const __LOCKREVIEW_VALIDATOR_KEY__: string | undefined;

/** The text of the code that turns rules into Facts (validate.ts and the schemas), so that a changed
 *  schema never reuses Facts validated by the old one. A bundle has them fixed at build time:
 *  reading the sources, or the bundle itself, on every run cost a one-patch check ~10 ms. */
function validatorSource(): string {
  if (typeof __LOCKREVIEW_VALIDATOR_KEY__ === 'string') return __LOCKREVIEW_VALIDATOR_KEY__;
  const texts: string[] = [];
  for (const url of [new URL('./validate.js', import.meta.url), new URL('./validate.ts', import.meta.url), new URL('./schema.js', import.meta.url), new URL('./schema.ts', import.meta.url)]) {
    try {
      texts.push(readFileSync(fileURLToPath(url), 'utf8'));
    } catch {
      /* not this layout */
    }
  }
  if (!texts.length) {
    try {
      texts.push(readFileSync(fileURLToPath(import.meta.url), 'utf8'));
    } catch {
      /* no source to key on: the cache key still covers the rules' text */
    }
  }
  return texts.join('\0');
}

// Schema-checking every rules file costs more than the rest of a one-patch check's rules loading,
// yet its result depends only on the rules' text and the schemas. The validated Facts are cached
// keyed by exactly those (as the YAML is), so an unchanged rules/ skips zod entirely.
async function loadRuleFiles(): Promise<Facts[]> {
  const files = await ruleFiles(RULES_DIR);
  const named = await Promise.all(files.map(async (f) => ({ name: relative(join(RULES_DIR, '..'), f), text: await readFile(f, 'utf8') })));
  const key = contentKey('rules-facts-v2', validatorSource(), ...named.flatMap((r) => [r.name, r.text]));
  const cached = readCached(key);
  if (Array.isArray(cached)) return cached as Facts[];
  const { parseRulesText } = await import('./validate.js');
  const out = named.map((r) => parseRulesText(r.name, r.text));
  writeCached(key, out);
  return out;
}

export async function loadKnowledgeBase(extra: ExtraFacts = {}): Promise<RulesKnowledgeBase> {
  cached ??= loadRuleFiles();
  let facts: Facts[];
  try {
    facts = await cached;
  } catch (e) {
    cached = null;
    throw e;
  }
  const hasExtra = !!(extra.primitives?.length || extra.lockOrders?.length || extra.fieldTypes?.length || Object.keys(extra.wrappers ?? {}).length);
  const extraFacts: Facts = hasExtra ? (await import('./validate.js')).validateExtra(extra) : { primitives: [], lockOrders: [], fieldTypes: [], wrappers: {} };
  return buildKnowledgeBase([...facts, extraFacts]);
}
