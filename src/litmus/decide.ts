// Decides a parsed litmus test the way `herd7 -conf linux-kernel.cfg` does: enumerate candidate
// executions (one path per thread, then rf and co), keep those the LKMM allows (lkmm.ts), and
// report the distinct final states, how many satisfy the condition, and the data-race flag.
//
// Values: a read may return any value its location can hold. That domain is computed first as a
// fixed point (initial values, then what writes can store given the reads' domains), bounded in
// depth by the number of writes in the test so that read-modify-write chains terminate; the rf
// choice then matches each read with a write of the same value. Locks follow lock.cat: a
// spin_lock is an LKR/LKW pair, each critical section's UL directly follows its LKW in co, and the
// LKR reads from the co-predecessor of its LKW (the initial state or the previous unlock).
// Search: coherence and atomicity are per location, so each location's (co, rf) pairs are
// filtered alone before their product is judged; path combinations whose reads no write can
// satisfy, or whose registers fail a register-only filter, are dropped before any co/rf choice.
// Bounds on paths, combinations, coherence orders and candidates turn a blow-up into an
// UnsupportedError ("state explosion") instead of a hang.
import { InputError, UnsupportedError } from '../errors.js';
import { refKey, sameValue, valueText, type Expr, type LitmusTest, type Prop, type StateRef, type Stmt, type Value } from './ast.js';
import type { PathEvent, ThreadPath } from './events.js';
import { threadPaths, type ThreadContext } from './interpret.js';
import { buildStatics, judge, type ExecEvent, type StaticInput } from './lkmm.js';
import { Rel } from './relation.js';

export interface Limits {
  /** Paths of one thread. */
  paths: number;
  /** Candidate executions (path combinations x co x rf) in the whole test. */
  candidates: number;
}

export const DEFAULT_LIMITS: Limits = { paths: 20_000, candidates: 300_000 };

export interface Decision {
  name: string;
  file: string;
  quantifier: LitmusTest['quantifier'];
  condition: string;
  /** Observed final states, herd7-formatted (`1:r0=0; x=1;`), sorted. */
  states: string[];
  /** Allowed executions whose final state satisfies / does not satisfy the condition's proposition. */
  positive: number;
  negative: number;
  observation: 'Never' | 'Sometimes' | 'Always';
  /** herd7's Ok/No: whether the quantified condition holds. */
  ok: boolean;
  dataRace: boolean;
  /** Every flag herd7 would print (`data-race`, `mixed-accesses`), sorted. */
  flags: string[];
  /** Allowed executions (after the filter), for information. */
  executions: number;
  /** Candidate executions examined (the search effort). */
  candidates: number;
}

interface Loc {
  name: string;
  init: Value;
  lock: boolean;
}

export function decide(test: LitmusTest, limits: Limits = DEFAULT_LIMITS): Decision {
  const locs = collectLocations(test);
  const lockLocs = new Set([...locs.values()].filter((l) => l.lock).map((l) => l.name));
  const regInit = new Map<number, Map<string, Value>>();
  for (const e of test.init) {
    if ('thread' in e.target) {
      if (!regInit.has(e.target.thread)) regInit.set(e.target.thread, new Map());
      regInit.get(e.target.thread)!.set(e.target.reg, e.value);
    }
  }
  for (const r of [...refsOf(test.condition), ...test.locations, ...(test.filter ? refsOf(test.filter) : [])]) {
    if ('loc' in r && !locs.has(r.loc)) throw new InputError(test.file, `condition names unknown location '${r.loc}'`);
    if ('thread' in r && r.thread >= test.threads.length) throw new InputError(test.file, `condition names thread ${r.thread}, which does not exist`);
  }

  // Value domains: a fixed point bounded by the number of write sites.
  const domains = new Map<string, Value[]>();
  for (const l of locs.values()) domains.set(l.name, [l.init]);
  const ctxFor = (t: number): ThreadContext => ({
    file: test.file,
    regInit: regInit.get(t) ?? new Map(),
    domain: (loc) => {
      const d = domains.get(loc);
      if (!d) throw new InputError(test.file, `P${t} accesses unknown location '${loc}'`);
      return d;
    },
    isLock: (loc) => lockLocs.has(loc),
  });
  const depth = countWriteSites(test) + 1;
  let paths: ThreadPath[][] = [];
  for (let iter = 0; ; iter++) {
    paths = test.threads.map((t) => threadPaths(t, ctxFor(t.index), limits.paths));
    let changed = false;
    for (const ps of paths)
      for (const p of ps)
        for (const e of p.events) {
          if (e.kind !== 'W' || e.lock || e.loc === null || e.value === null) continue;
          const d = domains.get(e.loc)!;
          if (!d.some((v) => sameValue(v, e.value!))) {
            d.push(e.value);
            changed = true;
          }
        }
    if (!changed) break;
    if (iter >= depth) {
      paths = test.threads.map((t) => threadPaths(t, ctxFor(t.index), limits.paths));
      break;
    }
  }

  const observed = observedRefs(test);
  const states = new Set<string>();
  let positive = 0;
  let dataRace = false;
  let mixedAccesses = false;
  let executions = 0;
  let candidates = 0;
  let combinations = 0;
  const locList = [...locs.values()];

  const chosen: ThreadPath[] = [];
  const valueKey = (loc: string, v: Value) => `${loc}=${valueText(v)}`;
  const initKeys = new Set(locList.map((l) => valueKey(l.name, l.init)));
  const summaries = new Map<ThreadPath, { reads: string[]; writes: Set<string> }>();
  for (const ps of paths)
    for (const p of ps) {
      const reads: string[] = [];
      const writes = new Set<string>();
      for (const e of p.events) {
        if (e.lock || e.loc === null || e.value === null) continue;
        if (e.kind === 'R') reads.push(valueKey(e.loc, e.value));
        else if (e.kind === 'W') writes.add(valueKey(e.loc, e.value));
      }
      summaries.set(p, { reads, writes });
    }
  const visitCombination = () => {
    const ex = assemble(test, locList, chosen, Math.min(limits.candidates, 50_000));
    if (!ex) return;
    const statics = buildStatics(ex.input);
    ex.forEachCandidate((co, rf) => {
      const finalLoc = (name: string): Value => co.last.get(name) ?? locs.get(name)!.init;
      const lookup = (r: StateRef): Value => ('loc' in r ? finalLoc(r.loc) : regOf(r));
      if (test.filter && !evalProp(test.filter, lookup)) return;
      if (++candidates > limits.candidates)
        throw new UnsupportedError('state explosion', `unsupported: state explosion: more than ${limits.candidates} candidate executions in ${test.file}`);
      const j = judge(statics, rf, co.rel, !dataRace);
      if (!j.consistent) return;
      executions++;
      if (j.race) dataRace = true;
      if (statics.mixedAccesses) mixedAccesses = true;
      states.add(observed.map((r) => `${'loc' in r ? `[${r.loc}]` : refKey(r)}=${valueText(lookup(r))};`).join(' '));
      if (evalProp(test.condition, lookup)) positive++;
    });
  };
  const regOf = (r: { thread: number; reg: string }): Value => chosen[r.thread]!.regs.get(r.reg) ?? regInit.get(r.thread)?.get(r.reg) ?? 0;
  // A filter on registers only is decided by the paths alone: prune before building executions.
  const registerFilter = test.filter && refsOf(test.filter).every((r) => 'thread' in r) ? test.filter : null;
  const walk = (t: number) => {
    if (t === paths.length) {
      if (++combinations > limits.candidates)
        throw new UnsupportedError('state explosion', `unsupported: state explosion: more than ${limits.candidates} combinations of thread paths in ${test.file}`);
      if (registerFilter && !evalProp(registerFilter, (r) => ('thread' in r ? regOf(r) : 0))) return;
      // Every value read must be written by someone (another thread, or the thread itself
      // earlier): cheap to check here, before the combination is laid out.
      for (let a = 0; a < chosen.length; a++)
        for (const need of summaries.get(chosen[a]!)!.reads) {
          if (initKeys.has(need)) continue;
          let found = false;
          for (let b = 0; b < chosen.length && !found; b++) found = summaries.get(chosen[b]!)!.writes.has(need);
          if (!found) return;
        }
      return visitCombination();
    }
    for (const p of paths[t]!) {
      chosen[t] = p;
      walk(t + 1);
    }
  };
  walk(0);

  // herd7 counts executions, not states: Positive + Negative is the number of allowed executions.
  const sorted = [...states].sort();
  const negative = executions - positive;
  const observation = positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
  const ok = test.quantifier === 'exists' ? positive > 0 : test.quantifier === 'not-exists' ? positive === 0 : negative === 0;
  return {
    name: test.name,
    file: test.file,
    quantifier: test.quantifier,
    condition: propText(test.condition, true),
    states: sorted,
    positive,
    negative,
    observation,
    ok,
    dataRace,
    flags: [...(dataRace ? ['data-race'] : []), ...(mixedAccesses ? ['mixed-accesses'] : [])],
    executions,
    candidates,
  };
}

// ---------------------------------------------------------------------------------- locations
function collectLocations(test: LitmusTest): Map<string, Loc> {
  const locs = new Map<string, Loc>();
  const ensure = (name: string, lock = false) => {
    const l = locs.get(name);
    if (l) l.lock ||= lock;
    else locs.set(name, { name, init: 0, lock });
  };
  for (const e of test.init) {
    if (!('loc' in e.target)) continue;
    ensure(e.target.loc, !!e.type && e.type.startsWith('spinlock_t'));
    locs.get(e.target.loc)!.init = e.value;
    if (typeof e.value !== 'number') ensure(e.value.addr);
  }
  for (const t of test.threads) {
    for (const p of t.params) ensure(p.name, p.type === 'spinlock_t' && p.pointerDepth === 1);
    const params = new Set(t.params.map((p) => p.name));
    walkCalls(t.body, (fn, args) => {
      if (/^spin_(lock|unlock|trylock|is_locked)$/.test(fn) && args[0]?.kind === 'name' && params.has(args[0].name)) ensure(args[0].name, true);
    });
  }
  for (const r of [...test.locations]) if ('loc' in r) ensure(r.loc);
  return locs;
}

function walkCalls(body: Stmt[], visit: (fn: string, args: Expr[]) => void): void {
  const ex = (e: Expr | null): void => {
    if (!e) return;
    switch (e.kind) {
      case 'call':
        visit(e.fn, e.args);
        e.args.forEach(ex);
        return;
      case 'deref':
        return ex(e.target);
      case 'unary':
      case 'void':
        return ex(e.arg);
      case 'binary':
        ex(e.left);
        return ex(e.right);
      default:
        return;
    }
  };
  const st = (s: Stmt): void => {
    switch (s.kind) {
      case 'decl':
        return ex(s.init);
      case 'assign':
        ex(s.target);
        return ex(s.value);
      case 'expr':
        return ex(s.expr);
      case 'if':
        ex(s.cond);
        st(s.then);
        if (s.else) st(s.else);
        return;
      case 'block':
        s.body.forEach(st);
        return;
    }
  };
  body.forEach(st);
}

function countWriteSites(test: LitmusTest): number {
  let n = 0;
  for (const t of test.threads) {
    walkCalls(t.body, (fn) => {
      if (/WRITE_ONCE|store|set|assign|xchg|atomic_(add|sub|inc|dec|fetch)/.test(fn)) n++;
    });
    const st = (s: Stmt): void => {
      if (s.kind === 'assign' && s.target.kind === 'deref') n++;
      if (s.kind === 'if') {
        st(s.then);
        if (s.else) st(s.else);
      }
      if (s.kind === 'block') s.body.forEach(st);
    };
    t.body.forEach(st);
  }
  return n;
}

function refsOf(p: Prop): StateRef[] {
  switch (p.kind) {
    case 'eq':
      return [p.ref];
    case 'not':
      return refsOf(p.arg);
    case 'and':
    case 'or':
    case 'implies':
      return [...refsOf(p.left), ...refsOf(p.right)];
    default:
      return [];
  }
}

/** The locations herd7 shows in each final state: those of the condition and of `locations`. */
function observedRefs(test: LitmusTest): StateRef[] {
  const seen = new Map<string, StateRef>();
  for (const r of [...test.locations, ...refsOf(test.condition)]) seen.set(refKey(r), r);
  const regs = [...seen.values()].filter((r): r is { thread: number; reg: string } => 'thread' in r);
  const globals = [...seen.values()].filter((r): r is { loc: string } => 'loc' in r);
  regs.sort((a, b) => a.thread - b.thread || (a.reg < b.reg ? -1 : a.reg > b.reg ? 1 : 0));
  globals.sort((a, b) => (a.loc < b.loc ? -1 : a.loc > b.loc ? 1 : 0));
  return [...regs, ...globals];
}

function evalProp(p: Prop, lookup: (r: StateRef) => Value): boolean {
  switch (p.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'eq':
      return sameValue(lookup(p.ref), p.value) !== p.negated;
    case 'not':
      return !evalProp(p.arg, lookup);
    case 'and':
      return evalProp(p.left, lookup) && evalProp(p.right, lookup);
    case 'or':
      return evalProp(p.left, lookup) || evalProp(p.right, lookup);
    case 'implies':
      return !evalProp(p.left, lookup) || evalProp(p.right, lookup);
  }
}

export function propText(p: Prop, top = false): string {
  const inner = (q: Prop): string => {
    switch (q.kind) {
      case 'true':
        return 'true';
      case 'false':
        return 'false';
      case 'eq':
        return `${refKey(q.ref)}${q.negated ? '!=' : '='}${valueText(q.value)}`;
      case 'not':
        return `~${propText(q.arg)}`;
      case 'and':
      case 'or': {
        // Chains of one operator print flat, as herd7 prints them: (a /\\ b /\\ c).
        const side = (c: Prop) => (c.kind === q.kind ? inner(c) : propText(c));
        return `${side(q.left)} ${q.kind === 'and' ? '/\\' : '\\/'} ${side(q.right)}`;
      }
      case 'implies':
        return `${propText(q.left)} => ${propText(q.right)}`;
    }
  };
  const s = inner(p);
  if (top) return `(${s})`;
  return p.kind === 'and' || p.kind === 'or' || p.kind === 'implies' ? `(${s})` : s;
}

// ----------------------------------------------------------------------------------- assembly
interface CoChoice {
  rel: Rel;
  /** Final (co-last) value of every written location. */
  last: Map<string, Value>;
}

interface Assembled {
  input: StaticInput;
  forEachCandidate(visit: (co: CoChoice, rf: Rel) => void): void;
}

/** Lays one path per thread out as one event structure; null when lock.cat rules it out. */
function assemble(test: LitmusTest, locs: Loc[], chosen: ThreadPath[], maxOrders: number): Assembled | null {
  const explode = (loc: string): never => {
    throw new UnsupportedError('state explosion', `unsupported: state explosion: too many coherence orders or read-from choices for '${loc}' in ${test.file}`);
  };
  const events: ExecEvent[] = [];
  const initIndex = new Map<string, number>();
  for (const l of locs) {
    initIndex.set(l.name, events.length);
    events.push({ thread: -1, kind: 'W', loc: l.name, value: l.init, tag: 'once', fence: null, lock: null, atomic: false });
  }
  const po: [number, number][] = [];
  const rmw: [number, number][] = [];
  const addr: [number, number][] = [];
  const data: [number, number][] = [];
  const ctrl: [number, number][] = [];
  const rcuRscs: [number, number][] = [];
  const pathOf: PathEvent[] = [];
  // Lock bookkeeping per location: LKW -> its UL (critical), unmatched LKWs, LF/RL/RU readers.
  const critical = new Map<number, number>();
  const unmatched = new Map<string, number[]>();
  const lockWritesByThread = new Map<string, number[][]>();
  const failReads: { ev: number; ownLkw: number | null }[] = [];
  const unlockedReads: { ev: number; lastOwnUl: number | null }[] = [];
  // Set when a thread takes a lock it holds or finds it unlocked while holding it: lock.cat's
  // lock-nest and nested-is-locked axioms rule such executions out (the thread deadlocks).
  let nested = false;

  for (const path of chosen) {
    const base = events.length;
    const rcuStack: number[] = [];
    const held = new Map<string, number>(); // lock location -> LKW currently held
    const lastUl = new Map<string, number>();
    path.events.forEach((e, k) => {
      const g = base + k;
      pathOf[g] = e;
      events.push({ thread: path.thread, kind: e.kind, loc: e.loc, value: e.value, tag: e.tag, fence: e.fence, lock: e.lock, atomic: e.atomic });
      for (let q = base; q < g; q++) po.push([q, g]);
      if (e.rmwFrom !== null) rmw.push([base + e.rmwFrom, g]);
      for (const d of e.addr) addr.push([base + d, g]);
      for (const d of e.data) data.push([base + d, g]);
      for (const d of e.ctrl) ctrl.push([base + d, g]);
      if (e.fence === 'rcu-lock') rcuStack.push(g);
      if (e.fence === 'rcu-unlock') {
        const open = rcuStack.pop();
        if (open === undefined) throw new UnsupportedError('unmatched rcu_read_unlock', `unsupported: unmatched rcu_read_unlock() in P${path.thread} (${test.file})`);
        rcuRscs.push([open, g]);
      }
      if (e.lock && e.loc) {
        const loc = e.loc;
        switch (e.lock) {
          case 'LKR':
            if (held.has(loc)) return; // lock-nest: marked below
            break;
          case 'LKW': {
            if (held.has(loc)) {
              nested = true;
              return;
            }
            held.set(loc, g);
            const perThread = lockWritesByThread.get(loc) ?? [];
            lockWritesByThread.set(loc, perThread);
            (perThread[path.thread] ??= []).push(g);
            break;
          }
          case 'UL': {
            const lkw = held.get(loc);
            if (lkw === undefined)
              throw new UnsupportedError('unmatched spin_unlock', `unsupported: spin_unlock() without a matching spin_lock() in P${path.thread} (${test.file})`);
            critical.set(lkw, g);
            held.delete(loc);
            lastUl.set(loc, g);
            break;
          }
          case 'LF':
          case 'RL':
            failReads.push({ ev: g, ownLkw: held.get(loc) ?? null });
            break;
          case 'RU':
            if (held.has(loc)) nested = true; // nested-is-locked
            unlockedReads.push({ ev: g, lastOwnUl: lastUl.get(loc) ?? null });
            break;
        }
      }
    });
    if (rcuStack.length) throw new UnsupportedError('unmatched rcu_read_lock', `unsupported: unmatched rcu_read_lock() in P${path.thread} (${test.file})`);
    for (const [loc, lkw] of held) {
      const u = unmatched.get(loc) ?? [];
      u.push(lkw);
      unmatched.set(loc, u);
    }
  }
  if (nested) return null;
  for (const u of unmatched.values()) if (u.length > 1) return null; // more than one must deadlock

  // Every plain read needs a write of its value; prune combinations where none exists.
  const writesOf = new Map<string, number[]>();
  events.forEach((e, i) => {
    if (e.kind === 'W' && e.loc !== null) {
      const l = writesOf.get(e.loc) ?? [];
      l.push(i);
      writesOf.set(e.loc, l);
    }
  });
  const readCands: { ev: number; cands: number[] }[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind !== 'R' || e.lock) continue;
    // Coherence prunes sources up front: never a po-later write of the reader's own thread, and
    // of its po-earlier writes only the last one (CoRW / CoWR).
    let lastOwn = -1;
    for (const w of writesOf.get(e.loc!) ?? []) if (events[w]!.thread === e.thread && w < i) lastOwn = w;
    const cands = (writesOf.get(e.loc!) ?? []).filter((w) => sameValue(events[w]!.value!, e.value!) && (events[w]!.thread !== e.thread || w === lastOwn));
    if (cands.length === 0) return null;
    readCands.push({ ev: i, cands });
  }
  const lockRead = new Map<number, number>(); // LKW -> its LKR
  for (const [r, w] of rmw) if (events[w]!.lock === 'LKW') lockRead.set(w, r);

  const n = events.length;
  const input: StaticInput = { events, po, rmw, addr, data, ctrl, rcuRscs };

  // Per-location co candidates: interleavings of each thread's writes in program order.
  const perLocOrders: { loc: string; orders: number[][] }[] = [];
  for (const l of locs) {
    const init = initIndex.get(l.name)!;
    if (l.lock) {
      const byThread = (lockWritesByThread.get(l.name) ?? []).filter(Boolean);
      const lone = unmatched.get(l.name)?.[0];
      const orders: number[][] = [];
      for (const seq of interleavings(byThread)) {
        if (orders.length >= maxOrders) explode(l.name);
        if (lone !== undefined && seq[seq.length - 1] !== lone) continue;
        const order = [init];
        for (const lkw of seq) {
          order.push(lkw);
          const ul = critical.get(lkw);
          if (ul !== undefined) order.push(ul);
        }
        orders.push(order);
      }
      perLocOrders.push({ loc: l.name, orders });
    } else {
      const byThread = new Map<number, number[]>();
      for (const w of writesOf.get(l.name) ?? []) {
        const t = events[w]!.thread;
        if (t < 0) continue;
        const s = byThread.get(t) ?? [];
        s.push(w);
        byThread.set(t, s);
      }
      const orders: number[][] = [];
      for (const seq of interleavings([...byThread.values()])) {
        if (orders.length >= maxOrders) explode(l.name);
        orders.push([init, ...seq]);
      }
      perLocOrders.push({ loc: l.name, orders });
    }
  }

  // Candidate sources of lock-failure and is-unlocked reads (lock.cat's rf-lf and rf-ru).
  const lockKindRead: { ev: number; cands: number[] }[] = [];
  for (const f of failReads) {
    const loc = events[f.ev]!.loc!;
    const cands =
      f.ownLkw !== null
        ? [f.ownLkw]
        : (writesOf.get(loc) ?? []).filter((w) => events[w]!.lock === 'LKW' && events[w]!.thread !== events[f.ev]!.thread);
    if (cands.length === 0) return null;
    lockKindRead.push({ ev: f.ev, cands });
  }
  for (const u of unlockedReads) {
    const loc = events[u.ev]!.loc!;
    const cands = (writesOf.get(loc) ?? []).filter((w) => (events[w]!.lock === 'UL' || events[w]!.thread < 0) && events[w]!.thread !== events[u.ev]!.thread);
    if (u.lastOwnUl !== null) cands.push(u.lastOwnUl);
    lockKindRead.push({ ev: u.ev, cands });
  }
  const allReads = [...readCands, ...lockKindRead];

  // Coherence and atomicity only relate accesses to one location, so each location's (co, rf)
  // choices are filtered on their own first; the product of the survivors is then judged whole.
  const rmwWriteOf = new Map<number, number>();
  for (const [r, w] of rmw) rmwWriteOf.set(r, w);
  const perLoc: { loc: string; choices: { order: number[]; rf: [number, number][] }[] }[] = [];
  let localChecks = 0;
  for (const pl of perLocOrders) {
    const reads = allReads.filter((r) => events[r.ev]!.loc === pl.loc);
    const threadEvents = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const e = events[i]!;
      if (e.thread < 0 || e.loc !== pl.loc || e.kind === 'F') continue;
      const l = threadEvents.get(e.thread) ?? [];
      l.push(i);
      threadEvents.set(e.thread, l);
    }
    const choices: { order: number[]; rf: [number, number][] }[] = [];
    for (const order of pl.orders) {
      const fixed: [number, number][] = [];
      for (let a = 1; a < order.length; a++) {
        const lkr = lockRead.get(order[a]!);
        if (lkr !== undefined) fixed.push([order[a - 1]!, lkr]);
      }
      const pick: number[] = [];
      const go = (k: number): void => {
        if (k === reads.length) {
          if (++localChecks > maxOrders * 20) explode(pl.loc);
          const rf: [number, number][] = [...fixed, ...reads.map((r, idx): [number, number] => [pick[idx]!, r.ev])];
          if (locallyConsistent(order, rf, threadEvents)) choices.push({ order, rf });
          return;
        }
        for (const c of reads[k]!.cands) {
          pick[k] = c;
          go(k + 1);
        }
      };
      go(0);
    }
    if (choices.length === 0) return null;
    perLoc.push({ loc: pl.loc, choices });
  }

  /** SC per location (acyclic po-loc | rf | co | fr) and RMW atomicity for one location. */
  function locallyConsistent(order: number[], rf: [number, number][], threadEvents: Map<number, number[]>): boolean {
    const pos = new Map<number, number>();
    order.forEach((w, k) => pos.set(w, k));
    const succ = new Map<number, number[]>();
    const edge = (a: number, b: number) => {
      const l = succ.get(a);
      if (l) l.push(b);
      else succ.set(a, [b]);
    };
    for (let k = 0; k + 1 < order.length; k++) edge(order[k]!, order[k + 1]!);
    for (const seq of threadEvents.values()) for (let k = 0; k + 1 < seq.length; k++) edge(seq[k]!, seq[k + 1]!);
    for (const [w, r] of rf) {
      edge(w, r);
      const k = pos.get(w)!;
      if (k + 1 < order.length) edge(r, order[k + 1]!);
      const wStar = rmwWriteOf.get(r);
      if (wStar !== undefined && events[wStar]!.lock === null) {
        const end = pos.get(wStar)!;
        for (let q = k + 1; q < end; q++) if (events[order[q]!]!.thread !== events[r]!.thread) return false;
      }
    }
    // Cycle detection by depth-first search with colours.
    const colour = new Map<number, number>();
    const visit = (v: number): boolean => {
      colour.set(v, 1);
      for (const w of succ.get(v) ?? []) {
        const c = colour.get(w);
        if (c === 1) return false;
        if (c === undefined && !visit(w)) return false;
      }
      colour.set(v, 2);
      return true;
    };
    for (const v of succ.keys()) if (!colour.has(v) && !visit(v)) return false;
    return true;
  }

  function forEachCandidate(visit: (co: CoChoice, rf: Rel) => void): void {
    const pick: { order: number[]; rf: [number, number][] }[] = [];
    const go = (k: number): void => {
      if (k === perLoc.length) {
        const co = new Rel(n);
        const rf = new Rel(n);
        const last = new Map<string, Value>();
        perLoc.forEach((pl, idx) => {
          const { order, rf: pairs } = pick[idx]!;
          for (let a = 0; a < order.length; a++) for (let b = a + 1; b < order.length; b++) co.add(order[a]!, order[b]!);
          last.set(pl.loc, events[order[order.length - 1]!]!.value!);
          for (const [w, r] of pairs) rf.add(w, r);
        });
        visit({ rel: co, last }, rf);
        return;
      }
      for (const c of perLoc[k]!.choices) {
        pick[k] = c;
        go(k + 1);
      }
    };
    go(0);
  }

  return { input, forEachCandidate };
}

function* interleavings(seqs: number[][]): Iterable<number[]> {
  const live = seqs.filter((s) => s.length > 0);
  const total = live.reduce((a, s) => a + s.length, 0);
  const pos = live.map(() => 0);
  const out: number[] = [];
  function* go(): Iterable<number[]> {
    if (out.length === total) {
      yield out.slice();
      return;
    }
    for (let i = 0; i < live.length; i++) {
      if (pos[i]! < live[i]!.length) {
        out.push(live[i]![pos[i]!]!);
        pos[i]!++;
        yield* go();
        pos[i]!--;
        out.pop();
      }
    }
  }
  yield* go();
}
