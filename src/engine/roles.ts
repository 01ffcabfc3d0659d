// Function roles: which functions run in hard-IRQ, softirq/timer, irq_chip, NMI, RCU-callback or
// non-blockable MMU-notifier context, or are ops-struct callbacks the core always calls in atomic
// context (ndo_set_rx_mode under netif_addr_lock_bh, uart_ops.start_tx under port->lock, clk_ops
// .enable under enable_lock, pci_ops .read under the raw pci_lock ...), learnt from how the parsed
// unit registers them or from their signatures.
//
// Approach: over the text of a whole file (or a hunk fragment), the places that can carry a role:
//  - registration calls (request_irq(irq, handler, ...), timer_setup(t, fn, 0), call_rcu(h, fn) ...)
//    anywhere, including file-scope macros (DEFINE_TIMER, DECLARE_TASKLET);
//  - designated initialisers of ops structs (`static struct irq_chip c = { .irq_set_type = fn }`),
//    also nested ones whose field names only that struct uses;
//  - assignments of callback fields (`chip->irq_mask = fn`, `t->timer.function = fn`);
//  - function definitions whose signature can only belong to a callback of one kind
//    (`enum hrtimer_restart fn(struct hrtimer *)`, `foo_set_type(struct irq_data *, ...)`); for a
//    hunk fragment the signature is git's hunk header (parameters and return type).
// Those places are found by regular expressions over the names the rules use, and only their
// syntax nodes are read (see detectRoles). The checks add roles from registrations in other hunks
// of the same file, and find the line that registered a function (detectRegistrations: the rows
// each registration spans, without the roles of signatures). Which call/field/shape means which role, and what each
// role means (atomic, on PREEMPT_RT too, the finding's wording), is data: rules/roles.yaml.
//
// Blind spots: a function registered in another file (or through a variable holding the function
// pointer, or an ops table built at run time) gets no role unless its signature gives it away;
// request_any_context_irq() handlers are left alone (hard-IRQ or threaded depends on the chip);
// IRQF_NO_THREAD / force-threading and HRTIMER_MODE_*_HARD are not distinguished: the engine
// decides from the role alone whether the context stays atomic on PREEMPT_RT; a callback called
// atomically only on some paths or configurations (uart_ops.tx_empty, ndo_get_stats64) has no role.

import { readYamlFileCached } from '../kb/yaml-cache.js';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type { ContextRole, FunctionRole } from './types.js';
import { SYNTHETIC_PREFIX } from './units.js';
import { rulesDir } from '../assets.js';

/** The roles code names (src/engine/types.ts ContextRole); rules/roles.yaml must define them all. */
const CONTEXT_ROLES = [
  'hardirq',
  'threaded-irq',
  'softirq',
  'timer',
  'irq-chip',
  'nmi',
  'mmu-notifier-nonblock',
  'rcu-callback',
] as const satisfies readonly ContextRole[];

/** What a role means for sleeping (rules/roles.yaml `contexts`). */
export interface RoleContext {
  atomic: boolean;
  onRT: boolean;
  text: string;
}

export interface RoleRules {
  contexts: ReadonlyMap<FunctionRole, RoleContext>;
  calls: Array<{ name: string; arg: number; role: FunctionRole }>;
  structFields: Array<{ struct: string; distinctive: boolean; role?: FunctionRole; fields: string[] }>;
  assignments: Array<{ field: string; object: string; role: FunctionRole }>;
  shapes: Array<{ returns?: string; params: string[]; paramsPrefix?: boolean; nameSuffixes?: string[]; bodyUses?: string[]; role: FunctionRole }>;
}

const RULES_PATH = `${rulesDir()}/roles.yaml`; // src/assets.ts: also right inside the Action bundle
let cached: CompiledRules | null = null;

/** The role registration facts of rules/roles.yaml, validated once per process. */
export function roleRules(): RoleRules {
  return compiledRules().rules;
}

/** Whether a role is atomic, on PREEMPT_RT too, and how a finding words it; null for a role the
 *  rules do not define. */
export function roleContext(role: FunctionRole): RoleContext | null {
  return compiledRules().rules.contexts.get(role) ?? null;
}

// The rules, with what detection derives from them once: calls by name, and the regular
// expressions that find in a unit's text the only places a rule can apply.
interface CompiledRules {
  rules: RoleRules;
  callRules: Map<string, RoleRules['calls']>;
  /** Registration call (or file-scope macro) names: `request_irq`, `DECLARE_TASKLET`. */
  callNames: RegExp | null;
  /** `.field` / `->field` of the fields that count anywhere: those of distinctive structs (in a
   *  nested initialiser or an assignment) and of assignments rules. */
  accessedFields: RegExp | null;
  /** `.field =` of the other structFields fields: they count only as a designated initialiser
   *  (`->read` or `.enable(` is no registration), which most `.read` / `.enable` in a file are not. */
  designatedFields: RegExp | null;
  fieldsWithRules: Set<string>;
  /** One word of each shape's parameter types ("irq_data"): a function whose header lacks all of
   *  them matches no shape. */
  shapeWords: RegExp | null;
  /** The same, for one header (not global: no lastIndex to carry). */
  shapeWord: RegExp | null;
  /** `word`: the shape's distinctive parameter type word ("pci_bus"), '' when all are keywords. */
  shapes: Array<RoleRules['shapes'][number] & { normParams: string[]; normReturns: string | null; bodyRes: RegExp[]; word: string; wordRe: RegExp | null }>;
  /** `struct S` of every S whose op a shape's role names (`clk_ops` of `clk_ops.enable`). */
  opsStructs: RegExp | null;
}

function compiledRules(): CompiledRules {
  if (cached) return cached;
  // Validation is a walk over a few hundred plain values (no schema library: loading one costs
  // more than a whole hunk-only check's role detection); the YAML parse is content-cached.
  const rules = validateRoleRules(readYamlFileCached(RULES_PATH));
  const callRules = new Map<string, RoleRules['calls']>();
  for (const c of rules.calls) callRules.set(c.name, [...(callRules.get(c.name) ?? []), c]);
  const fields = new Set<string>([...rules.structFields.flatMap((s) => s.fields), ...rules.assignments.map((a) => a.field)]);
  const accessed = new Set<string>([...rules.structFields.filter((s) => s.distinctive).flatMap((s) => s.fields), ...rules.assignments.map((a) => a.field)]);
  const designated = [...fields].filter((f) => !accessed.has(f));
  const words = new Set<string>();
  const shapes = rules.shapes.map((s) => {
    const normParams = s.params.map(normType);
    const word = normParams.flatMap((p) => p.match(/[A-Za-z_]\w*/g) ?? []).filter((w) => !C_TYPE_WORDS.has(w)).sort((a, b) => b.length - a.length)[0];
    // A shape of keywords only ("unsigned int") would need every header looked at.
    words.add(word ?? '');
    return { ...s, normParams, normReturns: s.returns ? normType(s.returns) : null, bodyRes: (s.bodyUses ?? []).map((u) => new RegExp(`\\b${u}\\s*\\(`)), word: word ?? '', wordRe: word ? new RegExp(`\\b${escapeRe(word)}\\b`) : null };
  });
  const opsStructs = new Set(rules.shapes.map((s) => callbackStruct(s.role)).filter((x): x is string => x !== null));
  const alternation = (names: Iterable<string>) => [...names].sort((a, b) => b.length - a.length).map(escapeRe).join('|');
  cached = {
    rules,
    callRules,
    callNames: callRules.size ? new RegExp(`\\b(?:${alternation(callRules.keys())})\\b`, 'g') : null,
    accessedFields: accessed.size ? new RegExp(`(?:\\.|->)\\s*(${alternation(accessed)})\\b`, 'g') : null,
    designatedFields: designated.length ? new RegExp(`\\.\\s*(${alternation(designated)})\\s*=(?!=)`, 'g') : null,
    fieldsWithRules: fields,
    shapeWords: words.has('') ? null : new RegExp(`\\b(?:${alternation(words)})\\b`, 'g'),
    shapeWord: words.has('') ? null : new RegExp(`\\b(?:${alternation(words)})\\b`),
    shapes,
    opsStructs: opsStructs.size ? new RegExp(`\\bstruct\\s+(?:${alternation(opsStructs)})\\b`, 'g') : null,
  };
  return cached;
}

/** The struct of a callback role (`clk_ops` of `clk_ops.enable`); null for a context role. */
function callbackStruct(role: FunctionRole): string | null {
  const dot = role.indexOf('.');
  return dot > 0 ? role.slice(0, dot) : null;
}

const SYNTHETIC_WRAPPER = new RegExp(`\\b${SYNTHETIC_PREFIX}`, 'g');

const C_TYPE_WORDS = new Set(['struct', 'union', 'enum', 'const', 'volatile', 'unsigned', 'signed', 'int', 'long', 'short', 'char', 'void', 'bool']);

/** Tree index -> 0-based row, for a text that starts at tree index `base`, on row `baseRow`. */
function lineIndex(text: string, base: number, baseRow: number): (index: number) => number {
  const starts = [base];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(base + i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return baseRow + lo;
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Role detection of a unit: what it registers, and what signatures its functions have.
 *
 *  Only a few places in a unit can carry a role: a call of a registration function, a callback
 *  field's initialiser or assignment, and a function header holding a parameter type some shape
 *  names. They are found in the unit's text (regular expressions over the rules' names), and only
 *  the syntax nodes there are asked for: a file has thousands of calls and assignments, and making
 *  a node object for each cost more than the rest of role detection. The nodes are then handled in
 *  the order of a pre-order walk, so that a function's roles come in the order the walk met them. */
export function detectRoles(root: SyntaxNode): Map<string, FunctionRole[]> {
  return scanRoles(root, true).roles;
}

/** Where a unit registers a function for a role: a registration call, a callback field's
 *  initialiser or assignment, a registration macro. `fromRow`..`toRow` are the 0-based rows of the
 *  parsed text the registration spans (a call from its name to the callback argument). */
export interface RoleRegistration {
  fn: string;
  role: FunctionRole;
  fromRow: number;
  toRow: number;
}

/** The registrations of a unit (or of the part of it under `root`), without the roles signatures
 *  give, and the functions it puts into an ops struct a shape's role belongs to (struct name ->
 *  functions: `.prepare = foo_enable` in a clk_ops says foo_enable is no .enable, whatever its
 *  name). Checks read them across the hunks of one file: which line made a function atomic. */
export function detectRegistrations(root: SyntaxNode): { sites: RoleRegistration[]; inOpsStruct: ReadonlyMap<string, ReadonlySet<string>> } {
  const { sites, inOpsStruct } = scanRoles(root, false);
  return { sites, inOpsStruct };
}

function scanRoles(root: SyntaxNode, withShapes: boolean): { roles: Map<string, FunctionRole[]>; sites: RoleRegistration[]; inOpsStruct: Map<string, Set<string>> } {
  const c = compiledRules();
  const out = new Map<string, FunctionRole[]>();
  const sites: RoleRegistration[] = [];
  const add = (fn: string | null, role: FunctionRole, at?: { from: SyntaxNode; to: SyntaxNode }) => {
    if (!fn || !/^[A-Za-z_]\w*$/.test(fn) || fn === 'NULL') return;
    const list = out.get(fn) ?? [];
    if (!list.includes(role)) list.push(role);
    out.set(fn, list);
    if (at) sites.push({ fn, role, fromRow: at.from.startPosition.row, toRow: at.to.endPosition.row });
  };
  const fieldRole = (structName: string | null, field: string): FunctionRole | null => {
    for (const s of c.rules.structFields) {
      if (!s.fields.includes(field)) continue;
      if (structName === s.struct || (structName === null && s.distinctive)) return s.role ?? (`${s.struct}.${field}` as FunctionRole);
    }
    return null;
  };

  // The unit's text from its first token on (a node's text starts at the node): index i of the
  // tree is text[i - base].
  const top = root.tree.rootNode;
  const text = top.text;
  const base = top.startIndex;
  const from = root.startIndex;
  const to = root.endIndex;
  const within = (n: SyntaxNode) => n.startIndex >= from && n.endIndex <= to;
  // Work found in the text, run afterwards in walk order: (start, end) of the node a walk would
  // have visited, then `sub` for the pairs of one initializer list.
  const work: Array<{ start: number; end: number; sub: number; run: () => void }> = [];
  const seen = new Set<number>();
  const once = (n: SyntaxNode) => {
    if (seen.has(n.id)) return false;
    seen.add(n.id);
    return true;
  };
  const matches = (re: RegExp | null, visit: (index: number, length: number, m: RegExpExecArray) => void) => {
    if (!re) return;
    re.lastIndex = from - base;
    for (let m = re.exec(text); m && m.index + base < to; m = re.exec(text)) visit(m.index + base, m[0].length, m);
  };

  // Registration calls and file-scope registration macros.
  matches(c.callNames, (i, len) => {
    const id = root.descendantForIndex(i, i + len);
    const p = id?.parent;
    if (!id || !p || !within(p)) return;
    if (p.type === 'call_expression') {
      const callee = p.childForFieldName('function');
      if (callee?.id !== id.id || callee.type !== 'identifier') return;
      const list = c.callRules.get(callee.text);
      if (!list || !once(p)) return;
      work.push({ start: p.startIndex, end: p.endIndex, sub: 0, run: () => {
        const args = p.childForFieldName('arguments')?.namedChildren.filter(isNode) ?? [];
        for (const r of list) if (args[r.arg]) add(callbackName(args[r.arg]), r.role, { from: p, to: args[r.arg]! });
      } });
    } else if (p.type === 'macro_type_specifier') {
      // `static DECLARE_TASKLET(name, fn);` at file scope parses as a macro type.
      const name = p.childForFieldName('name')?.text ?? p.namedChildren[0]?.text;
      const list = name ? c.callRules.get(name) : undefined;
      if (!list || !once(p)) return;
      work.push({ start: p.startIndex, end: p.endIndex, sub: 0, run: () => {
        const args = descendantsOfType(p, 'type_identifier').map((n) => n.text);
        for (const r of list) add(args[r.arg] ?? null, r.role, { from: p, to: p });
      } });
    }
  });

  // Callback fields: designated initialisers of ops structs and assignments.
  const fieldAt = (i: number, _len: number, m: RegExpExecArray) => {
    const name = m[1]!;
    const nameAt = i + m[0].indexOf(name, 1);
    const id = root.descendantForIndex(nameAt, nameAt + name.length);
    if (id?.type !== 'field_identifier' || !c.fieldsWithRules.has(id.text)) return;
    const p = id.parent;
    if (p?.type === 'field_designator') {
      const pair = p.parent;
      const list = pair?.parent;
      if (pair?.type !== 'initializer_pair' || list?.type !== 'initializer_list' || !within(list)) return;
      const designators = pair.childrenForFieldName('designator').filter(isNode);
      const last = designators[designators.length - 1];
      if (last?.id !== p.id || !once(pair)) return;
      const value = pair.childForFieldName('value');
      if (!value || value.type === 'initializer_list') return;
      work.push({ start: list.startIndex, end: list.endIndex, sub: pair.startIndex, run: () => {
        const role = fieldRole(initialisedStruct(list), id.text);
        if (role) add(callbackName(value), role, { from: pair, to: pair });
      } });
    } else if (p?.type === 'field_expression') {
      const assignment = p.parent;
      if (assignment?.type !== 'assignment_expression' || !within(assignment) || assignment.childForFieldName('left')?.id !== p.id || !once(assignment)) return;
      const right = assignment.childForFieldName('right');
      if (!right) return;
      work.push({ start: assignment.startIndex, end: assignment.endIndex, sub: 0, run: () => {
        const field = id.text;
        const object = p.childForFieldName('argument')?.text ?? '';
        const role = fieldRole(null, field);
        if (role) add(callbackName(right), role, { from: assignment, to: assignment });
        for (const a of c.rules.assignments) {
          if (a.field === field && new RegExp(a.object, 'i').test(object)) add(callbackName(right), a.role, { from: assignment, to: assignment });
        }
      } });
    }
  };
  matches(c.accessedFields, fieldAt);
  matches(c.designatedFields, fieldAt);

  // Functions the unit puts into an ops struct a shape's role belongs to: `static const struct
  // clk_ops x = { .prepare = cs2000_enable }` says which op cs2000_enable is, whatever its name.
  const inOpsStruct = new Map<string, Set<string>>();
  matches(c.opsStructs, (i, len) => {
    const name = /\w+$/.exec(text.slice(i - base, i - base + len))![0];
    const nameAt = i + len - name.length;
    const spec = root.descendantForIndex(nameAt, nameAt + name.length)?.parent;
    const decl = spec?.parent;
    if (spec?.type !== 'struct_specifier' || decl?.type !== 'declaration' || decl.childForFieldName('type')?.id !== spec.id) return;
    const fns = inOpsStruct.get(name) ?? new Set<string>();
    inOpsStruct.set(name, fns);
    for (const d of decl.childrenForFieldName('declarator')) {
      const value = d?.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (value?.type === 'initializer_list') collectInitialised(value, fns);
    }
  });

  // Function signatures: only a header naming a type some shape needs can match one. The
  // definitions around each line holding such a word are asked for (a walk of the whole tree for
  // every definition cost more than the rest of role detection); a definition none of whose lines
  // holds one cannot match, and the header test below decides for the others.
  if (withShapes && c.shapes.length) {
    const defs: SyntaxNode[] = [];
    const rows = new Set<number>();
    const lineOf = lineIndex(text, base, top.startPosition.row);
    const seeDefsAt = (row: number) => {
      if (rows.has(row)) return;
      rows.add(row);
      for (const d of root.descendantsOfType('function_definition', { row, column: 0 }, { row: row + 1, column: 0 })) if (d && once(d)) defs.push(d);
    };
    if (c.shapeWords) matches(c.shapeWords, (i) => seeDefsAt(lineOf(i)));
    else for (const d of root.descendantsOfType('function_definition')) if (d && once(d)) defs.push(d);
    // A hunk fragment's wrapper may show a header cut before the distinctive type: always looked at.
    matches(SYNTHETIC_WRAPPER, (i) => seeDefsAt(lineOf(i)));
    for (const def of defs) {
      const bodyStart = def.childForFieldName('body')?.startIndex ?? def.endIndex;
      const header = text.slice(def.startIndex - base, bodyStart - base + 1);
      if (c.shapeWord && !c.shapeWord.test(header) && !header.includes(SYNTHETIC_PREFIX)) continue;
      work.push({ start: def.startIndex, end: def.endIndex, sub: 0, run: () => {
        let shape = functionShape(def);
        if (!shape) return;
        if (shape.name.startsWith(SYNTHETIC_PREFIX)) {
          // A hunk fragment wrapped by the engine: the parameters come from git's hunk header, and
          // so does the return type (the header rides along as a comment after the parameter
          // list); the wrapper's own `void` is not the function's. The body is a part of the
          // real one: what it uses is evidence (from_timer() in view), what it lacks is not.
          const name = shape.name.slice(SYNTHETIC_PREFIX.length);
          const sig = headerSignature(header, name);
          shape = { ...shape, name, returns: sig?.returns ?? null };
          // git cuts a hunk header at 80 characters and kernel style wraps long parameter lists:
          // the wrapper then has no parameters, and the header shows the first ones.
          if (!shape.params.length && sig?.cut && sig.params.length) shape = { ...shape, params: sig.params, cut: true };
        }
        for (const role of matchShapes(shape)) {
          const struct = callbackStruct(role);
          if (struct && inOpsStruct.get(struct)?.has(shape.name)) continue;
          add(shape.name, role);
        }
      } });
    }
  }

  work.sort((a, b) => a.start - b.start || b.end - a.end || a.sub - b.sub);
  for (const w of work) w.run();
  return { roles: out, sites, inOpsStruct };
}

/** Registrations written in plain text that is not parsed (a hunk's deleted lines): designated
 *  initialisers and assignments of the rules' fields (`.enable = foo_on`, `chip->irq_mask = fn`:
 *  every struct whose rules name the field), and registration calls whose callback argument is in
 *  the text (`request_threaded_irq(irq, NULL, foo_thread, ...)`). Approximate by design: it answers
 *  whether a changed line only restates what it replaced, never gives a function a role. */
export function registrationsInText(text: string): Array<{ fn: string; role: FunctionRole }> {
  const c = compiledRules();
  const out: Array<{ fn: string; role: FunctionRole }> = [];
  for (const m of text.matchAll(/(?:\.|->)\s*([A-Za-z_]\w*)\s*=(?!=)\s*&?\s*([A-Za-z_]\w*)\s*[,;}]/g)) {
    const [, field, fn] = m;
    for (const sf of c.rules.structFields) if (sf.fields.includes(field!)) out.push({ fn: fn!, role: sf.role ?? (`${sf.struct}.${field}` as FunctionRole) });
    for (const a of c.rules.assignments) if (a.field === field) out.push({ fn: fn!, role: a.role });
  }
  for (const m of text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
    const rules = c.callRules.get(m[1]!);
    if (!rules) continue;
    const args = topLevelArgs(text.slice(m.index + m[0].length));
    for (const r of rules) {
      const fn = args[r.arg]?.replace(/^\(\s*\w+\s*\)\s*/, '').replace(/^&\s*/, '').trim();
      if (fn && /^[A-Za-z_]\w*$/.test(fn)) out.push({ fn, role: r.role });
    }
  }
  return out;
}

/** The arguments of a call whose text starts after its `(`, split at top-level commas, up to the
 *  closing parenthesis or the end of the text. */
function topLevelArgs(rest: string): string[] {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of rest) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) break;
      depth--;
    } else if (ch === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  args.push(cur.trim());
  return args;
}

/** What a function definition looks like from outside: enough to recognise a callback type. */
export interface FunctionShape {
  name: string;
  returns: string | null; // return type text, "enum hrtimer_restart"; null when not seen
  params: string[]; // parameter types without names: "struct irq_data *"
  body: string; // body text ('' when not seen)
}

/** A shape whose body text is read only if a shape asks what the body uses; `cut`: only the first
 *  parameters are known (a hunk header cut short). */
type LazyShape = Omit<FunctionShape, 'body'> & { body: () => string; cut?: boolean };

/** Roles implied by a function's signature alone (rules/roles.yaml `shapes`). Also used by checks
 *  in hunk-only mode, where the registration is rarely inside the hunk. */
export function rolesFromShape(shape: FunctionShape): FunctionRole[] {
  return matchShapes({ ...shape, body: () => shape.body });
}

function matchShapes(shape: LazyShape): FunctionRole[] {
  const roles: FunctionRole[] = [];
  let params: string[] | null = null;
  let returns: string | null | undefined;
  let body: string | undefined;
  for (const s of compiledRules().shapes) {
    params ??= shape.params.map(normType);
    const want = s.normParams;
    const paramsMatch = shape.cut
      ? cutParamsMatch(params, s)
      : s.paramsPrefix
        ? want.every((w, i) => params![i] === w)
        : want.length === params.length && want.every((w, i) => params![i] === w);
    if (!paramsMatch) continue;
    if (s.normReturns) {
      returns ??= shape.returns === null ? null : normType(shape.returns.replace(/\b(static|inline|__always_inline|noinline|notrace)\b/g, ''));
      if (returns !== s.normReturns) continue;
    }
    if (s.nameSuffixes && !s.nameSuffixes.some((suf) => shape.name.endsWith(suf))) continue;
    if (s.bodyRes.length) {
      body ??= shape.body();
      if (!s.bodyRes.some((re) => re.test(body!))) continue;
    }
    if (!roles.includes(s.role)) roles.push(s.role);
  }
  return roles;
}

/** The first parameters of a cut-short header fit a shape when they begin its list and either
 *  name its distinctive type (struct pci_bus for pci_ops) or the shape also wants a name (then the
 *  name is the evidence, as for a whole header). */
function cutParamsMatch(seen: readonly string[], s: CompiledRules['shapes'][number]): boolean {
  if (!s.paramsPrefix && seen.length > s.normParams.length) return false;
  if (!s.normParams.slice(0, seen.length).every((w, i) => seen[i] === w)) return false;
  return !!s.nameSuffixes || (!!s.wordRe && seen.some((p) => s.wordRe!.test(p)));
}

/** A C type's text as shapes compare it: no `const`, single spaces, "struct x *". */
function normType(t: string): string {
  return t.replace(/\bconst\b/g, '').replace(/\s+/g, ' ').replace(/\s*\*\s*/g, ' *').trim();
}

/** Parse a hunk header's function context ("static int foo_set_type(struct irq_data *d, unsigned int t)")
 *  into a shape, for fragments that do not contain the function's definition. */
export function shapeFromHeader(name: string, header: string): FunctionShape | null {
  // As `^(.*?)\bNAME\s*\((.*)` would read it: the name on the first line, the parameters up to
  // the end of the line the parenthesis opens on.
  const at = nameThenParen(header, name, lineEnd(header, 0));
  if (!at) return null;
  const returns = header.slice(0, at.name).replace(/\b(static|inline|extern|__init|__exit)\b/g, '').trim() || null;
  const params = header.slice(at.afterParen, lineEnd(header, at.afterParen))
    .replace(/\).*$/, '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p && p !== 'void')
    .map(paramTypeFromDecl);
  return { name, returns, params, body: '' };
}

/** What git's hunk header shows of a wrapped fragment's function, read from the header comment
 *  the engine writes after the wrapper's parameter list (src/engine/units.ts): the return type
 *  (null when the header does not show it: a cut-off or continuation line) and, when the header
 *  is cut before the parameter list closes (`cut`), the parameters it shows in full. `header` is
 *  the definition's text up to its body's opening brace. */
function headerSignature(header: string, name: string): { returns: string | null; params: string[]; cut: boolean } | null {
  const m = /^[^{]*?\/\*\s*(.*?)\s*\*\/\s*\{/.exec(header);
  if (!m) return null;
  const returns = shapeFromHeader(name, m[1]!)?.returns ?? null;
  const open = nameThenParen(m[1]!, name);
  const rest = open ? m[1]!.slice(open.afterParen) : '';
  const cut = !!open && !/[()]/.test(rest);
  if (!cut) return { returns, params: [], cut };
  const pieces = rest.split(',').map((p) => p.trim());
  if (!/,\s*$/.test(rest)) pieces.pop(); // the last one may be cut in the middle of its type
  return { returns, params: pieces.filter((p) => p && p !== 'void').map(paramTypeFromDecl), cut };
}

/** Where `name` first stands as a word before `nameBefore`, followed by `(` (`name` at `name`, the
 *  text after the parenthesis at `afterParen`): what `\bname\s*\(` finds, without compiling a
 *  regular expression for every function name (hunk-only review asks this of every fragment). */
function nameThenParen(text: string, name: string, nameBefore = text.length): { name: number; afterParen: number } | null {
  for (let i = text.indexOf(name); i >= 0 && i < nameBefore; i = text.indexOf(name, i + 1)) {
    if (i > 0 && /\w/.test(text[i - 1]!)) continue;
    let j = i + name.length;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] === '(') return { name: i, afterParen: j + 1 };
  }
  return null;
}

/** The index of the first line terminator at or after `from` (where a regular expression's `.`
 *  stops), or the text's length. */
function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n' || ch === '\r' || ch === '\u2028' || ch === '\u2029') return i;
  }
  return text.length;
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

function functionShape(def: SyntaxNode): LazyShape | null {
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
  return { name: nameNode.text, returns, params, body: () => def.childForFieldName('body')?.text ?? '' };
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

/** The functions an ops struct's initializer puts into its fields, also for each element of an
 *  array of such structs (`[0] = { ... }` or `{ ... }`); not those of a nested struct member. */
function collectInitialised(list: SyntaxNode, into: Set<string>): void {
  for (const item of list.namedChildren) {
    if (item?.type === 'initializer_list') collectInitialised(item, into);
    if (item?.type !== 'initializer_pair') continue;
    const value = item.childForFieldName('value');
    const designators = item.childrenForFieldName('designator');
    if (value?.type === 'initializer_list') {
      if (designators[designators.length - 1]?.type === 'subscript_designator') collectInitialised(value, into);
      continue;
    }
    const fn = callbackName(value);
    if (fn) into.add(fn);
  }
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

// ---------------------------------------------------------------------------------------------
// rules/roles.yaml validation: the error names the entry and the field.

class RolesError extends Error {
  constructor(where: string, message: string) {
    super(`rules/roles.yaml: ${where}: ${message}`);
  }
}

type Fields = Record<string, unknown>;

function object(v: unknown, where: string, allowed: readonly string[]): Fields {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new RolesError(where, 'expected a mapping');
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new RolesError(where, `unknown field "${k}" (fields: ${allowed.join(', ')})`);
  return v as Fields;
}

function list(v: unknown, where: string, min = 0): unknown[] {
  if (!Array.isArray(v)) throw new RolesError(where, 'expected a list');
  if (v.length < min) throw new RolesError(where, `expected at least ${min} entr${min === 1 ? 'y' : 'ies'}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || !v) throw new RolesError(where, 'expected a non-empty string');
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new RolesError(where, 'expected true or false');
  return v;
}

function strings(v: unknown, where: string, min = 0): string[] {
  return list(v, where, min).map((x, i) => str(x, `${where}[${i}]`));
}

const CALLBACK_ROLE = /^[A-Za-z_]\w*\.[A-Za-z_]\w*$/;

function isFunctionRole(name: string): name is FunctionRole {
  return (CONTEXT_ROLES as readonly string[]).includes(name) || CALLBACK_ROLE.test(name);
}

/** Checks the shape of rules/roles.yaml and that every role it uses has a context. */
export function validateRoleRules(data: unknown): RoleRules {
  const top = object(data, 'top level', ['contexts', 'calls', 'structFields', 'assignments', 'shapes']);
  const contexts = new Map<FunctionRole, RoleContext>();
  for (const [name, v] of Object.entries(object(top.contexts, 'contexts', Object.keys(top.contexts ?? {})))) {
    const where = `contexts.${name}`;
    if (!isFunctionRole(name)) throw new RolesError(where, `a role is one of ${CONTEXT_ROLES.join(', ')} or <struct>.<field>`);
    const c = object(v, where, ['atomic', 'onRT', 'text']);
    contexts.set(name, { atomic: bool(c.atomic, `${where}.atomic`), onRT: bool(c.onRT, `${where}.onRT`), text: str(c.text, `${where}.text`) });
  }
  for (const r of CONTEXT_ROLES) if (!contexts.has(r)) throw new RolesError('contexts', `role ${r} is not defined`);
  const role = (v: unknown, where: string): FunctionRole => {
    const name = str(v, where);
    if (!isFunctionRole(name) || !contexts.has(name)) throw new RolesError(where, `role ${name} has no entry in contexts`);
    return name;
  };
  const optional = <T>(v: unknown, read: (v: unknown) => T): T | undefined => (v === undefined ? undefined : read(v));
  const calls = list(top.calls, 'calls').map((v, i) => {
    const w = `calls[${i}]`;
    const e = object(v, w, ['name', 'arg', 'role']);
    if (typeof e.arg !== 'number' || !Number.isInteger(e.arg) || e.arg < 0) throw new RolesError(`${w}.arg`, 'expected an argument index (0, 1, ...)');
    return { name: str(e.name, `${w}.name`), arg: e.arg, role: role(e.role, `${w}.role`) };
  });
  const structFields = list(top.structFields, 'structFields').map((v, i) => {
    const w = `structFields[${i}]`;
    const e = object(v, w, ['struct', 'distinctive', 'role', 'fields']);
    const struct = str(e.struct, `${w}.struct`);
    const fields = strings(e.fields, `${w}.fields`, 1);
    const r = optional(e.role, (x) => role(x, `${w}.role`));
    // Without a role, each field is a callback role of its own: it must have a context.
    if (!r) fields.forEach((f, j) => role(`${struct}.${f}`, `${w}.fields[${j}]`));
    return { struct, distinctive: bool(e.distinctive, `${w}.distinctive`), fields, ...(r ? { role: r } : {}) };
  });
  const assignments = list(top.assignments, 'assignments').map((v, i) => {
    const w = `assignments[${i}]`;
    const e = object(v, w, ['field', 'object', 'role']);
    const objectRe = str(e.object, `${w}.object`);
    try {
      new RegExp(objectRe, 'i');
    } catch (err) {
      throw new RolesError(`${w}.object`, (err as Error).message);
    }
    return { field: str(e.field, `${w}.field`), object: objectRe, role: role(e.role, `${w}.role`) };
  });
  const shapes = list(top.shapes, 'shapes').map((v, i) => {
    const w = `shapes[${i}]`;
    const e = object(v, w, ['returns', 'params', 'paramsPrefix', 'nameSuffixes', 'bodyUses', 'role']);
    const bodyUses = optional(e.bodyUses, (x) => strings(x, `${w}.bodyUses`));
    bodyUses?.forEach((u, j) => {
      if (!/^\w+$/.test(u)) throw new RolesError(`${w}.bodyUses[${j}]`, 'expected a function name');
    });
    const shape: RoleRules['shapes'][number] = { params: strings(e.params, `${w}.params`, 1), role: role(e.role, `${w}.role`) };
    const returns = optional(e.returns, (x) => str(x, `${w}.returns`));
    const paramsPrefix = optional(e.paramsPrefix, (x) => bool(x, `${w}.paramsPrefix`));
    const nameSuffixes = optional(e.nameSuffixes, (x) => strings(x, `${w}.nameSuffixes`));
    return { ...shape, ...(returns !== undefined ? { returns } : {}), ...(paramsPrefix !== undefined ? { paramsPrefix } : {}), ...(nameSuffixes ? { nameSuffixes } : {}), ...(bodyUses ? { bodyUses } : {}) };
  });
  return { contexts, calls, structFields, assignments, shapes };
}
