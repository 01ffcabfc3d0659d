// The configuration file's schema (.lockreview.toml / .lockreview.json / --config FILE), strict:
// an unknown key or a wrong type is an error naming the file and the key path, never ignored (a
// typo in `disable` silently enabling a rule is worse than a refusal). Git config lockreview.* keys
// map onto the same shape (see load.ts), so there is one vocabulary whatever the source.
//
// Facts use the knowledge base's shapes (src/engine/types.ts: Primitive, LockOrderFact,
// FieldTypeFact), so a user's subsystem facts are written exactly like rules/*.yaml entries.

import { z } from 'zod';
import { InputError } from '../errors.js';

export const severitySchema = z.enum(['error', 'warning', 'info']);
export const failOnSchema = z.enum(['error', 'warning', 'info', 'never']);

const primitiveOps = [
  'lock', 'trylock', 'unlock', 'rmw', 'load', 'store', 'fence', 'wait', 'sleep', 'context',
  'seq-read-begin', 'seq-read-retry', 'seq-write-begin', 'seq-write-end',
  'srcu-read-lock', 'srcu-read-unlock', 'srcu-sync', 'srcu-barrier', 'srcu-call', 'srcu-cleanup', 'srcu-deref',
] as const;
const lockKinds = [
  'spinlock', 'raw_spinlock', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'bit_spinlock',
  'seqcount_write', 'srcu', 'rcu', 'bitlock',
] as const;

const argIndex = z.number().int().min(0);

export const primitiveSchema = z.strictObject({
  name: z.string().min(1),
  family: z.string().min(1),
  op: z.enum(primitiveOps),
  ordering: z.enum(['full', 'acquire', 'release', 'relaxed', 'none']),
  kind: z.enum(lockKinds).optional(),
  lockArg: argIndex.optional(),
  bitArg: argIndex.optional(),
  mode: z.enum(['exclusive', 'shared']).optional(),
  trySuccess: z.enum(['nonzero', 'zero']).optional(),
  context: z
    .strictObject({
      preempt: z.union([z.literal(1), z.literal(-1)]).optional(),
      irq: z.enum(['off', 'on', 'restore']).optional(),
      bh: z.enum(['off', 'on']).optional(),
      rcu: z.union([z.literal(1), z.literal(-1)]).optional(),
    })
    .optional(),
  sleeps: z.boolean().optional(),
  sleepsOnRT: z.boolean().optional(),
  gfpArg: argIndex.optional(),
  doc: z.string().optional(),
});

export const lockOrderSchema = z.strictObject({
  before: z.string().min(1),
  after: z.string().min(1),
  source: z.string().min(1),
  note: z.string().optional(),
});

export const fieldTypeSchema = z.strictObject({
  pattern: z.string().min(1),
  type: z.string().min(1),
  associatedLock: z.string().optional(),
});

export const factsSchema = z.strictObject({
  primitives: z.array(primitiveSchema).optional(),
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
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new InputError(name, `unknown key '${keyPath([...issue.path, issue.keys[0] ?? ''])}'`);
  }
  const key = issue.path.length ? keyPath(issue.path) : '(top level)';
  throw new InputError(name, `${key}: ${issue.message}`);
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
