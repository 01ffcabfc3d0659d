// Knowledge base: every rules/**/*.yaml (and .json) file, schema-checked, merged with the extra
// facts of the user's config. A schema error names the file and the entry (InputError).
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contentKey, parseYamlCached, readCached, writeCached } from './yaml-cache.js';
import type { FieldTypeFact, KnowledgeBase, LockOrderFact, Primitive } from '../engine/types.js';
import type { ExtraFacts } from '../config/index.js';
import { InputError } from '../errors.js';
import { rulesFileSchema, primitiveSchema, primitiveGroupSchema, lockOrderSchema, fieldTypeSchema } from './schema.js';
import type { z } from 'zod';
import { rulesDir } from '../assets.js';

/** The package's rules/ folder (same relative place from src/kb and build/kb). */
// Resolved through src/assets.ts so the Action bundle (dist/rules) finds it too.
export const RULES_DIR = rulesDir();

interface Facts {
  primitives: Primitive[];
  lockOrders: LockOrderFact[];
  fieldTypes: FieldTypeFact[];
  wrappers: Record<string, string>;
}

async function ruleFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await ruleFiles(p)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

function describeIssue(err: z.ZodError, data: unknown): string {
  const issue = err.issues[0]!;
  const path = issue.path;
  // Name the entry: `primitives[3] (spin_lock)` when the entry has a name.
  let where = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  if (path.length >= 2 && typeof path[1] === 'number') {
    const entry = (data as Record<string, unknown[]>)[String(path[0])]?.[path[1]] as Record<string, unknown> | undefined;
    const label = entry?.name ?? entry?.names ?? entry?.pattern ?? (entry?.before ? `${entry.before} -> ${entry.after}` : undefined);
    if (label) where += ` (${Array.isArray(label) ? label.join(', ') : String(label)})`;
  }
  return `${where || 'top level'}: ${issue.message}`;
}

/** Parses and validates one rules file's text. */
export function parseRulesText(name: string, text: string): Facts {
  let data: unknown;
  try {
    data = parseYamlCached(text, name.endsWith('.json'));
  } catch (e) {
    throw new InputError(name, `not valid ${name.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data == null) data = {};
  // Entries are checked one by one against the form they use, so the error names the field.
  const list = (data as Record<string, unknown>)?.primitives;
  if (Array.isArray(list)) {
    list.forEach((e, i) => {
      const schema = e && typeof e === 'object' && 'names' in e ? primitiveGroupSchema : primitiveSchema;
      const r = schema.safeParse(e);
      if (!r.success) {
        const issue = r.error.issues[0]!;
        const label = (e as Record<string, unknown>)?.name ?? (e as Record<string, unknown>)?.names;
        throw new InputError(name, `primitives[${i}]${label ? ` (${Array.isArray(label) ? label.join(', ') : String(label)})` : ''}${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
      }
    });
  }
  const r = rulesFileSchema.safeParse(data);
  if (!r.success) throw new InputError(name, describeIssue(r.error, data));
  const primitives: Primitive[] = [];
  for (const p of r.data.primitives ?? []) {
    if ('names' in p) {
      const { names, ...rest } = p;
      for (const n of names) primitives.push({ ...rest, name: n } as Primitive);
    } else primitives.push(p as Primitive);
  }
  return { primitives, lockOrders: r.data.lockOrders ?? [], fieldTypes: r.data.fieldTypes ?? [], wrappers: r.data.wrappers ?? {} };
}

function validateExtra(extra: ExtraFacts): Facts {
  const name = 'config facts';
  const check = <T>(schema: z.ZodType<T>, list: unknown[] | undefined, label: string): T[] =>
    (list ?? []).map((e, i) => {
      const r = schema.safeParse(e);
      if (!r.success) throw new InputError(name, `${label}[${i}]: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
      return r.data;
    });
  return {
    primitives: check(primitiveSchema, extra.primitives, 'primitives') as Primitive[],
    lockOrders: check(lockOrderSchema, extra.lockOrders, 'lockOrders'),
    fieldTypes: check(fieldTypeSchema, extra.fieldTypes, 'fieldTypes'),
    wrappers: extra.wrappers ?? {},
  };
}

export function buildKnowledgeBase(all: Facts[], source = 'rules'): KnowledgeBase {
  const prims = new Map<string, Primitive>();
  const orders: LockOrderFact[] = [];
  const fields: FieldTypeFact[] = [];
  const wrapperNames: Record<string, string> = {};
  for (const f of all) {
    for (const p of f.primitives) prims.set(p.name, p);
    orders.push(...f.lockOrders);
    fields.push(...f.fieldTypes);
    Object.assign(wrapperNames, f.wrappers);
  }
  const wrappers = new Map<string, Primitive>();
  for (const [w, target] of Object.entries(wrapperNames)) {
    const p = prims.get(target);
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
    primitive: (name) => prims.get(name),
    primitives: () => prims.values(),
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
  };
}

let cached: Promise<Facts[]> | null = null;

/** The text of the code that turns rules into Facts (the schemas), so that a changed schema
 *  never reuses Facts validated by the old one. In the Action bundle the schemas live inside the
 *  bundle itself. */
function validatorSource(): string {
  for (const url of [new URL('./schema.js', import.meta.url), new URL('./schema.ts', import.meta.url), new URL(import.meta.url)]) {
    try {
      return readFileSync(fileURLToPath(url), 'utf8');
    } catch {
      /* try the next */
    }
  }
  return '';
}

// Schema-checking every rules file costs more than the rest of a one-patch check's rules loading,
// yet its result depends only on the rules' text and the schemas. The validated Facts are cached
// keyed by exactly those (as the YAML is), so an unchanged rules/ skips zod entirely.
async function loadRuleFiles(): Promise<Facts[]> {
  const files = await ruleFiles(RULES_DIR);
  const named = await Promise.all(files.map(async (f) => ({ name: relative(join(RULES_DIR, '..'), f), text: await readFile(f, 'utf8') })));
  const key = contentKey('rules-facts-v1', validatorSource(), ...named.flatMap((r) => [r.name, r.text]));
  const cached = readCached(key);
  if (Array.isArray(cached)) return cached as Facts[];
  const out = named.map((r) => parseRulesText(r.name, r.text));
  writeCached(key, out);
  return out;
}

export async function loadKnowledgeBase(extra: ExtraFacts = {}): Promise<KnowledgeBase> {
  cached ??= loadRuleFiles();
  let facts: Facts[];
  try {
    facts = await cached;
  } catch (e) {
    cached = null;
    throw e;
  }
  return buildKnowledgeBase([...facts, validateExtra(extra)]);
}
