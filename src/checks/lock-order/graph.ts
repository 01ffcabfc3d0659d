// The lock-order graph of a series (or of the scanned files): an edge A -> B says "B was waited for
// while A was held", from every nested acquisition the functions show, through callees' summaries,
// plus the documented orders of rules/lock-orders.yaml.
//
// Nodes are lock classes (HeldLock.lockClass: `kvm->lock`, `kvm_vcpu::mutex`, a global's name). A
// class the engine could not tie to a struct type (`p->lock` with p's type unseen) is qualified by
// its file, so two drivers' `priv->lock` do not meet.
//
// Wait edges only: a trylock waits for nothing (no edge into it, though a held trylocked lock is a
// source); srcu_read_lock() never waits (no edge into S), synchronize_srcu(S) waits for every reader
// (edge into S); an acquisition annotated _nested/_nest_lock orders instances of one class by other
// means (no edge); and a class never orders against itself.
import type { CallEvent, CheckContext, FunctionModel, HeldLock, LockKind, LockOrderFact } from '../../engine/types.js';
import { lockClassMatches } from '../../engine/lock-class.js';
import { classOf, heldLockTakenBy, primitiveOf, rebase } from '../../engine/summaries.js';

export interface LockNode {
  key: string; // graph identity
  lockClass: string; // as the engine names it
  expr: string; // an expression that takes it, for messages
  kind: LockKind;
}

export interface EdgeEnd {
  node: LockNode;
  mode: 'exclusive' | 'shared';
  /** The real call: "mutex_lock(&kvm->lock)", "synchronize_srcu(&kvm->srcu)". */
  action: string;
  line: number | null;
}

export interface LockEdge {
  from: EdgeEnd; // held
  to: EdgeEnd; // waited for
  fn: FunctionModel | null; // null for a documented order
  file: string | null;
  /** Calls from `fn` to the acquisition of `to`: ["helper", "spin_lock"]. */
  chain: string[];
  changed: boolean; // the series added the acquisition of `to` or of `from`
  documented: LockOrderFact | null;
  callLine: number | null; // the line in fn where `to` is waited for (the call)
  /** Where the series changed this edge: the call/held line in fn, or the acquisition inside a
   *  callee the series changed; null when unchanged. */
  site: { fn: FunctionModel; line: number } | null;
}

const NOT_LOCKS: ReadonlySet<LockKind> = new Set(['rcu', 'seqcount_write', 'bitlock']);

export class LockGraph {
  readonly edges: LockEdge[] = [];
  /** One representative edge per (from, to, modes): the search walks these, so a pair of locks
   *  nested at a hundred call sites costs one step. */
  readonly out = new Map<string, LockEdge[]>();
  readonly nodes = new Map<string, LockNode>();
  private pairs = new Set<string>();

  add(e: LockEdge): void {
    if (e.from.node.key === e.to.node.key) return;
    this.nodes.set(e.from.node.key, e.from.node);
    this.nodes.set(e.to.node.key, e.to.node);
    this.edges.push(e);
    const pair = pairKey(e);
    if (this.pairs.has(pair)) return;
    this.pairs.add(pair);
    const list = this.out.get(e.from.node.key) ?? [];
    list.push(e);
    this.out.set(e.from.node.key, list);
  }
}

export function pairKey(e: LockEdge): string {
  return `${e.from.node.key}\u0000${e.to.node.key}\u0000${e.from.mode}\u0000${e.to.mode}\u0000${e.documented ? 'doc' : 'code'}`;
}

function typedBase(expr: string, fn: FunctionModel | null): boolean {
  const m = /^([A-Za-z_]\w*)(->|\.)/.exec(expr);
  if (!m) return true; // a global or a plain name
  if (!fn) return true;
  const t = fn.locals.get(m[1]!) ?? fn.params.get(m[1]!);
  return !!t && /\bstruct\s+\w+/.test(t);
}

export function nodeFor(lockClass: string, expr: string, kind: LockKind, fn: FunctionModel | null, ctx: CheckContext): LockNode {
  const known = lockClass.includes('::') || typedBase(expr, fn) || !!ctx.kb.fieldType(lockClass) || !!ctx.kb.fieldType(expr);
  return { key: known || !fn ? lockClass : `${fn.unit.file}|${lockClass}`, lockClass, expr, kind };
}

function heldEnds(ev: CallEvent, fn: FunctionModel, ctx: CheckContext): EdgeEnd[] {
  const ends: EdgeEnd[] = [];
  for (const l of ev.ctx.locks) {
    if (NOT_LOCKS.has(l.kind)) continue;
    ends.push({ node: nodeFor(l.lockClass, l.expr, l.kind, fn, ctx), mode: l.mode, action: `${l.via}(&${l.expr})`, line: l.line });
  }
  for (const l of fn.callersHold) {
    if (NOT_LOCKS.has(l.kind) || ev.ctx.locks.some((h) => h.lockClass === l.lockClass)) continue;
    if (!ev.ctx.locks.length && !ev.ctx.srcu.length) continue; // only nested use counts
    ends.push({ node: nodeFor(l.lockClass, l.expr, l.kind, fn, ctx), mode: l.mode, action: `${l.via}(&${l.expr}) [held by the caller]`, line: null });
  }
  for (const s of ev.ctx.srcu) {
    const cls = classOf(s.ssp, fn);
    ends.push({ node: nodeFor(cls, s.ssp, 'srcu', fn, ctx), mode: 'shared', action: `${s.via}(&${s.ssp})`, line: s.line });
  }
  return ends;
}

function isNested(callee: string): boolean {
  return /_nested$|_nest_lock$|_nested_bh$/.test(callee);
}

/** What `ev` waits for: locks it takes (directly or through a callee) and SRCU grace periods. */
interface Waited {
  end: EdgeEnd;
  chain: string[];
  /** A callee's own acquisition line, when the series changed it. */
  calleeSite?: { fn: FunctionModel; line: number };
  /** Held locks the callee releases before this acquisition: no edge from them. */
  droppedFirst?: string[];
}

function waitedFor(ev: CallEvent, fn: FunctionModel, ctx: CheckContext, defs: Map<string, FunctionModel>): Waited[] {
  const p = primitiveOf(ev, ctx.kb);
  const out: Waited[] = [];
  const text = `${ev.callee}(${ev.args.join(', ')})`;
  if (p) {
    if (p.op === 'lock' && p.trySuccess == null && p.lockArg != null && ev.args[p.lockArg] != null && !isNested(ev.callee)) {
      const held: HeldLock | undefined = heldLockTakenBy(ev, fn);
      const kind = held?.kind ?? p.kind;
      if (!kind || NOT_LOCKS.has(kind) || kind === 'srcu') return out;
      const lockClass = held?.lockClass ?? classOf(ev.args[p.lockArg]!, fn);
      const expr = held?.expr ?? lockClass;
      out.push({ end: { node: nodeFor(lockClass, expr, kind, fn, ctx), mode: p.mode ?? 'exclusive', action: text, line: ev.line }, chain: [ev.callee] });
    }
    if (p.op === 'srcu-sync' && p.lockArg != null && ev.args[p.lockArg] != null) {
      const cls = classOf(ev.args[p.lockArg]!, fn);
      out.push({ end: { node: nodeFor(cls, cls, 'srcu', fn, ctx), mode: 'exclusive', action: text, line: ev.line }, chain: [ev.callee] });
    }
    return out;
  }
  const s = ctx.summary(ev.callee);
  const callee = defs.get(ev.callee);
  if (!s || !callee || callee === fn) return out;
  for (const a of s.acquires) {
    if (NOT_LOCKS.has(a.kind) || a.kind === 'srcu') continue;
    if (isNested(a.chain[a.chain.length - 1] ?? '')) continue;
    const cls = rebase(a.lockClass, callee, ev, fn);
    const last = a.chain[a.chain.length - 1]!;
    const calleeSite = callee.unit.changed.has(a.line) ? { fn: callee, line: a.line } : undefined;
    const droppedFirst = a.afterDropping?.map((c) => rebase(c, callee, ev, fn));
    out.push({ end: { node: nodeFor(cls, cls, a.kind, cls === a.lockClass ? callee : fn, ctx), mode: a.mode, action: `${last}(&${cls})`, line: ev.line }, chain: [ev.callee, ...a.chain], calleeSite, droppedFirst });
  }
  for (const r of s.srcuSyncs) {
    const cls = rebase(r.ssp, callee, ev, fn);
    out.push({ end: { node: nodeFor(cls, cls, 'srcu', fn, ctx), mode: 'exclusive', action: `${r.chain[r.chain.length - 1]}(&${cls})`, line: ev.line }, chain: [ev.callee, ...r.chain] });
  }
  return out;
}

export function buildGraph(ctx: CheckContext): LockGraph {
  const g = new LockGraph();
  const fns = ctx.functions();
  const defs = new Map<string, FunctionModel>();
  for (const f of fns) if (!defs.has(f.name) || (defs.get(f.name)!.partial && !f.partial)) defs.set(f.name, f);
  for (const fn of fns) {
    for (const ev of fn.events) {
      if (ev.kind !== 'call') continue;
      const held = heldEnds(ev, fn, ctx);
      if (!held.length) continue;
      for (const w of waitedFor(ev, fn, ctx, defs)) {
        for (const h of held) {
          if (h.node.key === w.end.node.key) continue;
          if (w.droppedFirst?.some((c) => c === h.node.lockClass || c === h.node.expr)) continue;
          const here = fn.unit.changed.has(ev.line) ? ev.line : h.line != null && fn.unit.changed.has(h.line) ? h.line : null;
          const site = here != null ? { fn, line: ev.line } : (w.calleeSite ?? null);
          g.add({ from: h, to: w.end, fn, file: fn.unit.file, chain: w.chain, changed: !!site, documented: null, callLine: ev.line, site });
        }
      }
    }
  }
  // Documented orders between classes the code uses.
  const nodes = [...g.nodes.values()];
  for (const fact of ctx.kb.lockOrders()) {
    const froms = nodes.filter((n) => lockClassMatches(fact.before, { expr: n.expr, lockClass: n.lockClass }));
    const tos = nodes.filter((n) => lockClassMatches(fact.after, { expr: n.expr, lockClass: n.lockClass }));
    for (const a of froms) {
      for (const b of tos) {
        if (a.key === b.key) continue;
        const bAction = b.kind === 'srcu' ? `synchronize_srcu(&${b.expr})` : `lock(${b.expr})`;
        g.add({
          from: { node: a, mode: 'exclusive', action: `lock(${a.expr})`, line: null },
          to: { node: b, mode: 'exclusive', action: bAction, line: null },
          fn: null,
          file: null,
          chain: [],
          changed: false,
          documented: fact,
          callLine: null,
          site: null,
        });
      }
    }
  }
  return g;
}

/** Whether a path through `via` (entered by `inEdge`, left by `outEdge`) really waits there. */
function waitsAt(inEdge: LockEdge, outEdge: LockEdge): boolean {
  const node = inEdge.to.node;
  // rwlock_t readers are recursive: a reader does not wait for another reader.
  if (node.kind === 'rwlock' && inEdge.to.mode === 'shared' && outEdge.from.mode === 'shared') return false;
  // srcu: only a grace-period wait enters S; readers never wait for readers.
  if (node.kind === 'srcu' && inEdge.to.mode === 'shared') return false;
  return true;
}

/** Address-ordered double locking (`if (a < b) { lock(a); lock_nested(b) } else ...`) shows both
 *  orders in one function; it is not an inversion. */
function sameFunctionSwap(a: LockEdge, b: LockEdge): boolean {
  return !!a.fn && a.fn === b.fn && a.from.node.key === b.to.node.key && a.to.node.key === b.from.node.key;
}

/** Cycles through a changed edge, at most `maxLen` locks long; each returned as its edges in order
 *  starting with the changed one. */
export function cyclesThrough(g: LockGraph, start: LockEdge, maxLen: number): LockEdge[][] {
  const target = start.from.node.key;
  let found: LockEdge[] | null = null;
  const onPath = new Set<string>([target, start.to.node.key]);
  const walk = (path: LockEdge[]): void => {
    const last = path[path.length - 1]!;
    for (const e of g.out.get(last.to.node.key) ?? []) {
      if (found) return;
      if (!waitsAt(last, e)) continue;
      if (e.to.node.key === target) {
        const cycle = [...path, e];
        if (!waitsAt(e, start)) continue;
        if (cycle.length === 2 && sameFunctionSwap(cycle[0]!, cycle[1]!)) continue;
        found = cycle;
        return;
      }
      if (onPath.has(e.to.node.key) || path.length + 1 >= maxLen) continue;
      onPath.add(e.to.node.key);
      walk([...path, e]);
      onPath.delete(e.to.node.key);
    }
  };
  walk([start]);
  return found ? [found] : [];
}
