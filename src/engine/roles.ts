// Function roles: which functions run in hard-IRQ, softirq/timer, irq_chip, NMI, RCU-callback or
// non-blockable MMU-notifier context, learnt from how the parsed unit registers them.
//
// Approach: one pass over the syntax tree of a whole file (or a hunk fragment) looking for
//  - registration calls (request_irq(irq, handler, ...), timer_setup(t, fn, 0), call_rcu(h, fn) ...)
//    anywhere, including file-scope macros (DEFINE_TIMER, DECLARE_TASKLET);
//  - designated initialisers of ops structs (`static struct irq_chip c = { .irq_set_type = fn }`),
//    also nested ones whose field names only that struct uses;
//  - assignments of callback fields (`chip->irq_mask = fn`, `t->timer.function = fn`);
//  - function definitions whose signature can only belong to a callback of one kind
//    (`enum hrtimer_restart fn(struct hrtimer *)`, `foo_set_type(struct irq_data *, ...)`); for a
//    hunk fragment the signature is git's hunk header (parameters and return type).
// The checks add roles from registrations in other hunks of the same file (detectRoles on them).
// Which call/field/shape means which role is data: rules/roles.yaml.
//
// Blind spots: a function registered in another file (or through a variable holding the function
// pointer, or an ops table built at run time) gets no role unless its signature gives it away;
// request_any_context_irq() handlers are left alone (hard-IRQ or threaded depends on the chip);
// IRQF_NO_THREAD / force-threading and HRTIMER_MODE_*_HARD are not distinguished: the engine
// decides from the role alone whether the context stays atomic on PREEMPT_RT.

import { join } from 'node:path';
import { readYamlFileCached } from '../kb/yaml-cache.js';
import { z } from 'zod';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { FunctionRole } from './types.js';
import { SYNTHETIC_PREFIX } from './units.js';
import { rulesDir } from '../assets.js';

const ROLE_NAMES = [
  'hardirq',
  'threaded-irq',
  'softirq',
  'timer',
  'irq-chip',
  'nmi',
  'mmu-notifier-nonblock',
  'rcu-callback',
] as const satisfies readonly FunctionRole[];
const roleSchema = z.enum(ROLE_NAMES);

const roleRulesSchema = z.object({
  calls: z.array(z.object({ name: z.string(), arg: z.number().int().min(0), role: roleSchema })),
  structFields: z.array(
    z.object({ struct: z.string(), distinctive: z.boolean(), role: roleSchema, fields: z.array(z.string()).min(1) }),
  ),
  assignments: z.array(z.object({ field: z.string(), object: z.string(), role: roleSchema })),
  shapes: z.array(
    z.object({
      returns: z.string().optional(),
      params: z.array(z.string()).min(1),
      paramsPrefix: z.boolean().optional(),
      nameSuffixes: z.array(z.string()).optional(),
      bodyUses: z.array(z.string()).optional(),
      role: roleSchema,
    }),
  ),
});
export type RoleRules = z.infer<typeof roleRulesSchema>;

const RULES_PATH = `${rulesDir()}/roles.yaml`; // src/assets.ts: also right inside the Action bundle
let cached: RoleRules | null = null;

/** The role registration facts of rules/roles.yaml, validated once per process. */
export function roleRules(): RoleRules {
  if (cached) return cached;
  const parsed = roleRulesSchema.safeParse(readYamlFileCached(RULES_PATH));
  if (!parsed.success) throw new Error(`rules/roles.yaml: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  cached = parsed.data;
  return cached;
}

/** The node types detectRoles looks at (the cases of its switch). */
const ROLE_NODE_TYPES: readonly string[] = ['call_expression', 'macro_type_specifier', 'initializer_list', 'assignment_expression', 'function_definition'];

/** Roles of the functions of one parsed unit, by function name. */
export function detectRoles(root: SyntaxNode): Map<string, FunctionRole[]> {
  const rules = roleRules();
  const out = new Map<string, FunctionRole[]>();
  const add = (fn: string | null, role: FunctionRole) => {
    if (!fn || !/^[A-Za-z_]\w*$/.test(fn) || fn === 'NULL') return;
    const list = out.get(fn) ?? [];
    if (!list.includes(role)) list.push(role);
    out.set(fn, list);
  };
  const callRules = new Map<string, RoleRules['calls']>();
  for (const c of rules.calls) callRules.set(c.name, [...(callRules.get(c.name) ?? []), c]);
  const fieldRole = (structName: string | null, field: string): FunctionRole | null => {
    for (const s of rules.structFields) {
      if (!s.fields.includes(field)) continue;
      if (structName === s.struct || (structName === null && s.distinctive)) return s.role;
    }
    return null;
  };

  walk(root, ROLE_NODE_TYPES, (node) => {
    switch (node.type) {
      case 'call_expression': {
        const callee = node.childForFieldName('function');
        const list = callee?.type === 'identifier' ? callRules.get(callee.text) : undefined;
        if (!list) return;
        const args = node.childForFieldName('arguments')?.namedChildren.filter(isNode) ?? [];
        for (const r of list) add(callbackName(args[r.arg]), r.role);
        return;
      }
      case 'macro_type_specifier': {
        // `static DECLARE_TASKLET(name, fn);` at file scope parses as a macro type.
        const name = node.childForFieldName('name')?.text ?? node.namedChildren[0]?.text;
        const list = name ? callRules.get(name) : undefined;
        if (!list) return;
        const args = descendantsOfType(node, 'type_identifier').map((n) => n.text);
        for (const r of list) add(args[r.arg] ?? null, r.role);
        return;
      }
      case 'initializer_list': {
        const structName = initialisedStruct(node);
        for (const pair of node.namedChildren.filter(isNode)) {
          if (pair.type !== 'initializer_pair') continue;
          const designators = pair.childrenForFieldName('designator').filter(isNode);
          const last = designators[designators.length - 1];
          const value = pair.childForFieldName('value');
          if (last?.type !== 'field_designator' || !value || value.type === 'initializer_list') continue;
          const field = last.namedChildren[0]?.text ?? '';
          const role = fieldRole(structName, field);
          if (role) add(callbackName(value), role);
        }
        return;
      }
      case 'assignment_expression': {
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        if (left?.type !== 'field_expression' || !right) return;
        const field = left.childForFieldName('field')?.text ?? '';
        const object = left.childForFieldName('argument')?.text ?? '';
        const role = fieldRole(null, field);
        if (role) add(callbackName(right), role);
        for (const a of rules.assignments) {
          if (a.field === field && new RegExp(a.object, 'i').test(object)) add(callbackName(right), a.role);
        }
        return;
      }
      case 'function_definition': {
        let shape = functionShape(node);
        if (!shape) return;
        if (shape.name.startsWith(SYNTHETIC_PREFIX)) {
          // A hunk fragment wrapped by the engine: the parameters come from git's hunk header, and
          // so does the return type (the header rides along as a comment after the parameter
          // list); the wrapper's own `void` is not the function's. The body is a part of the
          // real one: what it uses is evidence (from_timer() in view), what it lacks is not.
          const name = shape.name.slice(SYNTHETIC_PREFIX.length);
          shape = { name, returns: headerReturnType(node, name), params: shape.params, body: shape.body };
        }
        for (const role of rolesFromShape(shape)) add(shape.name, role);
        return;
      }
    }
  });
  return out;
}

/** What a function definition looks like from outside: enough to recognise a callback type. */
export interface FunctionShape {
  name: string;
  returns: string | null; // return type text, "enum hrtimer_restart"; null when not seen
  params: string[]; // parameter types without names: "struct irq_data *"
  body: string; // body text ('' when not seen)
}

/** Roles implied by a function's signature alone (rules/roles.yaml `shapes`). Also used by checks
 *  in hunk-only mode, where the registration is rarely inside the hunk. */
export function rolesFromShape(shape: FunctionShape): FunctionRole[] {
  const roles: FunctionRole[] = [];
  const norm = (t: string) => t.replace(/\bconst\b/g, '').replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').trim();
  const params = shape.params.map(norm);
  for (const s of roleRules().shapes) {
    const want = s.params.map(norm);
    const paramsMatch = s.paramsPrefix
      ? want.every((w, i) => params[i] === w)
      : want.length === params.length && want.every((w, i) => params[i] === w);
    if (!paramsMatch) continue;
    if (s.returns && (shape.returns === null || norm(shape.returns.replace(/\b(static|inline|__always_inline|noinline|notrace)\b/g, '')) !== norm(s.returns))) continue;
    if (s.nameSuffixes && !s.nameSuffixes.some((suf) => shape.name.endsWith(suf))) continue;
    if (s.bodyUses && !s.bodyUses.some((u) => new RegExp(`\\b${u}\\s*\\(`).test(shape.body))) continue;
    if (!roles.includes(s.role)) roles.push(s.role);
  }
  return roles;
}

/** Parse a hunk header's function context ("static int foo_set_type(struct irq_data *d, unsigned int t)")
 *  into a shape, for fragments that do not contain the function's definition. */
export function shapeFromHeader(name: string, header: string): FunctionShape | null {
  const m = new RegExp(`^(.*?)\\b${name}\\s*\\((.*)\\)?`).exec(header);
  if (!m) return null;
  const returns = m[1]!.replace(/\b(static|inline|extern|__init|__exit)\b/g, '').trim() || null;
  const params = (m[2] ?? '')
    .replace(/\).*$/, '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p && p !== 'void')
    .map(paramTypeFromDecl);
  return { name, returns, params, body: '' };
}

/** The return type git's hunk header gives a wrapped fragment's function, read from the header
 *  comment the engine writes after the wrapper's parameter list (src/engine/units.ts); null when
 *  the header does not show it (a cut-off or continuation line). */
function headerReturnType(def: SyntaxNode, name: string): string | null {
  const m = /^[^{]*?\/\*\s*(.*?)\s*\*\/\s*\{/.exec(def.text);
  if (!m) return null;
  return shapeFromHeader(name, m[1]!)?.returns ?? null;
}

function paramTypeFromDecl(decl: string): string {
  // "struct irq_data *data" -> "struct irq_data *"; "unsigned int type" -> "unsigned int"
  const m = /^(.*?)(\**)\s*([A-Za-z_]\w*)\s*(\[.*\])?$/.exec(decl.trim());
  if (!m) return decl.trim();
  const base = m[1]!.trim();
  const stars = m[2] ?? '';
  if (!base) return decl.trim(); // a bare type such as "int"
  return `${base}${stars ? ' ' + stars : ''}`.trim();
}

function functionShape(def: SyntaxNode): FunctionShape | null {
  let decl = def.childForFieldName('declarator');
  let pointerReturn = '';
  while (decl && decl.type !== 'function_declarator') {
    if (decl.type === 'pointer_declarator') pointerReturn += '*';
    decl = decl.childForFieldName('declarator');
  }
  if (!decl) return null;
  const nameNode = decl.childForFieldName('declarator');
  if (nameNode?.type !== 'identifier') return null;
  const typeNode = def.childForFieldName('type');
  const returns = typeNode ? `${typeNode.text}${pointerReturn ? ' ' + pointerReturn : ''}` : null;
  const params: string[] = [];
  for (const p of decl.childForFieldName('parameters')?.namedChildren.filter(isNode) ?? []) {
    if (p.type !== 'parameter_declaration') continue;
    const t = p.childForFieldName('type')?.text ?? '';
    let d = p.childForFieldName('declarator');
    let stars = '';
    while (d && (d.type === 'pointer_declarator' || d.type === 'abstract_pointer_declarator')) {
      stars += '*';
      d = d.childForFieldName('declarator');
    }
    const quals = p.namedChildren.filter(isNode).filter((c) => c.type === 'type_qualifier').map((c) => c.text);
    const full = [...quals, t].join(' ');
    if (full === 'void' && !stars) continue;
    params.push(stars ? `${full} ${stars}` : full);
  }
  return { name: nameNode.text, returns, params, body: def.childForFieldName('body')?.text ?? '' };
}

/** The struct type an initializer list initialises, when its declaration says so. */
function initialisedStruct(list: SyntaxNode): string | null {
  let n: SyntaxNode | null = list.parent;
  // Arrays of ops structs: `static const struct irq_chip chips[] = { { ... }, { ... } };`
  while (n && n.type === 'initializer_list') n = n.parent;
  if (n?.type === 'init_declarator') n = n.parent;
  if (n?.type === 'declaration') {
    const t = n.childForFieldName('type');
    if (t?.type === 'struct_specifier') return t.childForFieldName('name')?.text ?? null;
    return null;
  }
  if (n?.type === 'compound_literal_expression') {
    const t = n.childForFieldName('type')?.text ?? '';
    const m = /struct\s+(\w+)/.exec(t);
    return m ? m[1]! : null;
  }
  return null;
}

/** The function an argument names: `fn`, `&fn`, `(irq_handler_t)fn`, `(fn)`. */
function callbackName(arg: SyntaxNode | null | undefined): string | null {
  let n = arg ?? null;
  for (let i = 0; n && i < 4; i++) {
    if (n.type === 'identifier') return n.text;
    if (n.type === 'pointer_expression' || n.type === 'parenthesized_expression') n = n.namedChildren[n.namedChildren.length - 1] ?? null;
    else if (n.type === 'cast_expression') n = n.childForFieldName('value');
    else return null;
  }
  return null;
}

function isNode(n: SyntaxNode | null): n is SyntaxNode {
  return n !== null;
}

function descendantsOfType(node: SyntaxNode, type: string): SyntaxNode[] {
  const found: SyntaxNode[] = [];
  walk(node, [type], (n) => found.push(n));
  return found;
}

// Tree-sitter finds the nodes of the wanted types itself, in one call into WASM; walking every
// node from JavaScript (a node object per node) cost more than the parse on large scans. The
// order is pre-order, as a walk would give.
function walk(node: SyntaxNode, types: readonly string[], visit: (n: SyntaxNode) => void): void {
  if (types.includes(node.type)) visit(node);
  for (const n of node.descendantsOfType(types as string[])) {
    if (n && n.id !== node.id) visit(n);
  }
}
