// Rules text -> validated Facts (YAML/JSON parse, then the zod schemas of ./schema.ts).
// Kept apart from ./index.ts so that the schemas are loaded only when something must be validated:
// a rules/ folder whose validated Facts are cached, and no facts in the user's configuration, never
// needs them (see loadRuleFiles in ./index.ts).
import type { z } from 'zod';
import type { Primitive } from '../engine/types.js';
import type { ExtraFacts } from '../config/index.js';
import { InputError } from '../errors.js';
import { parseYamlCached } from './yaml-cache.js';
import { rulesFileSchema, primitiveSchema, primitiveGroupSchema, lockOrderSchema, fieldTypeSchema, pairedRmwIssue } from './schema.js';
import type { Facts } from './index.js';

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
      const label = (e as Record<string, unknown>)?.name ?? (e as Record<string, unknown>)?.names;
      const where = `primitives[${i}]${label ? ` (${Array.isArray(label) ? label.join(', ') : String(label)})` : ''}`;
      if (!r.success) {
        const issue = r.error.issues[0]!;
        throw new InputError(name, `${where}${issue.path.length ? '.' + issue.path.join('.') : ''}: ${issue.message}`);
      }
      const paired = pairedRmwIssue(r.data);
      if (paired) throw new InputError(name, `${where}.pairedRmw: ${paired}`);
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
  const sleepTable = r.data.sleepTable ? { sleepTable: r.data.sleepTable.lines } : {};
  const neverBuilt = r.data.neverBuiltWith ? { neverBuilt: r.data.neverBuiltWith } : {};
  return { primitives, lockOrders: r.data.lockOrders ?? [], fieldTypes: r.data.fieldTypes ?? [], wrappers: r.data.wrappers ?? {}, ...sleepTable, ...neverBuilt };
}

export function validateExtra(extra: ExtraFacts): Facts {
  const name = 'config facts';
  const check = <T>(schema: z.ZodType<T>, list: unknown[] | undefined, label: string): T[] =>
    (list ?? []).map((e, i) => {
      const r = schema.safeParse(e);
      if (!r.success) throw new InputError(name, `${label}[${i}]: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}`);
      return r.data;
    });
  const primitives = check(primitiveSchema, extra.primitives, 'primitives') as Primitive[];
  primitives.forEach((p, i) => {
    const paired = pairedRmwIssue(p);
    if (paired) throw new InputError(name, `primitives[${i}]: pairedRmw ${paired}`);
  });
  return {
    primitives,
    lockOrders: check(lockOrderSchema, extra.lockOrders, 'lockOrders'),
    fieldTypes: check(fieldTypeSchema, extra.fieldTypes, 'fieldTypes'),
    wrappers: extra.wrappers ?? {},
  };
}
