// The configuration file's schema (.lockreview.toml / .lockreview.json / --config FILE), strict:
// an unknown key or a wrong type is an error naming the file and the key path, never ignored (a
// typo in `disable` silently enabling a rule is worse than a refusal). Git config lockreview.* keys
// map onto the same shape (see load.ts), so there is one vocabulary whatever the source.
//
// Facts use the knowledge base's own schemas (src/kb/schema.ts, the shapes of src/engine/types.ts),
// so a user's subsystem facts are written exactly like rules/*.yaml entries.

import { z } from 'zod';
import { InputError } from '../errors.js';
import { primitiveSchema, primitiveGroupSchema, lockOrderSchema, fieldTypeSchema } from '../kb/schema.js';

export const severitySchema = z.enum(['error', 'warning', 'info']);
export const failOnSchema = z.enum(['error', 'warning', 'info', 'never']);

export const factsSchema = z.strictObject({
  /** One entry per primitive, or a family entry with `names: [...]` sharing the other fields. */
  primitives: z.array(z.union([primitiveSchema, primitiveGroupSchema])).optional(),
  lockOrders: z.array(lockOrderSchema).optional(),
  fieldTypes: z.array(fieldTypeSchema).optional(),
  /** Wrapper name -> the primitive it behaves as. */
  wrappers: z.record(z.string(), z.string().min(1)).optional(),
});

export const llmSchema = z.strictObject({
  url: z.url().optional(),
  model: z.string().min(1).optional(),
  /** The NAME of the environment variable holding the key; the key itself never goes in a file. */
  keyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  tasks: z.array(z.enum(['word', 'triage'])).optional(),
  timeoutMs: z.number().int().positive().optional(),
  concurrency: z.number().int().positive().max(64).optional(),
  cacheDir: z.string().min(1).optional(),
});

const ruleName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a check id or a class (kebab-case)');

/** The file format. Every key is optional; absent keys keep the lower layer's value. */
export const configFileSchema = z.strictObject({
  failOn: failOnSchema.optional(),
  /** Report unused in-code suppressions (same as --strict). */
  strict: z.boolean().optional(),
  /** Path globs: only findings in matching files are kept (empty = all). */
  include: z.array(z.string().min(1)).optional(),
  exclude: z.array(z.string().min(1)).optional(),
  /** Check ids or classes to turn off / back on (enable wins over a lower layer's disable). */
  disable: z.array(ruleName).optional(),
  enable: z.array(ruleName).optional(),
  /** Check id or class -> severity. */
  severity: z.record(ruleName, severitySchema).optional(),
  facts: factsSchema.optional(),
  llm: llmSchema.optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Validates parsed data; the first problem becomes an InputError naming the file and key path. */
export function validateConfigFile(data: unknown, name: string): ConfigFile {
  const r = configFileSchema.safeParse(data);
  if (r.success) return r.data;
  const issue = explain(r.error.issues[0]!, []);
  if (issue.code === 'unrecognized_keys') {
    const key = keyPath([...issue.path, issue.keys[0] ?? '']);
    const hint = /^llm\.(api)?_?key$/i.test(key) ? ': the key itself never goes in configuration; set llm.keyEnv to the name of the environment variable that holds it' : '';
    throw new InputError(name, `unknown key '${key}'${hint}`);
  }
  const key = issue.path.length ? keyPath(issue.path) : '(top level)';
  throw new InputError(name, `${key}: ${issue.message}`);
}

type Issue = z.core.$ZodIssue;

/** For a union (a primitive or a family entry), the branch that got furthest explains the error
 *  best: "unknown key 'facts.primitives[0].lockarg'" rather than "invalid input". */
function explain(issue: Issue, prefix: PropertyKey[]): Issue {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || !issue.errors.length) return { ...issue, path } as Issue;
  // A branch that only misses a required key (`names` for a plain primitive) is the wrong branch.
  const missing = (i: Issue) => i.code === 'invalid_type' && /received undefined/.test(i.message);
  let best: Issue | null = null;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const cand = explain(first, path);
    if (!best || (missing(best) && !missing(cand)) || (missing(best) === missing(cand) && cand.path.length > best.path.length)) best = cand;
  }
  return best ?? ({ ...issue, path } as Issue);
}

/** ['facts', 'lockOrders', 0, 'before'] -> "facts.lockOrders[0].before" */
export function keyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += (out ? '.' : '') + String(p);
  }
  return out;
}
