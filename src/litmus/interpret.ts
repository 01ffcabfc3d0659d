// Runs one thread of a litmus test along every path it can take, turning each primitive into
// herd7's events (see events.ts). A read may return any value its location can hold (the value
// domain computed by paths.ts); conditional primitives (cmpxchg, spin_trylock, spin_is_locked)
// follow the value read or fork. Register values carry the reads they came from, which gives the
// addr, data and ctrl dependencies (ctrl reaches the events inside the if's arms).
// Paths are enumerated by replaying the thread with a recorded list of choices.
import { InputError, UnsupportedError } from '../errors.js';
import { sameValue, valueText, type Expr, type Stmt, type ThreadDef, type Value } from './ast.js';
import type { AccessTag, FenceTag, LockKind, PathEvent, ThreadPath } from './events.js';

interface Tainted {
  v: Value;
  deps: number[];
}


export interface ThreadContext {
  file: string;
  /** Initial register values from the init block (`0:r1=1;`). */
  regInit: Map<string, Value>;
  domain(loc: string): Value[];
  isLock(loc: string): boolean;
}

type Annot = 'mb' | 'once' | 'acquire' | 'release';

const ORDER_SUFFIX: Record<string, Annot> = { '': 'mb', _relaxed: 'once', _acquire: 'acquire', _release: 'release' };

const FENCES: Record<string, FenceTag> = {
  smp_mb: 'mb',
  smp_rmb: 'rmb',
  smp_wmb: 'wmb',
  barrier: 'barrier',
  smp_mb__before_atomic: 'before-atomic',
  smp_mb__after_atomic: 'after-atomic',
  smp_mb__after_spinlock: 'after-spinlock',
  smp_mb__after_unlock_lock: 'after-unlock-lock',
  rcu_read_lock: 'rcu-lock',
  rcu_read_unlock: 'rcu-unlock',
  synchronize_rcu: 'sync-rcu',
  synchronize_rcu_expedited: 'sync-rcu',
};

class Run {
  events: PathEvent[] = [];
  regs = new Map<string, Tainted>();
  params = new Map<string, string>();
  ctrl: number[] = [];
  private choicePos = 0;

  constructor(
    private readonly def: ThreadDef,
    private readonly ctx: ThreadContext,
    private readonly choices: number[],
    private readonly counts: number[],
  ) {
    for (const p of def.params) this.params.set(p.name, p.name);
    for (const [r, v] of ctx.regInit) this.regs.set(r, { v, deps: [] });
  }

  private choose(n: number): number {
    const i = this.choicePos++;
    if (i < this.choices.length) return this.choices[i]!;
    this.choices.push(0);
    this.counts.push(n);
    return 0;
  }

  unsupportedAddressArith(line: number): never {
    return this.unsupported('arithmetic on an address', line);
  }
  private unsupported(construct: string, line: number): never {
    throw new UnsupportedError(construct, `unsupported: ${construct} (${this.ctx.file}:${line})`);
  }
  private bad(msg: string, line: number): never {
    throw new InputError(`${this.ctx.file}:${line}`, msg);
  }

  run(): ThreadPath {
    for (const s of this.def.body) this.stmt(s);
    const regs = new Map<string, Value>();
    for (const [r, t] of this.regs) regs.set(r, t.v);
    return { thread: this.def.index, events: this.events, regs };
  }

  // ------------------------------------------------------------------------------ events
  private emit(e: Omit<PathEvent, 'ctrl' | 'addr' | 'data' | 'atomic' | 'rmwFrom' | 'lock' | 'fence' | 'tag' | 'value' | 'loc'> & Partial<PathEvent>): number {
    this.events.push({
      loc: null,
      value: null,
      tag: null,
      fence: null,
      lock: null,
      atomic: false,
      rmwFrom: null,
      addr: [],
      data: [],
      ...e,
      ctrl: [...this.ctrl],
    });
    return this.events.length - 1;
  }

  private checkLoc(loc: string, line: number, lock: boolean): void {
    if (this.ctx.isLock(loc) !== lock)
      this.unsupported(lock ? `lock operation on '${loc}', which is also accessed as data` : `data access to spinlock '${loc}'`, line);
  }

  private read(loc: string, tag: AccessTag, addr: number[], line: number, atomic = false): { idx: number; v: Value } {
    this.checkLoc(loc, line, false);
    const dom = this.ctx.domain(loc);
    const v = dom[this.choose(dom.length)]!;
    const idx = this.emit({ kind: 'R', loc, value: v, tag, addr, atomic, line });
    return { idx, v };
  }

  private write(loc: string, tag: AccessTag, val: Tainted, addr: number[], line: number, rmwFrom: number | null = null): number {
    this.checkLoc(loc, line, false);
    return this.emit({ kind: 'W', loc, value: val.v, tag, addr, data: [...val.deps], atomic: rmwFrom !== null, rmwFrom, line });
  }

  private fence(f: FenceTag, line: number): void {
    this.emit({ kind: 'F', fence: f, line });
  }

  private lockEvent(kind: LockKind, loc: string, addr: number[], line: number, rmwFrom: number | null = null): number {
    this.checkLoc(loc, line, true);
    const isWrite = kind === 'LKW' || kind === 'UL';
    return this.emit({ kind: isWrite ? 'W' : 'R', loc, value: kind === 'LKW' || kind === 'RL' || kind === 'LF' ? 1 : 0, lock: kind, addr, rmwFrom, line });
  }

  // -------------------------------------------------------------------------- statements
  private stmt(s: Stmt): void {
    switch (s.kind) {
      case 'decl':
        this.regs.set(s.name, s.init ? this.expr(s.init) : { v: this.ctx.regInit.get(s.name) ?? 0, deps: [] });
        return;
      case 'assign': {
        if (s.target.kind === 'name') {
          if (this.params.has(s.target.name)) this.unsupported(`assignment to parameter '${s.target.name}'`, s.line);
          this.regs.set(s.target.name, this.expr(s.value));
        } else if (s.target.kind === 'deref') {
          const where = this.address(s.target.target, s.line);
          const val = this.expr(s.value);
          this.write(where.loc, 'plain', val, where.deps, s.line);
        } else this.bad('left side of = is not assignable', s.line);
        return;
      }
      case 'expr':
        this.expr(s.expr);
        return;
      case 'if': {
        // A control dependency reaches the events inside the arms only (explanation.txt:
        // "Y syntactically lies within an arm of an if statement").
        const c = this.expr(s.cond);
        const outer = this.ctrl;
        this.ctrl = union(outer, c.deps);
        if (truthy(c.v)) this.stmt(s.then);
        else if (s.else) this.stmt(s.else);
        this.ctrl = outer;
        return;
      }
      case 'block':
        for (const b of s.body) this.stmt(b);
        return;
    }
  }

  // ------------------------------------------------------------------------- expressions
  /** Evaluates a pointer expression to the location it designates. */
  private address(e: Expr, line: number): { loc: string; deps: number[] } {
    const t = this.expr(e);
    // Only an initial or stored integer reaches here (thin-air values never enter a domain),
    // so the dereference is real: herd7 has no answer for it either.
    if (typeof t.v === 'number') this.unsupported(`dereference of the integer ${t.v} (not an address)`, line);
    return { loc: t.v.addr, deps: t.deps };
  }

  /** The location designated by an lvalue argument `*p` (READ_ONCE, WRITE_ONCE, rcu_*). */
  private lvalue(e: Expr | undefined, fn: string, line: number): { loc: string; deps: number[] } {
    if (!e) this.bad(`${fn}: missing argument`, line);
    if (e!.kind !== 'deref') this.unsupported(`${fn} of a non-dereference (write ${fn}(*p, ...))`, line);
    return this.address((e as { target: Expr }).target, line);
  }

  private expr(e: Expr): Tainted {
    switch (e.kind) {
      case 'num':
        return { v: e.value, deps: [] };
      case 'name': {
        const r = this.regs.get(e.name);
        if (r) return r;
        if (this.params.has(e.name)) return { v: { addr: this.params.get(e.name)! }, deps: [] };
        return this.bad(`unknown name '${e.name}' in P${this.def.index}`, e.line);
      }
      case 'addr':
        return this.unsupported(`address-of '&${e.name}' in thread code`, e.line);
      case 'deref': {
        const where = this.address(e.target, e.line);
        const r = this.read(where.loc, 'plain', where.deps, e.line);
        return { v: r.v, deps: [r.idx] };
      }
      case 'void':
        this.expr(e.arg);
        return { v: 0, deps: [] };
      case 'unary': {
        const a = this.expr(e.arg);
        return { v: unaryOp(e.op, a.v, () => this.unsupported(`'${e.op}' on an address`, e.line)), deps: a.deps };
      }
      case 'binary': {
        const before = this.events.length;
        // Both operands are evaluated, && and || included (herd7 has no short-circuit either).
        const a = this.expr(e.left);
        const middle = this.events.length;
        const b = this.expr(e.right);
        // herd7 evaluates the two operands in parallel (no program order between their accesses);
        // rather than guess an order, refuse: write each access into its own register first.
        if (middle > before && this.events.length > middle) this.unsupported('two shared-memory accesses in one expression (use a register for each)', e.line);
        return { v: binaryOp(e.op, a.v, b.v, () => this.unsupported(`'${e.op}' on an address`, e.line)), deps: union(a.deps, b.deps) };
      }
      case 'call':
        return this.call(e.fn, e.args, e.line);
    }
  }

  private call(fn: string, args: Expr[], line: number): Tainted {
    const arity = (n: number) => {
      if (args.length !== n) this.bad(`${fn} takes ${n} argument${n === 1 ? '' : 's'}, not ${args.length}`, line);
    };
    const fenceTag = FENCES[fn];
    if (fenceTag) {
      arity(0);
      this.fence(fenceTag, line);
      return { v: 0, deps: [] };
    }
    switch (fn) {
      case 'READ_ONCE':
      case 'rcu_dereference': {
        arity(1);
        const w = this.lvalue(args[0], fn, line);
        const r = this.read(w.loc, 'once', w.deps, line);
        return { v: r.v, deps: [r.idx] };
      }
      case 'smp_load_acquire':
      case 'atomic_read':
      case 'atomic_read_acquire': {
        arity(1);
        const w = this.address(args[0]!, line);
        const r = this.read(w.loc, fn === 'atomic_read' ? 'once' : 'acquire', w.deps, line);
        return { v: r.v, deps: [r.idx] };
      }
      case 'WRITE_ONCE':
      case 'rcu_assign_pointer':
      case 'smp_store_mb': {
        arity(2);
        const w = this.lvalue(args[0], fn, line);
        const v = this.expr(args[1]!);
        this.write(w.loc, fn === 'rcu_assign_pointer' ? 'release' : 'once', v, w.deps, line);
        if (fn === 'smp_store_mb') this.fence('mb', line);
        return { v: 0, deps: [] };
      }
      case 'smp_store_release':
      case 'atomic_set':
      case 'atomic_set_release': {
        arity(2);
        const w = this.address(args[0]!, line);
        const v = this.expr(args[1]!);
        this.write(w.loc, fn === 'atomic_set' ? 'once' : 'release', v, w.deps, line);
        return { v: 0, deps: [] };
      }
      case 'spin_lock': {
        arity(1);
        const w = this.address(args[0]!, line);
        const r = this.lockEvent('LKR', w.loc, w.deps, line);
        this.lockEvent('LKW', w.loc, w.deps, line, r);
        return { v: 0, deps: [] };
      }
      case 'spin_unlock': {
        arity(1);
        const w = this.address(args[0]!, line);
        this.lockEvent('UL', w.loc, w.deps, line);
        return { v: 0, deps: [] };
      }
      case 'spin_trylock': {
        arity(1);
        const w = this.address(args[0]!, line);
        if (this.choose(2) === 0) {
          const r = this.lockEvent('LKR', w.loc, w.deps, line);
          this.lockEvent('LKW', w.loc, w.deps, line, r);
          return { v: 1, deps: [r] };
        }
        const f = this.lockEvent('LF', w.loc, w.deps, line);
        return { v: 0, deps: [f] };
      }
      case 'spin_is_locked': {
        arity(1);
        const w = this.address(args[0]!, line);
        const locked = this.choose(2) === 0;
        const r = this.lockEvent(locked ? 'RL' : 'RU', w.loc, w.deps, line);
        return { v: locked ? 1 : 0, deps: [r] };
      }
      case 'atomic_add_unless': {
        arity(3);
        const w = this.address(args[0]!, line);
        const a = this.expr(args[1]!);
        const u = this.expr(args[2]!);
        return this.conditionalRmw(w, 'mb', (old) => !sameValue(old, u.v), (old, ri) => ({ v: arith('+', old, a.v, line, this), deps: union([ri], a.deps) }), (ok) => (ok ? 1 : 0), line);
      }
    }
    let m = /^(atomic_)?xchg(|_relaxed|_acquire|_release)$/.exec(fn);
    if (m) {
      arity(2);
      const w = this.address(args[0]!, line);
      const v = this.expr(args[1]!);
      const r = this.rmw(w, ORDER_SUFFIX[m[2]!]!, () => v, line);
      return { v: r.old, deps: [r.idx] };
    }
    m = /^(atomic_)?cmpxchg(|_relaxed|_acquire|_release)$/.exec(fn);
    if (m) {
      arity(3);
      const w = this.address(args[0]!, line);
      const expected = this.expr(args[1]!);
      const nv = this.expr(args[2]!);
      return this.conditionalRmw(w, ORDER_SUFFIX[m[2]!]!, (old) => sameValue(old, expected.v), () => nv, (_ok, old) => old, line);
    }
    m = /^atomic_(add|sub|inc|dec)$/.exec(fn);
    if (m) {
      const op = m[1] === 'add' || m[1] === 'inc' ? '+' : '-';
      const withValue = m[1] === 'add' || m[1] === 'sub';
      arity(withValue ? 2 : 1);
      const delta = withValue ? this.expr(args[0]!) : { v: 1, deps: [] };
      const w = this.address(args[withValue ? 1 : 0]!, line);
      const r = this.read(w.loc, 'noreturn', w.deps, line, true);
      this.write(w.loc, 'once', { v: arith(op, r.v, delta.v, line, this), deps: union([r.idx], delta.deps) }, w.deps, line, r.idx);
      return { v: 0, deps: [] };
    }
    m = /^atomic_(fetch_)?(add|sub|inc|dec)(_return)?(|_relaxed|_acquire|_release)$/.exec(fn);
    if (m && !!m[1] !== !!m[3]) {
      const op = m[2] === 'add' || m[2] === 'inc' ? '+' : '-';
      const withValue = m[2] === 'add' || m[2] === 'sub';
      arity(withValue ? 2 : 1);
      const delta = withValue ? this.expr(args[0]!) : { v: 1, deps: [] };
      const w = this.address(args[withValue ? 1 : 0]!, line);
      const r = this.rmw(w, ORDER_SUFFIX[m[4]!]!, (old, ri) => ({ v: arith(op, old, delta.v, line, this), deps: union([ri], delta.deps) }), line);
      const result = m[1] ? r.old : r.written;
      return { v: result, deps: union([r.idx], m[1] ? [] : delta.deps) };
    }
    m = /^atomic_(sub_and_test|dec_and_test|inc_and_test|add_negative)$/.exec(fn);
    if (m) {
      const withValue = m[1] === 'sub_and_test' || m[1] === 'add_negative';
      arity(withValue ? 2 : 1);
      const delta = withValue ? this.expr(args[0]!) : { v: 1, deps: [] };
      const w = this.address(args[withValue ? 1 : 0]!, line);
      const op = m[1] === 'sub_and_test' || m[1] === 'dec_and_test' ? '-' : '+';
      const r = this.rmw(w, 'mb', (old, ri) => ({ v: arith(op, old, delta.v, line, this), deps: union([ri], delta.deps) }), line);
      const n = typeof r.written === 'number' ? r.written : this.unsupported(`${fn} on an address`, line);
      return { v: (m[1] === 'add_negative' ? n < 0 : n === 0) ? 1 : 0, deps: union([r.idx], delta.deps) };
    }
    return this.unsupported(`primitive '${fn}' (not in Linux 6.12's linux-kernel.def)`, line);
  }

  /** An unconditional RMW: R* then W*, with F[mb] around it when fully ordered. Arithmetic RMWs
   *  compute W*'s value from R*'s, which herd7 records as a data dependency R* -> W*; xchg and
   *  cmpxchg store a value that does not come from the read. */
  private rmw(w: { loc: string; deps: number[] }, annot: Annot, newValue: (old: Value, readIdx: number) => Tainted, line: number): { idx: number; old: Value; written: Value } {
    if (annot === 'mb') this.fence('mb', line);
    const r = this.read(w.loc, annot === 'acquire' ? 'acquire' : 'once', w.deps, line, true);
    const nv = newValue(r.v, r.idx);
    this.write(w.loc, annot === 'release' ? 'release' : 'once', nv, w.deps, line, r.idx);
    if (annot === 'mb') this.fence('mb', line);
    return { idx: r.idx, old: r.v, written: nv.v };
  }

  /** cmpxchg-like: on failure only R*[once], with no ordering (herd-representation.txt). */
  private conditionalRmw(
    w: { loc: string; deps: number[] },
    annot: Annot,
    succeeds: (old: Value) => boolean,
    newValue: (old: Value, readIdx: number) => Tainted,
    result: (ok: boolean, old: Value) => Value,
    line: number,
  ): Tainted {
    // The read value decides success, so fork on the value first, then lay out the events.
    const dom = this.ctx.domain(w.loc);
    this.checkLoc(w.loc, line, false);
    const v = dom[this.choose(dom.length)]!;
    const ok = succeeds(v);
    if (ok && annot === 'mb') this.fence('mb', line);
    const idx = this.emit({ kind: 'R', loc: w.loc, value: v, tag: ok && annot === 'acquire' ? 'acquire' : 'once', addr: w.deps, atomic: true, line });
    if (ok) {
      const nv = newValue(v, idx);
      this.write(w.loc, annot === 'release' ? 'release' : 'once', nv, w.deps, line, idx);
      if (annot === 'mb') this.fence('mb', line);
    }
    return { v: result(ok, v), deps: [idx] };
  }
}

function union(a: number[], b: number[]): number[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

function truthy(v: Value): boolean {
  return typeof v === 'number' ? v !== 0 : true;
}

function arith(op: string, a: Value, b: Value, line: number, run: Run): Value {
  if (typeof a !== 'number' || typeof b !== 'number') return run.unsupportedAddressArith(line);
  return op === '+' ? a + b : a - b;
}

function unaryOp(op: string, a: Value, onAddr: () => never): Value {
  if (op === '!') return truthy(a) ? 0 : 1;
  if (typeof a !== 'number') return onAddr();
  return op === '-' ? -a : ~a;
}

function binaryOp(op: string, a: Value, b: Value, onAddr: () => never): Value {
  if (op === '==') return sameValue(a, b) ? 1 : 0;
  if (op === '!=') return sameValue(a, b) ? 0 : 1;
  if (op === '&&') return truthy(a) && truthy(b) ? 1 : 0;
  if (op === '||') return truthy(a) || truthy(b) ? 1 : 0;
  if (typeof a !== 'number' || typeof b !== 'number') return onAddr();
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return b === 0 ? 0 : Math.trunc(a / b);
    case '%': return b === 0 ? 0 : a % b;
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '<<': return a << b;
    case '>>': return a >> b;
    case '<': return a < b ? 1 : 0;
    case '>': return a > b ? 1 : 0;
    case '<=': return a <= b ? 1 : 0;
    case '>=': return a >= b ? 1 : 0;
  }
  return onAddr();
}

/**
 * Every path of one thread, given the value domain of each location. `limit` bounds the number
 * of paths (the state-explosion guard); exceeding it throws an UnsupportedError.
 */
export function threadPaths(def: ThreadDef, ctx: ThreadContext, limit: number): ThreadPath[] {
  const out: ThreadPath[] = [];
  // An odometer over the choices: a run replays `choices` and appends fresh ones (option 0),
  // recording how many options each had in `counts`; then the last unexhausted choice advances.
  const choices: number[] = [];
  const counts: number[] = [];
  for (;;) {
    out.push(new Run(def, ctx, choices, counts).run());
    if (out.length > limit) throw new UnsupportedError('state explosion', `unsupported: state explosion: thread P${def.index} has more than ${limit} paths`);
    let k = choices.length - 1;
    while (k >= 0 && choices[k]! + 1 >= counts[k]!) k--;
    if (k < 0) break;
    choices.length = k + 1;
    counts.length = k + 1;
    choices[k]!++;
  }
  return out;
}

export function describeValue(v: Value): string {
  return valueText(v);
}
