// Interprocedural summaries: may sleep, may sleep on PREEMPT_RT, acquires L, enters / waits for
// SRCU S. Computed once over every FunctionModel of the series (or scanned files), then used by
// checks at call sites: `spin_lock(&a); helper();` counts as sleeping under `a` when helper()
// (or a function it calls) sleeps.
//
// Approach: each function's direct facts come from its own call events, read through the
// knowledge base (a primitive's op/kind/sleeps/sleepsOnRT/gfpArg; a lock of a sleeping kind).
// Facts then flow from callees to callers over calls to functions visible in the units, at most
// MAX_DEPTH calls deep, so that a chain reads `helper() -> mutex_lock()`. A callee that forwards
// its own gfp_t parameter to an allocator sleeps when its caller passes a sleeping mask there.
//
// Precision: maySleep / maySleepOnRT keep only sleeping calls the function makes on its straight
// path: not inside a branch, loop or switch, and not after a success-looking early return (the
// `if (fast path) return true; alloc()` shape); a function that drops a lock its caller holds sleeps
// only after the drop (also an RCU read side or a preempt-off section it leaves without having
// entered it); a function that tests CONFIG_PREEMPT_RT is RT-aware and gets no RT facts.
// Lock acquisitions and SRCU facts are kept on every path (lock order does not depend on how often);
// an acquisition notes the caller's locks the function dropped before it (no order against those).
//
// Blind spots: function pointers and callees defined outside the units; sleeping on a conditional
// path (left out, see above); gfp masks held in variables (unknown); same-named static functions of different files are merged by name (first definition
// wins, whole definitions before hunk fragments).

import { readYamlFileCached } from '../kb/yaml-cache.js';
import type { CallEvent, FunctionModel, FunctionSummary, KnowledgeBase, LockKind, Primitive } from './types.js';
import type { Node as SyntaxNode } from 'web-tree-sitter';
import { lockClassOf, normaliseExpr } from './lock-class.js';
import { rulesDir } from '../assets.js';

/** How deep facts flow through calls: a fact two calls away still counts at the call site. */
export const MAX_DEPTH = 2;

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends ReadonlyArray<infer E> ? E[] : T[K] };

/** A FunctionSummary plus the facts only the sleep checks read. */
export interface SleepSummary extends FunctionSummary {
  /** The function sleeps iff its caller passes a sleeping gfp mask in parameter `arg`. */
  gfpParam: { arg: number; chain: string[]; line: number } | null;
}

export function isSleepSummary(s: FunctionSummary | undefined): s is SleepSummary {
  return !!s && 'gfpParam' in s;
}

// ---------------------------------------------------------------------------------------------
// gfp masks (rules/gfp.yaml)

interface GfpFacts {
  sleeping: string[];
  atomic: string[];
  strippers: string[];
  /** `~ (__GFP_DIRECT_RECLAIM`: one pattern per stripper, compiled once. */
  stripperPatterns: RegExp[];
}
let gfpFacts: GfpFacts | null = null;

// Three lists of names need no schema library: checking them by hand keeps zod (tens of ms to
// load) off the `check` path, and the parsed YAML already comes from the content-keyed cache.
function gfp(): GfpFacts {
  if (gfpFacts) return gfpFacts;
  const path = `${rulesDir()}/gfp.yaml`; // src/assets.ts: also right inside the Action bundle
  const data = readYamlFileCached(path);
  const record = data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  const lists: Record<'sleeping' | 'atomic' | 'strippers', string[]> = { sleeping: [], atomic: [], strippers: [] };
  const problems: string[] = [];
  if (!record) problems.push('expected a mapping with sleeping, atomic and strippers');
  else {
    for (const key of ['sleeping', 'atomic', 'strippers'] as const) {
      const v = record[key];
      if (!Array.isArray(v)) problems.push(`${key}: expected a list of names`);
      else {
        const bad = v.findIndex((w) => typeof w !== 'string');
        if (bad >= 0) problems.push(`${key}.${bad}: expected a name`);
        else lists[key] = v as string[];
      }
    }
  }
  if (problems.length) throw new Error(`rules/gfp.yaml: ${problems.join('; ')}`);
  gfpFacts = { ...lists, stripperPatterns: lists.strippers.map((w) => new RegExp(`~\\s*\\(?\\s*${w}`)) };
  return gfpFacts;
}

/** Whether a gfp mask expression may sleep: true (GFP_KERNEL ...), false (GFP_ATOMIC ...), or
 *  null when it cannot be read (a variable, a conditional naming both kinds). */
export function gfpMaySleep(mask: string | undefined): boolean | null {
  if (mask == null) return null;
  const facts = gfp();
  const words = new Set(mask.match(/\b\w+\b/g) ?? []);
  const sleeping = facts.sleeping.some((w) => words.has(w));
  const atomic = facts.atomic.some((w) => words.has(w));
  const stripped = facts.stripperPatterns.some((re) => re.test(mask));
  if (sleeping && !atomic && !stripped) return true;
  if (atomic && !sleeping) return false;
  if (stripped) return false;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Direct facts of one call

export type SleepLevel = 'always' | 'rt';

const SLEEPING_KINDS: ReadonlySet<LockKind> = new Set(['mutex', 'rwsem', 'semaphore']);
const RT_SLEEPING_KINDS: ReadonlySet<LockKind> = new Set(['spinlock', 'rwlock', 'local_lock']);

/** The primitive a call is, through wrappers. */
export function primitiveOf(ev: CallEvent, kb: KnowledgeBase): Primitive | undefined {
  return ev.primitive ?? kb.primitive(ev.callee) ?? kb.wrappers().get(ev.callee);
}

/** The kind of the lock a lock call takes, corrected by the declared type the engine saw. */
export function lockKindOf(ev: CallEvent, p: Primitive, fn: FunctionModel): LockKind | undefined {
  const held = heldLockTakenBy(ev, fn);
  return held?.kind ?? p.kind;
}

/** Whether a call may sleep by itself: on every config, only on PREEMPT_RT, or not at all. */
export function directSleep(ev: CallEvent, kb: KnowledgeBase, fn: FunctionModel): SleepLevel | null {
  const p = primitiveOf(ev, kb);
  if (!p) return null;
  if (p.op === 'lock') {
    if (p.trySuccess != null) return null;
    const kind = lockKindOf(ev, p, fn);
    if (kind && SLEEPING_KINDS.has(kind)) return 'always';
    if (kind && RT_SLEEPING_KINDS.has(kind)) return 'rt';
    return p.sleeps ? 'always' : p.sleepsOnRT ? 'rt' : null;
  }
  if (p.op === 'trylock' || p.op === 'unlock') return null;
  if (p.op === 'srcu-sync' || p.op === 'srcu-barrier') return 'always';
  if (p.gfpArg != null) {
    if (gfpMaySleep(ev.args[p.gfpArg]) === true) return 'always';
    return p.sleepsOnRT ? 'rt' : null;
  }
  if (p.sleeps) return 'always';
  if (p.sleepsOnRT) return 'rt';
  return null;
}

/** The HeldLock the engine recorded for a lock call (seen in the context of a later event or exit). */
export function heldLockTakenBy(ev: CallEvent, fn: FunctionModel) {
  const match = (l: { line: number; via: string }) => l.line === ev.line && l.via === ev.callee;
  const i = fn.events.indexOf(ev);
  for (let j = i + 1; j < fn.events.length && j < i + 40; j++) {
    const l = fn.events[j]!.ctx.locks.find(match);
    if (l) return l;
  }
  for (const x of fn.exits) {
    const l = x.ctx.locks.find(match);
    if (l) return l;
  }
  return undefined;
}

/** The lock a lock/unlock call names, through the primitive's lockExpr template ("{0}->lock"). */
export function lockExprOf(ev: CallEvent, p: Primitive): string | null {
  if (p.lockArg == null || ev.args[p.lockArg] == null) return null;
  const raw = p.lockExpr ? p.lockExpr.replace(/\{(\d+)\}/g, (_, i: string) => normaliseExpr(ev.args[Number(i)] ?? '')) : ev.args[p.lockArg]!;
  return normaliseExpr(raw);
}

/** Lock class of a lock/srcu argument as seen from inside `fn`. */
export function classOf(arg: string, fn: FunctionModel): string {
  const expr = normaliseExpr(arg);
  return lockClassOf(expr, (name) => fn.locals.get(name) ?? fn.params.get(name));
}

// ---------------------------------------------------------------------------------------------
// Summaries

interface Direct {
  sleep: { chain: string[]; line: number } | null;
  sleepRT: { chain: string[]; line: number } | null;
  gfpParam: SleepSummary['gfpParam'];
  acquires: FunctionSummary['acquires'][number][];
  srcuReadSides: FunctionSummary['srcuReadSides'][number][];
  srcuSyncs: FunctionSummary['srcuSyncs'][number][];
  calls: CallEvent[];
  /** Calls on the function's straight path (see straight()). */
  straightCalls: Set<CallEvent>;
  rtAware: boolean;
}

const ACQUIRE_KINDS_EXCLUDED: ReadonlySet<LockKind> = new Set(['rcu', 'seqcount_write', 'bitlock', 'srcu']);

/** Follows a function's primitive calls in order and says when it has left a section its caller
 *  entered: it released a lock it did not take itself (`unlock; schedule(); lock` in a wait loop,
 *  ___down_common(), hva_to_pfn_retry()), or an rcu_read_unlock()/preempt_enable() it did not pair
 *  with its own entry (rcu_lock_break(): unlock, cond_resched(), lock again). Sleeps after that
 *  point do not count at call sites made inside the caller's section. Shared by the summaries and
 *  the generated sleep table (src/kb/sleep-db.ts), so both follow the same calls. */
export class CallerSectionTracker {
  private readonly own = new Set<string>();
  /** Locks released here without being taken here: the caller's, dropped (lock expressions). */
  readonly dropped = new Set<string>();
  private rcu = 0;
  private preempt = 0;
  /** True once the function has left a section its caller entered (and for the rest of it). */
  left = false;

  observe(ev: CallEvent, p: Primitive): void {
    const lockExpr = lockExprOf(ev, p);
    if (lockExpr && (p.op === 'lock' || p.op === 'trylock')) this.own.add(lockExpr);
    if (lockExpr && p.op === 'unlock' && !this.own.has(lockExpr)) {
      this.left = true;
      this.dropped.add(lockExpr);
    }
    if (p.context?.rcu) this.rcu += p.context.rcu;
    if (p.context?.preempt) this.preempt += p.context.preempt;
    if (this.rcu < 0 || this.preempt < 0) this.left = true;
  }
}

function directFacts(fn: FunctionModel, kb: KnowledgeBase): Direct {
  const d: Direct = { sleep: null, sleepRT: null, gfpParam: null, acquires: [], srcuReadSides: [], srcuSyncs: [], calls: [], straightCalls: new Set(), rtAware: false };
  const paramNames = [...fn.params.keys()];
  // Sleeps after the function leaves its caller's section (CallerSectionTracker) do not count at
  // call sites made inside that section, so they are left out of the summary.
  const section = new CallerSectionTracker();
  const rtAware = /\bCONFIG_PREEMPT_RT\b/.test(fn.node.text);
  d.rtAware = rtAware;
  for (const ev of fn.events) {
    if (ev.kind !== 'call') continue;
    const p = primitiveOf(ev, kb);
    if (!p) {
      if (!section.left) d.calls.push(ev);
      if (!section.left && straight(ev, fn)) d.straightCalls.add(ev);
      continue;
    }
    section.observe(ev, p);
    const droppedCallers = section.left;
    const level = droppedCallers || !straight(ev, fn) ? null : directSleep(ev, kb, fn);
    if (level === 'always' && !d.sleep) d.sleep = { chain: [ev.callee], line: ev.line };
    if (level === 'rt' && !d.sleepRT && !rtAware) d.sleepRT = { chain: [ev.callee], line: ev.line };
    if (p.gfpArg != null && !d.gfpParam && level !== 'always') {
      const mask = ev.args[p.gfpArg]?.trim() ?? '';
      const idx = paramNames.indexOf(mask);
      if (idx >= 0) d.gfpParam = { arg: idx, chain: [ev.callee], line: ev.line };
    }
    if (p.op === 'lock' && p.trySuccess == null && p.lockArg != null) {
      const arg = ev.args[p.lockArg];
      const kind = lockKindOf(ev, p, fn);
      if (arg != null && kind && !ACQUIRE_KINDS_EXCLUDED.has(kind)) {
        const held = heldLockTakenBy(ev, fn);
        // Taken after dropping a caller's lock (`unlock(&s->a); wait; lock(&s->b); lock(&s->a)`):
        // no order against the dropped lock at the call site; the classes are kept for that.
        const afterDropping = [...section.dropped].map((e) => classOf(e, fn));
        d.acquires.push({ lockClass: held?.lockClass ?? classOf(arg, fn), kind, mode: p.mode ?? 'exclusive', chain: [ev.callee], line: ev.line, ...(afterDropping.length ? { afterDropping } : {}) });
      }
    }
    if (p.op === 'srcu-read-lock' && p.lockArg != null && ev.args[p.lockArg] != null) {
      d.srcuReadSides.push({ ssp: normaliseExpr(ev.args[p.lockArg]!), chain: [ev.callee], line: ev.line });
    }
    if (p.op === 'srcu-sync' && p.lockArg != null && ev.args[p.lockArg] != null) {
      d.srcuSyncs.push({ ssp: normaliseExpr(ev.args[p.lockArg]!), chain: [ev.callee], line: ev.line });
    }
  }
  return d;
}

/** A callee's lock written through one of its untyped parameters (`p->lock`) is, at the call
 *  site, the lock of the argument passed there (`dev->lock`); typed classes and globals stay. */
export function rebase(lockClass: string, callee: FunctionModel, ev: CallEvent, caller: FunctionModel): string {
  const m = /^([A-Za-z_]\w*)((?:->|\.).+)$/.exec(lockClass);
  if (!m) return lockClass;
  const idx = [...callee.params.keys()].indexOf(m[1]!);
  if (idx < 0 || ev.args[idx] == null) return lockClass;
  if (/\bstruct\s+\w+/.test(callee.params.get(m[1]!) ?? '')) return lockClass; // typed: already a class
  const arg = normaliseExpr(ev.args[idx]!);
  if (!/^[\w>.\-[\]]+$/.test(arg)) return lockClass;
  return classOf(`${arg}${m[2]}`, caller);
}

const ERROR_RETURN = /^(-\s*E[A-Z0-9]+|NULL|false|-1|ERR_PTR\s*\(.*\)|ERR_CAST\s*\(.*\)|PTR_ERR\s*\(.*\)|ret|err|error|rc)$/;

/** Whether a call is on the function's straight path: not inside a branch, loop or switch body,
 *  and not after an early return of a success-looking value (a fast path that skips it). */
export function straight(ev: CallEvent, fn: FunctionModel): boolean {
  const body = fn.node.childForFieldName('body');
  for (const [parent, n] of ancestry(ev.node, body)) {
    const t = parent.type;
    if (t === 'if_statement' && parent.childForFieldName('condition')?.id !== n.id) return false;
    if (t === 'conditional_expression' && parent.childForFieldName('condition')?.id !== n.id) return false;
    if (t === 'while_statement' || t === 'for_statement' || t === 'do_statement' || t === 'switch_statement' || t === 'case_statement') return false;
    if (t === 'binary_expression' && /^(&&|\|\|)$/.test(parent.childForFieldName('operator')?.text ?? '') && parent.childForFieldName('right')?.id === n.id) return false;
  }
  for (const e of fn.events) {
    if (e === ev) break;
    if (e.kind === 'return' && e.line < ev.line && !ERROR_RETURN.test((e.value ?? '').trim())) return false;
  }
  return true;
}

/** The (parent, child) pairs from `node` up to `top` (or to the root when `node` is not under
 *  `top`). Tree-sitter finds a node's parent by searching down from the root, so climbing costs
 *  the square of the depth; the path is found from `top` downwards instead, one step per level. */
function ancestry(node: SyntaxNode, top: SyntaxNode | null): Array<[SyntaxNode, SyntaxNode]> {
  if (top && top.startIndex <= node.startIndex && node.endIndex <= top.endIndex) {
    const pairs: Array<[SyntaxNode, SyntaxNode]> = [];
    let at: SyntaxNode = top;
    while (at.id !== node.id) {
      const next = at.childWithDescendant(node);
      if (!next || next.id === at.id) break;
      pairs.push([at, next]);
      at = next;
    }
    if (at.id === node.id) return pairs;
  }
  const pairs: Array<[SyntaxNode, SyntaxNode]> = [];
  let n = node;
  while (n.parent && n.id !== top?.id) {
    pairs.push([n.parent, n]);
    n = n.parent;
  }
  return pairs;
}

/** Prefer whole definitions over hunk fragments, and the first of equals. */
function pickDefinitions(fns: readonly FunctionModel[]): Map<string, FunctionModel> {
  const byName = new Map<string, FunctionModel>();
  for (const fn of fns) {
    const have = byName.get(fn.name);
    if (!have || (have.partial && !fn.partial)) byName.set(fn.name, fn);
  }
  return byName;
}

export function computeSummaries(fns: readonly FunctionModel[], kb: KnowledgeBase): Map<string, FunctionSummary> {
  const defs = pickDefinitions(fns);
  const direct = new Map<string, Direct>();
  for (const [name, fn] of defs) direct.set(name, directFacts(fn, kb));

  const memo = new Map<string, SleepSummary>();
  const summarize = (name: string, depth: number, stack: string[]): SleepSummary | null => {
    const fn = defs.get(name);
    const d = direct.get(name);
    if (!fn || !d) return null;
    const key = `${name}@${depth}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const s: Mutable<SleepSummary> = {
      name,
      file: fn.unit.file,
      maySleep: d.sleep,
      maySleepOnRT: d.sleepRT,
      gfpParam: d.gfpParam,
      acquires: [...d.acquires],
      srcuReadSides: [...d.srcuReadSides],
      srcuSyncs: [...d.srcuSyncs],
    };
    if (depth > 0) {
      for (const ev of d.calls) {
        if (ev.callee === name || stack.includes(ev.callee)) continue;
        const callee = summarize(ev.callee, depth - 1, [...stack, name]);
        if (!callee) continue;
        const via = (c: { chain: string[]; line: number }) => ({ chain: [ev.callee, ...c.chain], line: ev.line });
        let calleeSleep = callee.maySleep;
        if (!calleeSleep && callee.gfpParam && gfpMaySleep(ev.args[callee.gfpParam.arg]) === true) calleeSleep = callee.gfpParam;
        const onPath = d.straightCalls.has(ev);
        if (!s.maySleep && calleeSleep && onPath) s.maySleep = via(calleeSleep);
        if (!s.maySleepOnRT && callee.maySleepOnRT && onPath && !d.rtAware) s.maySleepOnRT = via(callee.maySleepOnRT);
        if (!s.gfpParam && callee.gfpParam) {
          const idx = [...fn.params.keys()].indexOf(ev.args[callee.gfpParam.arg]?.trim() ?? '');
          if (idx >= 0) s.gfpParam = { arg: idx, ...via(callee.gfpParam) };
        }
        const calleeFn = defs.get(ev.callee)!;
        for (const a of callee.acquires) {
          const lockClass = rebase(a.lockClass, calleeFn, ev, fn);
          const afterDropping = a.afterDropping?.map((c) => rebase(c, calleeFn, ev, fn));
          if (!s.acquires.some((x) => x.lockClass === lockClass)) s.acquires.push({ ...a, lockClass, ...via(a), ...(afterDropping ? { afterDropping } : {}) });
        }
        for (const r of callee.srcuReadSides) {
          const ssp = rebase(r.ssp, calleeFn, ev, fn);
          if (!s.srcuReadSides.some((x) => x.ssp === ssp)) s.srcuReadSides.push({ ...r, ssp, ...via(r) });
        }
        for (const r of callee.srcuSyncs) {
          const ssp = rebase(r.ssp, calleeFn, ev, fn);
          if (!s.srcuSyncs.some((x) => x.ssp === ssp)) s.srcuSyncs.push({ ...r, ssp, ...via(r) });
        }
      }
    }
    memo.set(key, s);
    return s;
  };

  const out = new Map<string, FunctionSummary>();
  for (const name of defs.keys()) {
    const s = summarize(name, MAX_DEPTH, []);
    if (s) out.set(name, s);
  }
  return out;
}
