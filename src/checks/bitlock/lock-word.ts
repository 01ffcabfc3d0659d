// Shared model of the bitlock family: which memory words are used as hand-rolled locks, where they
// are acquired and where they are released, and what ordering surrounds those accesses.
//
// A word counts as a lock when an atomic RMW on it looks like a lock acquisition:
//  - the RMW sets a LOCKED/BUSY/RUNNING/CLAIMED/OWNED/... constant (test_and_set_bit(X_LOCKED, w),
//    cmpxchg(w, old, old | X_LOCKED), xchg(w, X_BUSY), atomic_fetch_or(X_CLAIMED, w)), or
//  - it sits in a function named like a lock or a claim (*_lock, *trylock*, *claim*, *acquire*,
//    *take*) and is a compare-and-swap from a constant "free" value or a test-and-set, or
//  - whatever the names, the same function claims it (compare-and-swap from a constant, xchg of 1),
//    shows shared accesses, and stores the free value back on the claim's own path (roundTrip),
// and its result is used (a lock attempt looks at what it got). Its release is a later store or
// clearing RMW of the same word (same field, same bit) in the acquiring function, or in another
// function of the file/series that is not an initialiser.
// Kernel ordering facts (which primitive is RELEASE/ACQUIRE/full) come from rules/primitives; only
// the RMW flavour (which argument is the new value) is read from the primitive's name here.
import type { AnalysisEvent, CallEvent, FunctionModel, Ordering, Primitive, StoreEvent } from '../../engine/types.js';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import { normaliseExpr } from '../../engine/index.js';

export const LOCKISH_CONST = /LOCK|BUSY|RUNNING|CLAIM|OWNE|HELD|IN_?USE|EXCL/;
export const LOCKISH_FN = /(^|_|slow|spin|try|mutex|sem)lock(_|$)|claim|acquire|(^|_)take(_|$)|(^|_)grab(_|$)/;
const INIT_FN = /(^|_)(init|alloc|create|setup|probe|new|reset|destroy|free|exit|register)(_|$)/;

export type RmwFlavour = 'cmpxchg' | 'try_cmpxchg' | 'xchg' | 'test_and_set' | 'test_and_clear' | 'fetch_or' | 'fetch_andnot' | 'andnot' | 'other';

/** Which argument of an RMW holds the value it writes (from the primitive's name). */
export function rmwFlavour(name: string): RmwFlavour {
  if (/try_cmpxchg/.test(name)) return 'try_cmpxchg';
  if (/cmpxchg/.test(name)) return 'cmpxchg';
  if (/xchg/.test(name)) return 'xchg';
  if (/test_and_set_bit/.test(name)) return 'test_and_set';
  if (/test_and_clear_bit/.test(name)) return 'test_and_clear';
  if (/fetch_or/.test(name)) return 'fetch_or';
  if (/fetch_andnot|fetch_and\b/.test(name)) return 'fetch_andnot';
  if (/_andnot$|_and$/.test(name)) return 'andnot';
  return 'other';
}

export function constTokens(text: string): string[] {
  return text.match(/\b[A-Z_][A-Z0-9_]{2,}\b/g) ?? [];
}
/** An errno (-EBUSY, a firmware's RC_EBUSY) says a call failed, not that a word is held. */
const ERRNO_CONST = /(^|_)E(BUSY|INUSE)$/;
export const isLockishText = (t: string) => constTokens(t).some((c) => LOCKISH_CONST.test(c) && !/UNLOCK/.test(c) && !ERRNO_CONST.test(c));
/** A value that *sets* a lock-like constant: `X_LOCKED`, `old | X_LOCKED`, `v + X_LOCKED`; not
 *  `v & X_OWNER_MASK` or `v & ~X_LOCKED`. */
export function setsLockish(value: string): boolean {
  return value
    .replace(/\([^()]*\*\)/g, '')
    .split(/[|+]/)
    .some((part) => {
      const t = part.trim().replace(/^\(+|\)+$/g, '').trim();
      return /^[A-Z_][A-Z0-9_]*$/.test(t) && isLockishText(t);
    });
}
/** Clears a lock-like constant: `v & ~X_LOCKED`. */
export const clearsLockish = (value: string) => /&\s*~\s*\(?\s*([A-Z_][A-Z0-9_]*)/.test(value) && isLockishText(/&\s*~\s*\(?\s*([A-Z_][A-Z0-9_]*)/.exec(value)![1]!);
const isConstantValue = (t: string) => /^(0|0UL|0L|NULL|false|[A-Z_][A-Z0-9_]*)$/.test(t.trim());

export interface WordSite {
  fn: FunctionModel;
  ev: CallEvent | StoreEvent;
  index: number; // event index in fn.events
  word: string; // normalised lock word expression
  key: string; // field path (base variable dropped) + bit: matches the same word across functions
  bit: string | null;
  ordering: Ordering;
  primitive: Primitive | undefined;
  text: string; // the call / store as written
}

/** `rmap_head->val` -> `->val`; `waiter.task` -> `.task`; a global stays as is. */
export function fieldKey(word: string): string {
  const m = /^[A-Za-z_]\w*((?:->|\.).+)$/.exec(word);
  return m ? m[1]! : word;
}

export function wordOfCall(ev: CallEvent): { word: string; bit: string | null } | null {
  const p = ev.primitive;
  if (!p || p.lockArg == null) return null;
  const arg = ev.args[p.lockArg];
  if (arg == null) return null;
  const bit = p.bitArg != null ? (ev.args[p.bitArg] ?? null) : null;
  return { word: normaliseExpr(arg), bit };
}

function siteKey(word: string, bit: string | null): string {
  return fieldKey(word) + (bit ? `#${bit}` : '');
}

/** Whether a call's result is looked at (not a statement of its own). */
export function resultUsed(ev: CallEvent): boolean {
  let p = ev.node.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) p = p.parent;
  return !!p && p.type !== 'expression_statement';
}

export function callText(ev: AnalysisEvent): string {
  return ev.node.text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/\s+/g, ' ').replace(/\(\s/g, '(').replace(/\s\)/g, ')').trim();
}

/** An RMW that acquires a lock word, with the reason it counts as one. */
export function acquireSite(fn: FunctionModel, ev: AnalysisEvent, index: number): WordSite | null {
  if (ev.kind !== 'call' || ev.primitive?.op !== 'rmw') return null;
  const w = wordOfCall(ev);
  if (!w) return null;
  const lockishFn = LOCKISH_FN.test(fn.name);
  // Non-atomic bitops (__test_and_set_bit) are serialised by some other lock by contract; one that
  // takes a LOCKED-style bit in a *_lock function with no real lock held is the lock itself.
  if (ev.primitive.family === 'bitops' && ev.primitive.ordering === 'none' && !(lockishFn && isLockishText(w.bit ?? '') && !ev.ctx.locks.length)) return null;
  const flav = rmwFlavour(ev.primitive.name);
  if (!resultUsed(ev)) return null;
  let ok = false;
  switch (flav) {
    case 'test_and_set':
      ok = isLockishText(w.bit ?? '') || lockishFn;
      break;
    case 'cmpxchg':
    case 'try_cmpxchg': {
      const expected = ev.args[1] ?? '';
      const next = ev.args[2] ?? '';
      ok = setsLockish(next) || (lockishFn && (flav === 'cmpxchg' ? isConstantValue(expected) : true) && !/&/.test(next));
      break;
    }
    case 'xchg': {
      const next = ev.args[1] ?? '';
      ok = setsLockish(next) || (lockishFn && /^(1|true|[A-Z_][A-Z0-9_]*)$/.test(next.trim()));
      break;
    }
    case 'fetch_or':
      ok = setsLockish(ev.args[0] ?? '');
      break;
    default:
      ok = false;
  }
  ok ||= roundTrip(fn, ev, index, w, flav);
  if (!ok) return null;
  return { fn, ev, index, word: w.word, key: siteKey(w.word, w.bit), bit: w.bit, ordering: ev.primitive.ordering, primitive: ev.primitive, text: callText(ev) };
}

/** A claim and its release in one function, whatever the names: a compare-and-swap from a constant
 *  "free" value (or an xchg of 1/true) whose result is tested, and a later store of that free value
 *  (0/NULL/false for an xchg) back into the same word. `if (cmpxchg(&c->owner, NULL, me)) return;
 *  c->gen++; WRITE_ONCE(c->owner, NULL);` is a lock by what it does, provided the function shows
 *  shared accesses between the claim and the release (the data the lock protects). */
function roundTrip(fn: FunctionModel, ev: CallEvent, index: number, w: { word: string; bit: string | null }, flav: RmwFlavour): boolean {
  if (w.bit) return false;
  let free: string;
  if (flav === 'cmpxchg' || flav === 'try_cmpxchg') {
    free = (ev.args[1] ?? '').replace(/\s+/g, '');
    if (flav === 'try_cmpxchg') {
      // try_cmpxchg(w, &old, new): the free value is what `old` was initialised to.
      const local = /^&(\w+)$/.exec(free)?.[1];
      const init = local ? new RegExp(`\\b${local}\\s*=\\s*([A-Za-z_0-9]+)\\s*;`).exec(fn.node.text)?.[1] : undefined;
      if (!init) return false;
      free = init;
    }
    // A compare-and-swap that writes the value it expects changes nothing: a probe, not a claim.
    if (!isConstantValue(free) || (ev.args[2] ?? '').replace(/\s+/g, '') === free) return false;
  } else if (flav === 'xchg') {
    if (!/^(1|true)$/.test((ev.args[1] ?? '').trim())) return false;
    free = '';
  } else return false;
  const key = siteKey(w.word, null);
  const base = /^[A-Za-z_]\w*/.exec(w.word)?.[0] ?? '';
  const isFree = (v: string) => {
    const t = v.replace(/\s+/g, '').replace(/^\((?:unsigned)?\w*\*?\)/, '');
    return free ? t === free || (/^(0|0UL|0L|NULL|false)$/.test(free) && /^(0|0UL|0L|NULL|false)$/.test(t)) : /^(0|0UL|0L|NULL|false)$/.test(t);
  };
  for (let i = index + 1; i < fn.events.length; i++) {
    const e = fn.events[i]!;
    // `rq = cpu_rq(other)` between claim and release: the "release" is of another object.
    if (e.kind === 'store' && e.target === base) return false;
    const r = releaseCandidate(fn, e, i);
    if (!r || r.key !== key || r.word !== w.word) continue;
    const value = r.ev.kind === 'store' ? r.ev.value : r.primitive?.op === 'store' ? (r.ev.args[(r.primitive.lockArg ?? 0) === 0 ? 1 : 0] ?? '') : '';
    if (!isFree(value)) continue;
    // A critical section the function itself shows: a claim whose work is all in helpers with
    // their own locking (a "compaction in progress" guard) is a busy flag, not a lock protecting
    // visible data. A bare name counts only as a known global: in a hunk a function's own locals
    // may be out of view.
    const shown = accessesBetween(fn, index, i, w.word).filter((a) => (a.kind === 'store' ? /->|\.|\*|\[/.test(a.target) || !fn.partial : true));
    if (!shown.length) return false;
    // The release ends the section on every path the claim took: one only in a branch of its own
    // (`if (draining) atomic_set(&c->in_progress, 0); else <left to a callback>`, an error
    // back-out) is how "work pending" flags are handed to someone else, not how locks end.
    return !conditionalApart(r.ev.node, ev.node, fn.node);
  }
  return false;
}

/** Whether `n` sits in a branch (if/else, switch case, ?:, an error label after a return) that does
 *  not also hold `claim`. */
function conditionalApart(n: SyntaxNode, claim: SyntaxNode, stop: SyntaxNode): boolean {
  for (let p = n.parent; p && p.id !== stop.id; p = p.parent) {
    // An error label the straight path never falls into (`return 0; err: w = NULL;`): only gotos
    // reach it, so the store backs out a failed set-up (a pointer installed by cmpxchg).
    if (p.type === 'labeled_statement' && !(claim.startIndex >= p.startIndex && claim.endIndex <= p.endIndex)) {
      let prev = p.previousNamedSibling;
      while (prev?.type === 'comment') prev = prev.previousNamedSibling;
      if (prev?.type === 'return_statement') return true;
    }
    if (!/^(if_statement|else_clause|case_statement|conditional_expression)$/.test(p.type)) continue;
    if (claim.startIndex >= p.startIndex && claim.endIndex <= p.endIndex) return false;
    return true;
  }
  return false;
}

/** A store or clearing RMW of a word: the candidate release of a lock word. */
export function releaseCandidate(fn: FunctionModel, ev: AnalysisEvent, index: number): WordSite | null {
  if (ev.kind === 'store') {
    if (!ev.shared || ev.operator === '|=' || ev.operator === '+=' || ev.operator === '++') return null;
    if (isLockishText(ev.value) && !/~/.test(ev.value)) return null; // sets the lock, not a release
    const word = normaliseExpr(ev.target.replace(/^\*\s*/, ''));
    return { fn, ev, index, word, key: siteKey(word, null), bit: null, ordering: 'none', primitive: undefined, text: callText(ev) };
  }
  if (ev.kind !== 'call' || !ev.primitive) return null;
  const p = ev.primitive;
  const w = wordOfCall(ev);
  if (!w) return null;
  const flav = rmwFlavour(p.name);
  if (p.op === 'store') {
    // Bit stores: only clearing ones release (clear_bit, clear_bit_unlock, __clear_bit...).
    if (p.bitArg != null && !/clear/.test(p.name)) return null;
    const value = p.bitArg != null ? '' : (ev.args[(p.lockArg ?? 0) === 0 ? 1 : 0] ?? '');
    if (isLockishText(value) && !/~/.test(value)) return null;
  } else if (p.op === 'rmw') {
    if (!(flav === 'test_and_clear' || flav === 'fetch_andnot' || flav === 'andnot' || (flav === 'xchg' && !isLockishText(ev.args[1] ?? '')))) return null;
    if ((flav === 'fetch_andnot' || flav === 'andnot') && !isLockishText(ev.args[0] ?? '')) return null;
  } else return null;
  return { fn, ev, index, word: w.word, key: siteKey(w.word, w.bit), bit: w.bit, ordering: p.ordering, primitive: p, text: callText(ev) };
}

export const isInitFunction = (name: string) => INIT_FN.test(name);

/** Memory accesses that end a search for an adjacent fence. */
export function isMemoryEvent(ev: AnalysisEvent): boolean {
  if (ev.kind === 'store') return ev.shared;
  if (ev.kind !== 'call' || !ev.primitive) return false;
  return ['load', 'store', 'rmw', 'wait', 'lock', 'unlock', 'trylock'].includes(ev.primitive.op);
}

export function isReleaseFence(p: Primitive | undefined): boolean {
  return !!p && p.op === 'fence' && (p.ordering === 'full' || (p.ordering === 'release' && p.orders !== 'stores'));
}
export function isAcquireFence(p: Primitive | undefined): boolean {
  return !!p && p.op === 'fence' && (p.ordering === 'full' || p.ordering === 'acquire');
}

/** An atomic read-modify-write, as the knowledge base describes it: an `rmw` primitive, or an
 *  atomic bitop that writes a bit (set_bit, clear_bit, clear_bit_unlock: `store` ops of the bitops
 *  family that name a bit). Forms with ordering `none` (__set_bit, __test_and_set_bit, local_t
 *  ops, wake_up_bit) are not atomic across CPUs. */
export function isAtomicRmw(p: Primitive | undefined): boolean {
  return !!p && p.ordering !== 'none' && (p.op === 'rmw' || (p.op === 'store' && p.family === 'bitops' && p.bitArg != null));
}

/** The event may be the atomic RMW a paired fence needs: one the knowledge base names, or a call
 *  it does not know (a helper or wrapper around one), counted so that precision does not drop. */
const mayBeAtomicRmw = (ev: AnalysisEvent) => ev.kind === 'call' && (!ev.primitive || isAtomicRmw(ev.primitive));

/** Whether the fence at `events[f]` orders the access at index `before` (< f; null: every access
 *  before the fence) against the access at index `after` (> f; null: every access after it).
 *  A fence without `pairedRmw` orders everything. smp_mb__after_atomic() (pairedRmw 'preceding')
 *  orders the atomic RMW before it and whatever precedes that RMW: it holds when an RMW lies at or
 *  after `before` and before the fence, or, for every earlier access, when the last memory access
 *  before the fence is the RMW. smp_mb__before_atomic() ('following') is the mirror image. A side
 *  with no memory access in view (the start of a hunk, the end of the function) keeps the fence. */
export function fenceHolds(events: readonly AnalysisEvent[], f: number, before: number | null, after: number | null): boolean {
  const fence = events[f];
  const paired = fence?.kind === 'call' ? fence.primitive?.pairedRmw : undefined;
  if (!paired) return true;
  if (paired === 'preceding') {
    if (before != null) {
      for (let k = before; k < f; k++) if (mayBeAtomicRmw(events[k]!)) return true;
      return false;
    }
    for (let k = f - 1; k >= 0; k--) {
      const ev = events[k]!;
      if (mayBeAtomicRmw(ev)) return true;
      if (isMemoryEvent(ev)) return false;
    }
    return true;
  }
  if (after != null) {
    for (let k = f + 1; k <= after && k < events.length; k++) if (mayBeAtomicRmw(events[k]!)) return true;
    return false;
  }
  for (let k = f + 1; k < events.length; k++) {
    const ev = events[k]!;
    if (mayBeAtomicRmw(ev)) return true;
    if (isMemoryEvent(ev)) return false;
  }
  return true;
}

/** The fence right before event `index` (no memory access in between), if any. `weak` is a fence
 *  that orders one kind of access only (smp_wmb); `unpaired` a smp_mb__before/after_atomic() that
 *  has no atomic RMW to pair with here and so orders nothing. */
export function fenceBefore(fn: FunctionModel, index: number): { fence: CallEvent | null; weak: CallEvent | null; unpaired: CallEvent | null } {
  let weak: CallEvent | null = null;
  let unpaired: CallEvent | null = null;
  for (let i = index - 1; i >= 0; i--) {
    const ev = fn.events[i]!;
    if (ev.kind === 'return') break;
    if (ev.kind === 'call' && ev.primitive?.op === 'fence') {
      if (isReleaseFence(ev.primitive)) {
        if (fenceHolds(fn.events, i, null, index)) return { fence: ev, weak, unpaired };
        unpaired ??= ev;
        continue;
      }
      if (ev.primitive.ordering !== 'none') weak ??= ev;
      continue;
    }
    if (isMemoryEvent(ev)) break;
  }
  return { fence: null, weak, unpaired };
}

/** The acquire fence right after event `index` (before the next memory access), if any. */
export function fenceAfter(fn: FunctionModel, index: number): CallEvent | null {
  const acq = fn.events[index]!;
  for (let i = index + 1; i < fn.events.length; i++) {
    const ev = fn.events[i]!;
    // `if (cmpxchg_relaxed(...) != FREE) return false;` is the failure path: keep looking.
    if (ev.kind === 'return' && onFailurePath(ev.node, acq.node)) continue;
    if (ev.kind === 'return') return null;
    if (ev.kind === 'call' && ev.primitive?.op === 'fence') {
      // smp_mb__after_atomic() after the taking RMW pairs with it (if it is atomic: not after
      // __test_and_set_bit() or a local_t op); smp_mb__before_atomic() needs an RMW after it.
      if (isAcquireFence(ev.primitive) && fenceHolds(fn.events, i, index, null)) return ev;
      continue;
    }
    if (ev.kind === 'call' && ev.primitive && (ev.primitive.op === 'load' || ev.primitive.op === 'wait') && (ev.primitive.ordering === 'acquire' || ev.primitive.ordering === 'full')) return ev;
    if (isMemoryEvent(ev)) return null;
  }
  return null;
}

/** Whether `n` sits in a branch of an `if` whose condition holds the acquisition `acq`. */
function onFailurePath(n: SyntaxNode, acq: SyntaxNode): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'if_statement') {
      const c = p.childForFieldName('condition');
      if (c && acq.startIndex >= c.startIndex && acq.endIndex <= c.endIndex) return true;
    }
  }
  return false;
}

/** Shared accesses of a critical section: between two events of a function (exclusive). */
export function accessesBetween(fn: FunctionModel, from: number, to: number, word: string): AnalysisEvent[] {
  const out: AnalysisEvent[] = [];
  for (let i = Math.max(0, from + 1); i < to && i < fn.events.length; i++) {
    const ev = fn.events[i]!;
    if (ev.kind === 'store' && ev.shared && normaliseExpr(ev.target) !== word) out.push(ev);
    else if (ev.kind === 'call' && ev.primitive && (ev.primitive.op === 'load' || ev.primitive.op === 'store')) {
      const w = wordOfCall(ev);
      if (w && w.word !== word) out.push(ev);
    }
  }
  return out;
}

/** Every lock-word acquisition of the analysis, grouped by key. */
export function acquisitions(fns: readonly FunctionModel[]): Map<string, WordSite[]> {
  const out = new Map<string, WordSite[]>();
  for (const fn of fns) {
    fn.events.forEach((ev, i) => {
      const s = acquireSite(fn, ev, i);
      if (!s) return;
      const list = out.get(s.key) ?? [];
      list.push(s);
      out.set(s.key, list);
    });
  }
  return out;
}
