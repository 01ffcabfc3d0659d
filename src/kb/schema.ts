// The schema of rules/**/*.yaml, mirroring src/engine/types.ts. rules/schema.md documents it.
import { z } from 'zod';

const lockKind = z.enum(['spinlock', 'raw_spinlock', 'rwlock', 'mutex', 'rwsem', 'semaphore', 'local_lock', 'bit_spinlock', 'seqcount_write', 'srcu', 'rcu', 'bitlock']);
const ordering = z.enum(['full', 'acquire', 'release', 'relaxed', 'none']);
const op = z.enum([
  'lock', 'trylock', 'unlock', 'rmw', 'load', 'store', 'fence', 'wait', 'sleep', 'context',
  'seq-read-begin', 'seq-read-retry', 'seq-write-begin', 'seq-write-end',
  'srcu-read-lock', 'srcu-read-unlock', 'srcu-sync', 'srcu-barrier', 'srcu-call', 'srcu-cleanup', 'srcu-deref',
  'assert-held',
]);

export const contextEffectSchema = z.strictObject({
  preempt: z.union([z.literal(1), z.literal(-1)]).optional(),
  irq: z.enum(['off', 'on', 'restore']).optional(),
  bh: z.enum(['off', 'on']).optional(),
  rcu: z.union([z.literal(1), z.literal(-1)]).optional(),
});

export const primitiveSchema = z.strictObject({
  name: z.string().min(1),
  family: z.string().min(1),
  op,
  ordering,
  kind: lockKind.optional(),
  lockArg: z.number().int().min(0).optional(),
  bitArg: z.number().int().min(0).optional(),
  mode: z.enum(['exclusive', 'shared']).optional(),
  trySuccess: z.enum(['nonzero', 'zero']).optional(),
  context: contextEffectSchema.optional(),
  sleeps: z.boolean().optional(),
  sleepsOnRT: z.boolean().optional(),
  gfpArg: z.number().int().min(0).optional(),
  lockExpr: z.string().min(1).optional(), // seqcount/srcu owner: target as a template over args, e.g. "{0}->kvm->srcu"
  doc: z.string().optional(),
  orders: z.enum(['loads', 'stores']).optional(),
  pairedRmw: z.enum(['preceding', 'following']).optional(),
});

/** A rule zod's object shape cannot say (a refinement would stop primitiveGroupSchema's omit()):
 *  pairedRmw describes how a full fence gets its ordering, so it belongs on `op: fence` with
 *  `ordering: full` only. Returns the issue, or null. */
export function pairedRmwIssue(entry: { op: string; ordering: string; pairedRmw?: string | undefined }): string | null {
  if (entry.pairedRmw == null) return null;
  if (entry.op !== 'fence' || entry.ordering !== 'full') return `pairedRmw is for full fences (op: fence, ordering: full), not op: ${entry.op}, ordering: ${entry.ordering}`;
  return null;
}

/** A compact form for families: `names: [a, b]` with shared fields expands to one primitive each. */
export const primitiveGroupSchema = primitiveSchema.omit({ name: true }).extend({ names: z.array(z.string().min(1)).min(1) });

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

/** A generated table of functions that sleep (rules/primitives/sleep-6.12-generated.yaml): one line
 *  per function, `name file callee...` (the chain of calls to the sleeping primitive; a cleanup
 *  guard is written `guard(mutex)`), or `name file @rt callee...` for a function that sleeps only
 *  on PREEMPT_RT (its chain ends in a spinlock_t/rwlock_t/local_lock_t), sorted by name. Thousands of lines as primitives would cost
 *  every check's start-up ~20 ms; as one sorted string they cost a few ms, and src/kb/index.ts
 *  makes a line a primitive only when a call asks for its name. */
export const SLEEP_TABLE_LINE = /^[A-Za-z_]\w* [\w./+,-]+(?: @rt)?(?: [A-Za-z_][\w()]*)+$/;
export const sleepTableSchema = z.strictObject({
  lines: z.string().superRefine((text, ctx) => {
    const lines = text.split('\n');
    const bad = lines.findIndex((l) => l !== '' && !SLEEP_TABLE_LINE.test(l));
    if (bad >= 0) ctx.addIssue({ code: 'custom', message: `line ${bad + 1} is not "name file [@rt] callee...": ${lines[bad]}` });
    // Sorted by name (JavaScript string order): src/kb/index.ts finds a name by binary search.
    const names = lines.filter(Boolean).map((l) => l.slice(0, l.indexOf(' ')));
    const unsorted = names.findIndex((n, i) => i > 0 && !(names[i - 1]! < n));
    if (unsorted >= 0) ctx.addIssue({ code: 'custom', message: `line ${unsorted + 1} (${names[unsorted]}) is not after ${names[unsorted - 1]}: lines must be sorted by name, without repeats` });
  }),
});

/** Sources a kernel's Kconfig never builds with an option set (rules/kconfig/never-rt-6.12.yaml,
 *  made by scripts/gen-kconfig-rt.mjs): `path` is kernel-relative, a directory ends in `/`;
 *  `where` is the Kconfig file:line that gives `symbol` (or `via`, a symbol it depends on) its
 *  `depends on !OPTION`. */
export const neverBuiltEntrySchema = z.strictObject({
  path: z.string().refine((p) => !p.startsWith('/') && p.replace(/\/$/, '').split('/').every((c) => c !== '' && c !== '.' && c !== '..'), 'a kernel-relative path (no leading /, no empty, . or .. components)'),
  symbol: z.string().regex(/^\w+$/),
  where: z.string().regex(/^[\w.+,/-]+:\d+$/, 'Kconfig file:line'),
  via: z.string().regex(/^\w+$/).optional(),
});
export const neverBuiltWithSchema = z.strictObject({
  option: z.string().regex(/^\w+$/, 'a Kconfig symbol without CONFIG_'),
  entries: z.array(neverBuiltEntrySchema),
});

// Top level is open: other sections (e.g. gfp.yaml's) are read by the modules that own them.
export const rulesFileSchema = z.looseObject({
  primitives: z.array(z.union([primitiveSchema, primitiveGroupSchema])).optional(),
  lockOrders: z.array(lockOrderSchema).optional(),
  fieldTypes: z.array(fieldTypeSchema).optional(),
  wrappers: z.record(z.string(), z.string()).optional(),
  sleepTable: sleepTableSchema.optional(),
  neverBuiltWith: neverBuiltWithSchema.optional(),
});

export type RulesFile = z.infer<typeof rulesFileSchema>;
