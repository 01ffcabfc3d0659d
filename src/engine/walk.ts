// The per-function walk: statements in program order, tracking the execution context (locks held,
// RCU/SRCU read sides, preempt/IRQ/BH state, roles) and emitting call, store and return events.
//
// Control flow is followed one pass deep, which is enough for review-sized code:
//  - if/else: both branches from the same state; at the join a lock counts as held only when every
//    branch that falls through holds it (a branch that returns/gotos/breaks does not take part);
//  - trylock in a condition: the lock is held in the branch where the result means success;
//  - loops: the body is walked once; the state after the loop joins the "condition false" state
//    (absent for while (1) / for (;;)), every `break` and the end of the body;
//  - switch: each case starts from the switch state joined with the previous case's fallthrough;
//  - goto: forward gotos carry their state to the label (so `goto out; ... out: unlock` is seen);
//    a label never reached in the walked text (hunk fragments) records a 'goto-out' exit;
//  - guard(x)(&l) holds l to the end of the enclosing block; scoped_guard(x, &l) { } inside the block.
import type { Node as SyntaxNode } from 'web-tree-sitter';
import type {
  AnalysisEvent,
  AnalysisUnit,
  AtomicReason,
  CallEvent,
  Context,
  FunctionModel,
  FunctionRole,
  HeldLock,
  KnowledgeBase,
  LockKind,
  LoopInfo,
  Primitive,
  SrcuSection,
} from './types.js';
import { lockClassOf, normaliseExpr } from './lock-class.js';
import { SYNTHETIC_PREFIX } from './units.js';
import { roleContext } from './roles.js';

interface State {
  locks: HeldLock[];
  rcu: number;
  srcu: SrcuSection[];
  preempt: number;
  irqsOff: boolean;
  bhDepth: number;
}

const clone = (s: State): State => ({ ...s, locks: [...s.locks], srcu: [...s.srcu] });

function join(states: Array<State | null>): State | null {
  const live = states.filter((s): s is State => !!s);
  if (!live.length) return null;
  if (live.length === 1) return clone(live[0]!);
  const [first, ...rest] = live;
  return {
    locks: first!.locks.filter((l) => rest.every((s) => s.locks.some((m) => m.expr === l.expr && m.kind === l.kind))),
    srcu: first!.srcu.filter((l) => rest.every((s) => s.srcu.some((m) => m.ssp === l.ssp))),
    rcu: Math.min(...live.map((s) => s.rcu)),
    preempt: Math.min(...live.map((s) => s.preempt)),
    irqsOff: live.every((s) => s.irqsOff),
    bhDepth: Math.min(...live.map((s) => s.bhDepth)),
  };
}

const TYPE_KIND: Array<[RegExp, LockKind]> = [
  [/\braw_spinlock_t\b|\bstruct\s+raw_spinlock\b/, 'raw_spinlock'],
  [/\bspinlock_t\b|\bstruct\s+spinlock\b/, 'spinlock'],
  [/\brwlock_t\b/, 'rwlock'],
  [/\bstruct\s+mutex\b/, 'mutex'],
  [/\bstruct\s+rw_semaphore\b/, 'rwsem'],
  [/\blocal_lock_t\b/, 'local_lock'],
];

export function kindFromType(type: string | undefined): LockKind | null {
  if (!type) return null;
  for (const [re, k] of TYPE_KIND) if (re.test(type)) return k;
  return null;
}

/** Facts about one parsed unit the walker consults: declared types of globals and struct fields. */
export interface UnitFacts {
  globals: Map<string, string>; // name -> type text
  fields: Map<string, string>; // field name -> type text (last declaration seen)
  roles: Map<string, FunctionRole[]>;
  /** Every `declaration` node of the unit in pre-order, and their start offsets: a function's locals
   *  are the run of these inside its body (found by binary search, not a walk of every body). */
  declarations: SyntaxNode[];
  declarationStarts: number[];
  /** Every call, assignment, update and sizeof of the unit in pre-order, with its byte range:
   *  the walker finds the ones inside an expression here instead of visiting every node of it. */
  sites: ExprSiteIndex;
}

type ExprKind = 'call' | 'assign' | 'update' | 'sizeof';
const EXPR_KIND: ReadonlyMap<string, ExprKind> = new Map([
  ['call_expression', 'call'],
  ['assignment_expression', 'assign'],
  ['update_expression', 'update'],
  ['sizeof_expression', 'sizeof'],
]);
/** Expression node types with no call, assignment or update inside. */
const EXPR_LEAVES: ReadonlySet<string> = new Set(['string_literal', 'number_literal', 'identifier', 'comment']);

interface ExprSiteIndex {
  nodes: SyntaxNode[];
  kinds: ExprKind[];
  starts: number[];
  ends: number[];
}

/** A call, assignment, update or sizeof inside an expression, with the ones nested in it. */
interface ExprSite {
  node: SyntaxNode;
  kind: ExprKind;
  start: number;
  end: number;
  inner: ExprSite[];
}

/** Index of the first of the ascending `starts` greater than or equal to `from` (or greater when `after`). */
function firstAt(starts: readonly number[], from: number, after = false): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < from || (after && starts[mid] === from)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function collectUnitFacts(root: SyntaxNode, roles: Map<string, FunctionRole[]>): UnitFacts {
  const globals = new Map<string, string>();
  const fields = new Map<string, string>();
  for (const d of root.namedChildren) {
    if (d?.type === 'declaration') {
      const type = d.childForFieldName('type')?.text ?? '';
      for (const decl of d.childrenForFieldName('declarator')) {
        const { name, suffix } = declaratorInfo(decl);
        if (name) globals.set(name, type + suffix);
      }
    }
  }
  // One walk inside tree-sitter for every node type the walker looks up: a walk of a whole tree
  // costs about a sixth of the parse, and visiting nodes one by one from JavaScript costs more.
  const declarations: SyntaxNode[] = [];
  const sites: ExprSiteIndex = { nodes: [], kinds: [], starts: [], ends: [] };
  for (const f of root.descendantsOfType(['field_declaration', 'declaration', ...EXPR_KIND.keys()])) {
    if (!f) continue;
    const nodeType = f.type;
    const kind = EXPR_KIND.get(nodeType);
    if (kind) {
      sites.nodes.push(f);
      sites.kinds.push(kind);
      sites.starts.push(f.startIndex);
      sites.ends.push(f.endIndex);
      continue;
    }
    if (nodeType === 'declaration') {
      declarations.push(f);
      continue;
    }
    const type = f.childForFieldName('type')?.text ?? '';
    for (const decl of f.childrenForFieldName('declarator')) {
      const { name, suffix } = declaratorInfo(decl);
      if (name) fields.set(name, type + suffix);
    }
  }
  // DEFINE_SPINLOCK(x), DEFINE_RAW_SPINLOCK(x), DEFINE_MUTEX(x), DECLARE_RWSEM(x) ...
  const defRe = /\b(?:DEFINE|DECLARE)_(RAW_SPINLOCK|SPINLOCK|MUTEX|RWLOCK|RWSEM|SEMAPHORE|STATIC_SRCU|SRCU|SEQLOCK|PER_CPU)\s*\(\s*(?:[^,()]+,\s*)?(\w+)\s*[,)]/g;
  const text = root.text;
  for (let m; (m = defRe.exec(text)); ) {
    const t: Record<string, string> = {
      RAW_SPINLOCK: 'raw_spinlock_t',
      SPINLOCK: 'spinlock_t',
      MUTEX: 'struct mutex',
      RWLOCK: 'rwlock_t',
      RWSEM: 'struct rw_semaphore',
      SEMAPHORE: 'struct semaphore',
      STATIC_SRCU: 'struct srcu_struct',
      SRCU: 'struct srcu_struct',
      SEQLOCK: 'seqlock_t',
      PER_CPU: 'per-cpu',
    };
    if (m[1] !== 'PER_CPU') globals.set(m[2]!, t[m[1]!]!);
  }
  return { globals, fields, roles, declarations, declarationStarts: declarations.map((d) => d.startIndex), sites };
}

export function declaratorName(decl: SyntaxNode | null): string | null {
  return declaratorInfo(decl).name;
}

/** The name a declarator declares and the ` *` / ` []` it adds to the declared type, in one
 *  descent (each node's type is a call into tree-sitter, so it is read once). */
function declaratorInfo(decl: SyntaxNode | null): { name: string | null; suffix: string } {
  let suffix = '';
  let d: SyntaxNode | null = decl;
  while (d) {
    const type = d.type;
    if (type === 'identifier' || type === 'field_identifier') return { name: d.text, suffix };
    if (type === 'pointer_declarator') suffix += ' *';
    else if (type === 'array_declarator') suffix += ' []';
    const inner: SyntaxNode | null = d.childForFieldName('declarator');
    if (!inner) {
      const id = d.namedChildren.find((c) => c?.type === 'identifier' || c?.type === 'field_identifier');
      return { name: id ? id.text : null, suffix };
    }
    d = inner;
  }
  return { name: null, suffix };
}

function functionName(fnNode: SyntaxNode): string | null {
  return declaratorName(fnNode.childForFieldName('declarator'));
}

function fnDeclarator(fnNode: SyntaxNode): SyntaxNode | null {
  let d = fnNode.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d;
}

/** The atomic-context reason a role gives its function (null for a role that is not atomic, such
 *  as a threaded IRQ handler): the walker's wording, which checks adding roles of their own reuse.
 *  Atomicity and wording are rules/roles.yaml `contexts` (ndo_set_rx_mode, uart_ops.start_tx ...). */
export function roleAtomicReason(role: FunctionRole): AtomicReason | null {
  const a = roleContext(role);
  return a?.atomic ? { kind: 'role', line: null, text: a.text, onRT: a.onRT } : null;
}

const LOCK_ATOMIC: Partial<Record<LockKind, { kind: AtomicReason['kind']; onRT: boolean }>> = {
  spinlock: { kind: 'spinlock', onRT: false },
  raw_spinlock: { kind: 'raw_spinlock', onRT: true },
  rwlock: { kind: 'rwlock', onRT: false },
  bit_spinlock: { kind: 'bit_spinlock', onRT: true },
  local_lock: { kind: 'local_lock', onRT: false },
};

const linesOf = new WeakMap<AnalysisUnit, string[]>();
function unitLines(u: AnalysisUnit): string[] {
  let l = linesOf.get(u);
  if (!l) linesOf.set(u, (l = u.text.split('\n')));
  return l;
}

interface Pending {
  states: State[];
  line: number;
}

/** The direct inner sites of `s` that lie within `child`'s byte range, in order. `s.inner` is
 *  sorted by start; child.endIndex is read (a call into WASM) only once a site can be inside. */
function eachSiteWithin(s: ExprSite, child: SyntaxNode, visit: (k: ExprSite) => void): void {
  const from = child.startIndex;
  let to = -1;
  for (const k of s.inner) {
    if (k.start < from) continue;
    if (to < 0) to = child.endIndex;
    if (k.start >= to) break;
    if (k.end <= to) visit(k);
  }
}

export class FunctionWalker {
  private events: AnalysisEvent[] = [];
  private exits: Array<{ line: number; ctx: Context; kind: 'return' | 'end' | 'goto-out' }> = [];
  private loops: LoopInfo[] = [];
  private breaks: Array<Array<State | null>> = [];
  private labels = new Map<string, Pending>();
  private params = new Map<string, string>();
  private locals = new Map<string, string>();
  private roles: FunctionRole[] = [];
  private callersHold: HeldLock[] = [];
  private scopeGuards: HeldLock[][] = [];

  constructor(
    private readonly unit: AnalysisUnit,
    private readonly kb: KnowledgeBase,
    private readonly facts: UnitFacts,
  ) {}

  walk(fnNode: SyntaxNode): FunctionModel {
    const rawName = functionName(fnNode) ?? '<anonymous>';
    const synthetic = rawName.startsWith(SYNTHETIC_PREFIX);
    const name = synthetic ? rawName.slice(SYNTHETIC_PREFIX.length) : rawName;
    this.roles = this.facts.roles.get(name) ?? [];
    const fd = fnDeclarator(fnNode);
    for (const p of fd?.childForFieldName('parameters')?.namedChildren ?? []) {
      if (p?.type !== 'parameter_declaration') continue;
      const { name: pn, suffix } = declaratorInfo(p.childForFieldName('declarator'));
      if (pn) this.params.set(pn, (p.childForFieldName('type')?.text ?? '') + suffix);
    }
    this.collectLocals(fnNode.childForFieldName('body'));
    // __must_hold(x) annotations were blanked for parsing; read them from the unit text.
    const headText = unitLines(this.unit).slice(fnNode.startPosition.row, (fnNode.childForFieldName('body')?.startPosition.row ?? fnNode.startPosition.row) + 1).join('\n');
    let st: State | null = { locks: [], rcu: 0, srcu: [], preempt: 0, irqsOff: false, bhDepth: 0 };
    for (const m of headText.matchAll(/__must_hold\s*\(([^)]*)\)/g)) {
      this.callersHold.push(this.makeLock(m[1]!, 'spinlock', 'exclusive', this.line(fnNode), '__must_hold', undefined));
    }
    const body = fnNode.childForFieldName('body');
    if (body) st = this.stmt(body, st);
    const lastRow = fnNode.endPosition.row;
    if (st) this.exits.push({ line: this.lineAtOrBefore(lastRow), ctx: this.ctx(st), kind: 'end' });
    for (const [, p] of this.labels) for (const s of p.states) this.exits.push({ line: p.line, ctx: this.ctx(s), kind: 'goto-out' });
    const start = this.lineAtOrAfter(fnNode.startPosition.row);
    const end = this.lineAtOrBefore(lastRow);
    const partial = synthetic || this.unit.lineMap[lastRow] === 0 || this.unit.lineMap[fnNode.startPosition.row] === 0;
    return {
      name,
      unit: this.unit,
      node: fnNode,
      startLine: start,
      endLine: end,
      params: this.params,
      locals: this.locals,
      roles: this.roles,
      callersHold: this.callersHold,
      partial,
      events: this.events,
      exits: this.exits,
    };
  }

  private collectLocals(body: SyntaxNode | null): void {
    if (!body) return;
    // The unit's declarations that start inside the body are the body's descendants, in pre-order.
    const starts = this.facts.declarationStarts;
    const to = body.endIndex;
    for (let i = firstAt(starts, body.startIndex, true); i < starts.length && starts[i]! < to; i++) {
      const d = this.facts.declarations[i]!;
      const type = d.childForFieldName('type')?.text ?? '';
      for (const decl of d.childrenForFieldName('declarator')) {
        const { name, suffix } = declaratorInfo(decl);
        if (name) this.locals.set(name, type + suffix);
      }
    }
  }

  // --- positions --------------------------------------------------------------------------

  private line(n: SyntaxNode): number {
    return this.unit.lineMap[n.startPosition.row] ?? 0;
  }
  private lineAtOrAfter(row: number): number {
    for (let r = row; r < this.unit.lineMap.length; r++) if (this.unit.lineMap[r]) return this.unit.lineMap[r]!;
    return 0;
  }
  private lineAtOrBefore(row: number): number {
    for (let r = Math.min(row, this.unit.lineMap.length - 1); r >= 0; r--) if (this.unit.lineMap[r]) return this.unit.lineMap[r]!;
    return 0;
  }
  private changed(n: SyntaxNode): boolean {
    // The first row decides most nodes (every row in scan mode) without asking for the end.
    const first = this.unit.lineMap[n.startPosition.row];
    if (first && this.unit.changed.has(first)) return true;
    for (let r = n.startPosition.row + 1, last = n.endPosition.row; r <= last; r++) {
      const l = this.unit.lineMap[r];
      if (l && this.unit.changed.has(l)) return true;
    }
    return false;
  }

  // --- context ----------------------------------------------------------------------------

  private ctx(s: State): Context {
    const atomic: AtomicReason[] = [];
    for (const r of this.roles) {
      const a = roleAtomicReason(r);
      if (a) atomic.push(a);
    }
    for (const l of s.locks) {
      const a = LOCK_ATOMIC[l.kind];
      if (a) atomic.push({ kind: a.kind, line: l.line, text: `${l.via}(&${l.expr})`, onRT: a.onRT });
      else if (l.irqOff) atomic.push({ kind: 'irq', line: l.line, text: `${l.via}(&${l.expr})`, onRT: false });
    }
    if (s.rcu > 0) atomic.push({ kind: 'rcu', line: null, text: 'rcu_read_lock()', onRT: false });
    if (s.preempt > 0) atomic.push({ kind: 'preempt', line: null, text: 'preemption disabled', onRT: true });
    if (s.irqsOff && !s.locks.some((l) => l.irqOff)) atomic.push({ kind: 'irq', line: null, text: 'interrupts disabled', onRT: true });
    if (s.bhDepth > 0) atomic.push({ kind: 'bh', line: null, text: 'bottom halves disabled', onRT: false });
    return {
      locks: [...s.locks],
      rcuDepth: s.rcu,
      srcu: [...s.srcu],
      preemptDepth: s.preempt,
      irqsOff: s.irqsOff,
      bhOff: s.bhDepth > 0,
      roles: this.roles,
      atomic,
    };
  }

  /** Context at a return: cleanup.h guards release their locks there by themselves. */
  private exitCtx(s: State): Context {
    const guards = this.scopeGuards.flat();
    return this.ctx(guards.length ? { ...s, locks: s.locks.filter((l) => !guards.includes(l)) } : s);
  }

  private typeOf = (name: string): string | undefined => this.locals.get(name) ?? this.params.get(name) ?? this.facts.globals.get(name);

  private makeLock(arg: string, kind: LockKind, mode: 'exclusive' | 'shared', line: number, via: string, p: Primitive | undefined): HeldLock {
    const expr = normaliseExpr(arg);
    const lockClass = lockClassOf(expr, this.typeOf);
    let k = kind;
    const declared = this.declaredType(expr, lockClass);
    const fromType = kindFromType(declared);
    if (fromType) {
      const spinFamily = (x: LockKind) => x === 'spinlock' || x === 'raw_spinlock';
      if ((spinFamily(k) && spinFamily(fromType)) || via.startsWith('lockdep_') || via === '__must_hold') k = fromType;
    }
    return {
      expr,
      lockClass,
      kind: k,
      mode,
      line,
      via,
      irqOff: p?.context?.irq === 'off',
      bhOff: p?.context?.bh === 'off',
    };
  }

  /** Declared type of a lock expression where visible: kb field facts, the unit's struct fields, locals. */
  private declaredType(expr: string, lockClass: string): string | undefined {
    const fact = this.kb.fieldType(lockClass) ?? this.kb.fieldType(expr);
    if (fact) return fact.type;
    const field = /(?:->|\.)(\w+)$/.exec(expr);
    if (field) return this.facts.fields.get(field[1]!);
    return this.typeOf(expr);
  }

  // --- statements -------------------------------------------------------------------------

  // Node types are read once and passed down: each read is a call into tree-sitter's WASM.
  private stmt(n: SyntaxNode | null, st: State | null, type = n?.type): State | null {
    if (!n) return st;
    if (!st && type !== 'labeled_statement' && type !== 'compound_statement' && type !== 'case_statement') return null;
    switch (type) {
      case 'compound_statement': {
        this.scopeGuards.push([]);
        for (const c of n.namedChildren) {
          if (!c) continue;
          const cType = c.type;
          if (cType === 'comment') continue;
          const before = st;
          st = this.stmt(c, st, cType);
          // A block opened by a hunk fragment's padding brace (row 0, e.g. the tail of a switch whose
          // head is above the hunk) ends with code reachable from branches the fragment does not
          // show: continue after it with the state it was entered with (small change, issue 8).
          if (!st && before && cType === 'compound_statement' && c.startPosition.row === 0 && this.unit.lineMap[0] === 0) st = clone(before);
        }
        const guards = this.scopeGuards.pop()!;
        if (st && guards.length) st.locks = st.locks.filter((l) => !guards.includes(l));
        return st;
      }
      case 'expression_statement': {
        const e = n.namedChildren[0];
        const eType = e?.type;
        if (e) this.expr(e, st!, eType);
        if (eType === 'call_expression' && /^(BUG|panic|do_exit|kthread_exit|__noreturn_fn)$/.test(e.childForFieldName('function')?.text ?? '')) return null;
        return st;
      }
      case 'declaration': {
        for (const d of n.childrenForFieldName('declarator')) {
          if (d?.type === 'init_declarator') {
            const v = d.childForFieldName('value');
            if (v) this.expr(v, st!);
          }
        }
        return st;
      }
      case 'if_statement':
        return this.ifStmt(n, st!);
      case 'while_statement':
      case 'for_statement':
      case 'do_statement':
        return this.loop(n, st!);
      case 'switch_statement':
        return this.switchStmt(n, st!);
      case 'return_statement': {
        const v = n.namedChildren[0];
        if (v) this.expr(v, st!);
        this.events.push({ kind: 'return', value: v ? v.text : null, ...this.base(n, st!) });
        this.exits.push({ line: this.line(n), ctx: this.exitCtx(st!), kind: 'return' });
        return null;
      }
      case 'goto_statement': {
        const label = n.childForFieldName('label')?.text ?? '';
        const p = this.labels.get(label) ?? { states: [], line: this.line(n) };
        p.states.push(clone(st!));
        this.labels.set(label, p);
        return null;
      }
      case 'break_statement':
        this.breaks[this.breaks.length - 1]?.push(clone(st!));
        return null;
      case 'continue_statement':
        return null;
      case 'labeled_statement': {
        const label = n.childForFieldName('label')?.text ?? '';
        const p = this.labels.get(label);
        this.labels.delete(label);
        st = join([st, ...(p?.states ?? [])]);
        const inner = n.namedChildren.filter((c) => c && c.type !== 'statement_identifier');
        for (const c of inner) st = this.stmt(c, st);
        return st;
      }
      case 'preproc_if':
      case 'preproc_ifdef': {
        // Only the first branch: the alternatives are other configurations, not a sequence.
        for (const c of n.namedChildren) {
          if (!c) continue;
          if (c.type === 'preproc_else' || c.type === 'preproc_elif' || c.type === 'preproc_elifdef') break;
          if (c === n.childForFieldName('condition') || c.type === 'identifier') continue;
          st = this.stmt(c, st);
        }
        return st;
      }
      case 'comment':
      case 'preproc_call':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_include':
      case 'type_definition':
      case 'struct_specifier':
        return st;
      case 'attributed_statement': {
        for (const c of n.namedChildren) if (c && c.type !== 'attribute_declaration') st = this.stmt(c, st);
        return st;
      }
      default: {
        // ERROR and other recovery nodes: walk what is inside as statements or expressions.
        for (const c of n.namedChildren) {
          if (!c) continue;
          const cType = c.type;
          if (/statement$|^declaration$|^compound/.test(cType) || cType === 'ERROR') st = this.stmt(c, st, cType);
          else if (st) this.expr(c, st, cType);
        }
        return st;
      }
    }
  }

  private base(n: SyntaxNode, st: State) {
    return { line: this.line(n), changed: this.changed(n), ctx: this.ctx(st), loops: [...this.loops], node: n };
  }

  /** Trylock calls in a condition and the branch where each means success. */
  private trylocks(cond: SyntaxNode, fromIndex: number): Array<{ ev: CallEvent; thenHolds: boolean }> {
    const out: Array<{ ev: CallEvent; thenHolds: boolean }> = [];
    for (let i = fromIndex; i < this.events.length; i++) {
      const ev = this.events[i]!;
      if (ev.kind !== 'call' || !ev.primitive) continue;
      const p = ev.primitive;
      const isTry = p.op === 'trylock' || (p.op === 'lock' && p.trySuccess != null && (ev.resultUse.kind === 'cond' || ev.resultUse.kind === 'notcond'));
      if (!isTry) continue;
      let flips = p.trySuccess === 'zero' ? 1 : 0;
      let node: SyntaxNode | null = ev.node;
      let ok = true;
      while (node && node.id !== cond.id) {
        const parent: SyntaxNode | null = node.parent;
        if (!parent) break;
        if (parent.type === 'unary_expression' && parent.child(0)?.text === '!') flips++;
        else if (parent.type === 'binary_expression') {
          const op = parent.childForFieldName('operator')?.text;
          const other = parent.childForFieldName('left')?.id === node.id ? parent.childForFieldName('right') : parent.childForFieldName('left');
          if (op === '==' && /^(0|false|NULL)$/.test(other?.text ?? '')) flips++;
          else if (op === '!=' && /^(0|false|NULL)$/.test(other?.text ?? '')) {
            /* same sense */
          } else if (op === '&&') {
            if (flips % 2 === 1) ok = false; // `!try && x`: failure branch not determined
          } else if (op === '||') {
            if (flips % 2 === 0) ok = false;
          } else ok = false;
        } else if (parent.type !== 'parenthesized_expression') {
          if (parent.type !== 'if_statement' && parent.type !== 'while_statement' && parent.type !== 'do_statement' && parent.type !== 'for_statement') ok = false;
        }
        node = parent;
      }
      if (ok) out.push({ ev, thenHolds: flips % 2 === 0 });
    }
    return out;
  }

  private acquireFrom(ev: CallEvent, st: State): void {
    const p = ev.primitive!;
    const arg = primitiveTarget(ev.args, p);
    if (arg == null) return;
    const lock = this.lockFor(ev, p, arg);
    st.locks.push(lock);
    this.applyContext(p, st);
  }

  private lockFor(ev: CallEvent, p: Primitive, arg: string): HeldLock {
    let a = arg;
    if (p.kind === 'bit_spinlock' && p.bitArg != null && ev.args[p.bitArg] != null) a = `${normaliseExpr(arg)}[bit ${ev.args[p.bitArg]}]`;
    return this.makeLock(a, p.kind ?? 'spinlock', p.mode ?? 'exclusive', ev.line, ev.callee, p);
  }

  private ifStmt(n: SyntaxNode, st: State): State | null {
    const cond = n.childForFieldName('condition');
    const from = this.events.length;
    if (cond) this.expr(cond, st);
    let thenSt: State = clone(st);
    let elseSt: State = clone(st);
    if (cond) {
      for (const t of this.trylocks(cond, from)) this.acquireFrom(t.ev, t.thenHolds ? thenSt : elseSt);
    }
    // scoped_guard(kind, &lock) { ... } (rewritten to an if by preprocess): the lock is held in the block.
    const scoped = cond?.namedChildren[0];
    let scopedLock: HeldLock | null = null;
    if (scoped?.type === 'call_expression' && /^scoped(_cond)?_guard$/.test(scoped.childForFieldName('function')?.text ?? '')) {
      const args = (scoped.childForFieldName('arguments')?.namedChildren ?? []).filter(Boolean) as SyntaxNode[];
      const gname = args[0]?.text ?? '';
      const p = this.kb.primitive(`guard(${gname})`);
      const lockArg = scoped.childForFieldName('function')!.text === 'scoped_cond_guard' ? args[2] : args[1];
      if (p) {
        if (p.op === 'lock' || p.op === 'trylock') {
          scopedLock = this.makeLock(lockArg?.text ?? gname, p.kind ?? 'spinlock', p.mode ?? 'exclusive', this.line(scoped), `scoped_guard(${gname})`, p);
          thenSt.locks.push(scopedLock);
        }
        this.applyContext(p, thenSt);
        thenSt = this.stmt(n.childForFieldName('consequence'), thenSt) ?? (null as unknown as State);
        if (thenSt) {
          if (scopedLock) thenSt.locks = thenSt.locks.filter((l) => l !== scopedLock);
          this.undoContext(p, thenSt);
        }
        const alt = n.childForFieldName('alternative');
        const e2 = alt ? this.stmt(alt.namedChildren[0] ?? null, elseSt) : elseSt;
        return join([thenSt, e2]);
      }
    }
    const t2 = this.stmt(n.childForFieldName('consequence'), thenSt);
    const alt = n.childForFieldName('alternative');
    const e2 = alt ? this.stmt(alt.type === 'else_clause' ? (alt.namedChildren[0] ?? null) : alt, elseSt) : elseSt;
    return join([t2, e2]);
  }

  private loop(n: SyntaxNode, st: State): State | null {
    const cond = n.childForFieldName('condition');
    const condText = cond?.text.replace(/^\(|\)$/g, '').trim() ?? '';
    const iterCall = n.type === 'while_statement' && cond?.namedChildren[0]?.type === 'call_expression' && /for_each|foreach/.test(cond.namedChildren[0]!.childForFieldName('function')?.text ?? '');
    const kind: LoopInfo['kind'] = iterCall ? 'iterator' : n.type === 'while_statement' ? 'while' : n.type === 'for_statement' ? 'for' : 'do';
    const info: LoopInfo = { kind, line: this.line(n), condition: iterCall ? cond!.namedChildren[0]!.text : condText, node: n };
    const forever = kind !== 'iterator' && (condText === '' || /^(1|true|!0)$/.test(condText));
    this.breaks.push([]);
    let cur: State | null = st;
    let exitSt: State | null = null;
    const condExit = (c: SyntaxNode | null, s: State) => {
      const from = this.events.length;
      if (c) this.expr(c, s);
      const ex = clone(s);
      const stay = clone(s);
      if (c) for (const t of this.trylocks(c, from)) this.acquireFrom(t.ev, t.thenHolds ? stay : ex);
      return { ex, stay };
    };
    if (n.type === 'for_statement') {
      const init = n.childForFieldName('initializer');
      if (init) {
        if (init.type === 'declaration') this.stmt(init, cur);
        else this.expr(init, cur);
      }
    }
    this.loops.push(info);
    if (n.type === 'do_statement') {
      cur = this.stmt(n.childForFieldName('body'), cur);
      if (cur) {
        const r = condExit(cond, cur);
        exitSt = forever ? null : r.ex;
      }
    } else {
      const r = condExit(n.type === 'for_statement' ? n.childForFieldName('condition') : cond, cur);
      exitSt = forever ? null : r.ex;
      cur = this.stmt(n.childForFieldName('body'), r.stay);
      const upd = n.childForFieldName('update');
      if (cur && upd) this.expr(upd, cur);
    }
    this.loops.pop();
    const brk = this.breaks.pop()!;
    // The body's end state loops back to the condition, whose "false" state (exitSt) leaves the loop.
    return join([exitSt, ...brk]);
  }

  private switchStmt(n: SyntaxNode, st: State): State | null {
    const cond = n.childForFieldName('condition');
    if (cond) this.expr(cond, st);
    this.breaks.push([]);
    const body = n.childForFieldName('body');
    let cur: State | null = null;
    let sawDefault = false;
    for (const c of body?.namedChildren ?? []) {
      if (!c) continue;
      if (c.type === 'case_statement') {
        if (/^default\b/.test(c.text)) sawDefault = true;
        cur = join([cur, clone(st)]);
        const value = c.childForFieldName('value');
        for (const s of c.namedChildren) if (s && s.id !== value?.id) cur = this.stmt(s, cur);
      } else cur = this.stmt(c, cur);
    }
    const brk = this.breaks.pop()!;
    return join([cur, ...brk, sawDefault ? null : st]);
  }

  // --- expressions ------------------------------------------------------------------------

  // Expressions: only calls, assignments and updates make events. Their nodes come from the unit's
  // site index (one slice per expression, nested by byte range), so the walker does not visit the
  // other nodes of an expression one by one; the order is the one a recursive descent gives:
  // a call's arguments, then its callee, then the call; an assignment's right side, then the
  // calls inside its left side, then the store; nothing inside sizeof.

  private expr(n: SyntaxNode, st: State, type = n.type): void {
    if (EXPR_LEAVES.has(type)) return;
    const kind = EXPR_KIND.get(type);
    if (kind === 'sizeof') return;
    const inner = this.sitesWithin(n);
    if (kind) this.site({ node: n, kind, start: n.startIndex, end: -1, inner }, st);
    else for (const s of inner) this.site(s, st);
  }

  /** The sites inside `n` (not `n` itself), nested: each with the sites inside it. */
  private sitesWithin(n: SyntaxNode): ExprSite[] {
    const { nodes, kinds, starts, ends } = this.facts.sites;
    let i = firstAt(starts, n.startIndex);
    if (i >= starts.length) return [];
    const to = n.endIndex;
    const top: ExprSite[] = [];
    const open: ExprSite[] = [];
    for (; i < starts.length && starts[i]! < to; i++) {
      // A site that starts here but ends later encloses `n` (a call whose callee `n` is).
      if (ends[i]! > to || nodes[i]!.id === n.id) continue;
      const site: ExprSite = { node: nodes[i]!, kind: kinds[i]!, start: starts[i]!, end: ends[i]!, inner: [] };
      while (open.length && !(site.start >= open[open.length - 1]!.start && site.end <= open[open.length - 1]!.end)) open.pop();
      (open.length ? open[open.length - 1]!.inner : top).push(site);
      open.push(site);
    }
    return top;
  }

  private site(s: ExprSite, st: State): void {
    switch (s.kind) {
      case 'call':
        return this.call(s, st);
      case 'assign': {
        const n = s.node;
        const right = n.childForFieldName('right');
        const left = n.childForFieldName('left');
        if (right) this.sitesIn(s, right, st);
        if (left) this.subExprs(s, left, st);
        if (left) this.store(n, left, right?.text ?? '', n.childForFieldName('operator')?.text ?? '=', st);
        return;
      }
      case 'update': {
        const n = s.node;
        const arg = n.childForFieldName('argument');
        if (arg) {
          this.subExprs(s, arg, st);
          this.store(n, arg, '1', n.childForFieldName('operator')?.text ?? '++', st);
        }
        return;
      }
      case 'sizeof':
        return;
    }
  }

  /** The sites of `s` inside its child `child` (`child` itself when it is one), in order. */
  private sitesIn(s: ExprSite, child: SyntaxNode, st: State): void {
    eachSiteWithin(s, child, (k) => this.site(k, st));
  }

  /** Calls inside an lvalue (indexes, function calls returning pointers): the sites inside each
   *  named child of `child`, i.e. inside `child` but not `child` itself. */
  private subExprs(s: ExprSite, child: SyntaxNode, st: State): void {
    eachSiteWithin(s, child, (k) => {
      if (k.node.id === child.id) for (const k2 of k.inner) this.site(k2, st);
      else this.site(k, st);
    });
  }

  private isLocal(name: string): boolean {
    return this.locals.has(name) || this.params.has(name);
  }

  private store(n: SyntaxNode, left: SyntaxNode, value: string, operator: string, st: State): void {
    const target = normaliseExpr(left.text);
    let shared: boolean;
    if (left.type === 'identifier') shared = !this.isLocal(left.text);
    else if (left.type === 'field_expression') {
      // `local.field` stays local unless the struct's address escapes; `p->f` is shared memory.
      const op = left.child(1)?.text;
      const base = /^(\w+)/.exec(target)?.[1] ?? '';
      shared = op === '->' || target.includes('->') || !this.isLocal(base);
    } else shared = true; // *p, a[i]
    this.events.push({ kind: 'store', target, value: value.replace(/\s+/g, ' ').trim(), operator, shared, ...this.base(n, st) });
  }

  private calleeText(fn: SyntaxNode): string {
    return fn.text.replace(/\s+/g, '');
  }

  private call(s: ExprSite, st: State): void {
    const n = s.node;
    const fn = n.childForFieldName('function');
    const argsNode = n.childForFieldName('arguments');
    // The arguments' texts, comments left out. The type (one more call into WASM) is asked only of
    // a node whose text starts like a comment: no expression does.
    const args: string[] = [];
    for (const c of argsNode?.namedChildren ?? []) {
      const text = c?.text;
      if (text === undefined || ((text.startsWith('//') || text.startsWith('/*')) && c!.type === 'comment')) continue;
      args.push(text.replace(/\s+/g, ' ').trim());
    }
    // Arguments are evaluated before the call.
    if (argsNode) this.sitesIn(s, argsNode, st);
    let callee = fn ? this.calleeText(fn) : '';
    let primitive: Primitive | undefined;
    // guard(name)(&lock): cleanup.h scope guard, held to the end of the enclosing block.
    let isGuard = false;
    const fnType = fn?.type;
    if (fnType === 'call_expression' && fn!.childForFieldName('function')?.text === 'guard') {
      const gname = fn!.childForFieldName('arguments')?.namedChildren[0]?.text ?? '';
      callee = `guard(${gname})`;
      primitive = this.kb.primitive(callee);
      isGuard = true;
    } else if (fn && fnType !== 'identifier' && !EXPR_LEAVES.has(fnType!)) {
      this.sitesIn(s, fn, st);
    }
    if (!isGuard) primitive = this.kb.primitive(callee) ?? this.kb.wrappers().get(callee);
    const ev: CallEvent = {
      kind: 'call',
      callee,
      args,
      primitive,
      resultUse: resultUse(n),
      ...this.base(n, st),
    };
    this.events.push(ev);
    if (primitive) this.apply(ev, primitive, st, isGuard);
  }

  private applyContext(p: Primitive, st: State): void {
    const c = p.context;
    if (!c) return;
    if (c.preempt) st.preempt = Math.max(0, st.preempt + c.preempt);
    if (c.rcu) st.rcu = Math.max(0, st.rcu + c.rcu);
    if (c.irq === 'off') st.irqsOff = true;
    else if (c.irq === 'on' || c.irq === 'restore') st.irqsOff = false;
    if (c.bh === 'off') st.bhDepth++;
    else if (c.bh === 'on') st.bhDepth = Math.max(0, st.bhDepth - 1);
  }

  private undoContext(p: Primitive, st: State): void {
    const c = p.context;
    if (!c) return;
    if (c.preempt) st.preempt = Math.max(0, st.preempt - c.preempt);
    if (c.rcu) st.rcu = Math.max(0, st.rcu - c.rcu);
    if (c.irq === 'off') st.irqsOff = false;
    if (c.bh === 'off') st.bhDepth = Math.max(0, st.bhDepth - 1);
  }

  private apply(ev: CallEvent, p: Primitive, st: State, isGuard: boolean): void {
    const arg = primitiveTarget(ev.args, p);
    switch (p.op) {
      case 'lock': {
        // A conditional acquire (mutex_lock_interruptible) tested in a condition: the branch decides.
        if (p.trySuccess != null && !isGuard && (ev.resultUse.kind === 'cond' || ev.resultUse.kind === 'notcond')) return;
        if (arg == null && !isGuard) return this.applyContext(p, st);
        const lock = this.lockFor(ev, p, arg ?? ev.callee);
        st.locks.push(lock);
        if (isGuard) this.scopeGuards[this.scopeGuards.length - 1]?.push(lock);
        this.applyContext(p, st);
        return;
      }
      case 'trylock':
        return; // held only in the success branch (see ifStmt / loop conditions)
      case 'unlock': {
        if (arg != null) {
          const l = this.lockFor(ev, p, arg);
          let i = -1;
          for (let k = st.locks.length - 1; k >= 0; k--) if (st.locks[k]!.expr === l.expr) { i = k; break; }
          if (i < 0) for (let k = st.locks.length - 1; k >= 0; k--) if (st.locks[k]!.lockClass === l.lockClass) { i = k; break; }
          if (i >= 0) st.locks.splice(i, 1);
        }
        this.applyContext(p, st);
        return;
      }
      case 'seq-write-begin': {
        if (arg != null) st.locks.push(this.makeLock(arg, p.kind ?? 'seqcount_write', 'exclusive', ev.line, ev.callee, p));
        this.applyContext(p, st);
        return;
      }
      case 'seq-write-end': {
        if (arg != null) {
          const e = normaliseExpr(arg);
          let i = -1;
          for (let k = st.locks.length - 1; k >= 0; k--) if (st.locks[k]!.expr === e) { i = k; break; }
          if (i >= 0) st.locks.splice(i, 1);
        }
        this.applyContext(p, st);
        return;
      }
      case 'srcu-read-lock': {
        if (arg != null) {
          const target = ev.resultUse.kind === 'assign' ? (ev.resultUse.target ?? null) : null;
          st.srcu.push({ ssp: normaliseExpr(arg), idxVar: target, line: ev.line, via: ev.callee });
        }
        return;
      }
      case 'srcu-read-unlock': {
        if (arg != null) {
          const e = normaliseExpr(arg);
          let i = -1;
          for (let k = st.srcu.length - 1; k >= 0; k--) if (st.srcu[k]!.ssp === e) { i = k; break; }
          if (i >= 0) st.srcu.splice(i, 1);
        }
        return;
      }
      case 'assert-held': {
        if (arg != null) {
          const l = this.makeLock(arg, p.kind ?? 'mutex', p.mode ?? 'exclusive', ev.line, ev.callee, p);
          if (!this.callersHold.some((c) => c.expr === l.expr)) this.callersHold.push(l);
        }
        return;
      }
      default:
        this.applyContext(p, st);
    }
  }
}

/** The lock / word / srcu_struct a primitive acts on: argument `lockArg`, or its `lockExpr`
 *  template over the arguments ("{0}->kvm->srcu" for kvm_vcpu_srcu_read_lock(vcpu)). */
export function primitiveTarget(args: readonly string[], p: Primitive): string | undefined {
  if (p.lockExpr) {
    return p.lockExpr.replace(/\{(\d+)\}/g, (_m, k: string) => {
      const a = normaliseExpr(args[Number(k)] ?? '');
      return /^[\w.>-]+$/.test(a) ? a : `(${a})`;
    });
  }
  return args[p.lockArg ?? 0];
}

/** How a call's result is used, looking through parentheses and casts. */
export function resultUse(n: SyntaxNode): CallEvent['resultUse'] {
  // .parent is answered by a search from the root and .type by a call into WASM: each is read
  // once per node here.
  let node: SyntaxNode = n;
  let p = node.parent;
  let pType = p?.type;
  while (p && (pType === 'parenthesized_expression' || pType === 'cast_expression')) {
    node = p;
    p = p.parent;
    pType = p?.type;
  }
  if (!p) return { kind: 'discard' };
  const inCondition = (x: SyntaxNode): boolean => {
    let c: SyntaxNode = x;
    let q = c.parent;
    let qType = q?.type;
    while (q && (qType === 'parenthesized_expression' || qType === 'binary_expression' || qType === 'unary_expression')) {
      c = q;
      q = c.parent;
      qType = q?.type;
    }
    return !!q && (qType === 'if_statement' || qType === 'while_statement' || qType === 'do_statement' || (qType === 'for_statement' && q.childForFieldName('condition')?.id === c.id) || qType === 'conditional_expression');
  };
  switch (pType) {
    case 'assignment_expression':
      if (p.childForFieldName('right')?.id === node.id) return { kind: 'assign', target: normaliseExpr(p.childForFieldName('left')?.text ?? '') };
      return { kind: 'discard' };
    case 'init_declarator':
      return { kind: 'assign', target: declaratorName(p.childForFieldName('declarator')) ?? undefined };
    case 'unary_expression':
      if (p.child(0)?.text === '!' && inCondition(p)) return { kind: 'notcond' };
      return { kind: 'discard' };
    case 'if_statement':
    case 'while_statement':
    case 'do_statement':
      return { kind: 'cond' };
    case 'binary_expression':
      return inCondition(p) ? { kind: 'cond', target: p.text.replace(/\s+/g, ' ') } : { kind: 'discard' };
    case 'return_statement':
      return { kind: 'return' };
    case 'argument_list':
      return { kind: 'arg' };
    default:
      return { kind: 'discard' };
  }
}
