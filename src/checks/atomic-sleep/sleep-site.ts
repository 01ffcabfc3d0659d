// What both atomic-sleep checks need at a call: does it sleep (itself or through callees), why is
// the point atomic, and the reproduction (chain, splat, configs) a maintainer can check.
import { GENERATED_SLEEP_FAMILY } from '../../engine/generated-facts.js';
import type { AnalysisEvent, AtomicReason, CallEvent, CheckContext, FunctionModel, FunctionRole, KnowledgeBase, Primitive } from '../../engine/types.js';
import type { Interleaving, Reproduction } from '../../model/index.js';
import { directSleep, gfpMaySleep, isSleepSummary, primitiveOf, type SleepLevel } from '../../engine/summaries.js';
import { normaliseExpr } from '../../engine/lock-class.js';
import { roleAtomicReason } from '../../engine/walk.js';
import { detectRegistrations, registrationsInText } from '../../engine/roles.js';
import { deletedLines } from '../../engine/units.js';

export interface SleepSite {
  level: SleepLevel;
  /** Calls from the call site to the sleeping primitive: ["helper", "mutex_lock"]. */
  chain: string[];
}

/** Whether the call sleeps, directly or through a function visible in the units. */
export function sleepAt(ev: CallEvent, fn: FunctionModel, ctx: CheckContext): SleepSite | null {
  const direct = directSleep(ev, ctx.kb, fn);
  if (direct) return { level: direct, chain: [ev.callee] };
  if (primitiveOf(ev, ctx.kb)) return null;
  const s = ctx.summary(ev.callee);
  if (!s || s.name === fn.name) return null;
  if (s.maySleep) return { level: 'always', chain: [ev.callee, ...s.maySleep.chain] };
  if (isSleepSummary(s) && s.gfpParam && gfpMaySleep(ev.args[s.gfpParam.arg]) === true) {
    return { level: 'always', chain: [ev.callee, ...s.gfpParam.chain] };
  }
  if (s.maySleepOnRT) return { level: 'rt', chain: [ev.callee, ...s.maySleepOnRT.chain] };
  return null;
}

/** A non-blockable MMU notifier is not taken from a shape or another hunk's registration: its
 *  reason must pass the mmu_notifier_range_blockable() test above, which only the engine's own
 *  reasons do. The other atomic roles are worded as the engine words them (roleAtomicReason). */
const NOT_ADDED_FROM_SHAPE: ReadonlySet<FunctionRole> = new Set(['mmu-notifier-nonblock']);

/**
 * The reasons the point of `ev` is atomic, as the engine saw them, made more trustworthy:
 *  - a lock taken in a whole function that never releases it there is left out (an unlock through
 *    a wrapper the knowledge base does not know would otherwise poison the rest of the function);
 *  - a hunk fragment that releases a lock it never took ran under that lock until the release;
 *  - a non-blockable MMU notifier that tests mmu_notifier_range_blockable() may sleep after the test;
 *  - roles the engine could not see in a fragment are added from the function's shape.
 */
export function atomicReasons(ev: AnalysisEvent, fn: FunctionModel, kb: KnowledgeBase, extraRoles: readonly FunctionRole[], all: readonly FunctionModel[]): AtomicReason[] {
  const out: AtomicReason[] = [];
  const misnamed = fn.unit.mode === 'hunk' ? opsStructRolesElsewhere(fn, all) : null;
  for (const r of ev.ctx.atomic) {
    if (r.line != null && isLockReason(r) && !fn.partial && !releasedLater(fn, r, ev)) continue;
    if (r.kind === 'role' && misnamed?.has(r.text)) continue;
    if (r.kind === 'role' && /MMU notifier/i.test(r.text) && blockableTestBefore(fn, ev.line)) continue;
    out.push(r);
  }
  if (fn.partial) out.push(...heldBeforeFragment(ev, fn, kb, all));
  for (const role of extraRoles) {
    if (fn.roles.includes(role)) continue;
    if (NOT_ADDED_FROM_SHAPE.has(role)) continue;
    const r = roleAtomicReason(role);
    if (r) out.push(r);
  }
  return out;
}

function isLockReason(r: AtomicReason): boolean {
  return r.kind === 'spinlock' || r.kind === 'raw_spinlock' || r.kind === 'rwlock' || r.kind === 'bit_spinlock' || r.kind === 'local_lock' || (r.kind === 'irq' && r.line != null);
}

function lockExprOfReason(r: AtomicReason): string | null {
  const m = /^\w+\((.*)\)$/.exec(r.text);
  return m ? normaliseExpr(m[1]!) : null;
}

/** Whether the lock behind reason `r` is released by some event after `ev` in the function. */
function releasedLater(fn: FunctionModel, r: AtomicReason, ev: AnalysisEvent): boolean {
  const expr = lockExprOfReason(r);
  if (!expr) return true;
  const i = fn.events.indexOf(ev);
  for (let j = i + 1; j < fn.events.length; j++) {
    const e = fn.events[j]!;
    if (!e.ctx.locks.some((l) => l.expr === expr || l.expr.startsWith(expr + '['))) {
      // The lock is no longer held at a later event: some statement released it.
      return true;
    }
  }
  // Held to every exit: an unlock at the very end shows as a release at a return/end exit.
  return fn.exits.some((x) => !x.ctx.locks.some((l) => l.expr === expr || l.expr.startsWith(expr + '[')));
}

/** Whether the function branches on mmu_notifier_range_blockable() before `line` (an `if` on it;
 *  storing the result in a field, as KVM's `.may_block = ...` does, guards nothing by itself). */
function blockableTestBefore(fn: FunctionModel, line: number): boolean {
  return fn.events.some((e) => e.kind === 'call' && e.callee === 'mmu_notifier_range_blockable' && e.line <= line && inIfCondition(e.node));
}

function inIfCondition(node: AnalysisEvent['node']): boolean {
  let n: AnalysisEvent['node'] | null = node;
  while (n?.parent) {
    const parent: AnalysisEvent['node'] = n.parent;
    if (parent.type === 'if_statement' || parent.type === 'while_statement' || parent.type === 'conditional_expression') {
      return parent.childForFieldName('condition')?.id === n.id;
    }
    if (/statement$|^compound/.test(parent.type)) return false;
    n = parent;
  }
  return false;
}

/** Spinning locks a hunk fragment releases without having taken them: held from the fragment's
 *  start up to the release (the acquisition is above the hunk). The release may also be in a later
 *  hunk of the same function (`lock ... [hunk: sleeping call] ... [hunk: unlock]`), as long as no
 *  visible code in between takes or releases that lock. */
function heldBeforeFragment(ev: AnalysisEvent, fn: FunctionModel, kb: KnowledgeBase, all: readonly FunctionModel[]): AtomicReason[] {
  const out: AtomicReason[] = [];
  const seen = new Set<string>();
  // Locks the fragment takes or releases before `ev` are the walker's business.
  for (const e of fn.events) {
    if (e === ev) break;
    const op = lockOp(e, kb);
    if (op) seen.add(op.expr);
  }
  // A later hunk's release says the lock is held at `ev` only when this fragment starts inside the
  // function (the engine's wrapper line maps to no post-image line): when the function's start is
  // visible and shows no acquisition before `ev`, the lock is taken after it, in code the patch
  // does not show (the allocate-then-lock pattern).
  const startsInside = fn.unit.lineMap[fn.node.startPosition.row] === 0;
  const later = (startsInside ? all : [])
    .filter((f) => f !== fn && f.partial && f.name === fn.name && f.unit.file === fn.unit.file && f.unit.patch === fn.unit.patch && f.startLine > ev.line)
    .sort((a, b) => a.startLine - b.startLine);
  const idx = fn.events.indexOf(ev);
  const sequence = [...fn.events.slice(idx + 1), ...later.flatMap((f) => f.events)];
  for (const e of sequence) {
    // Past a return, a release is reached from elsewhere (an error label): it says nothing about `ev`.
    if (e.kind === 'return') break;
    const op = lockOp(e, kb);
    if (!op || seen.has(op.expr)) continue;
    seen.add(op.expr); // only the first operation on each lock counts
    if (op.op !== 'unlock' || e.ctx.locks.some((l) => l.expr === op.expr)) continue;
    const kind = op.kind;
    if (kind !== 'spinlock' && kind !== 'raw_spinlock' && kind !== 'rwlock' && kind !== 'bit_spinlock') continue;
    const onRT = kind === 'raw_spinlock' || kind === 'bit_spinlock';
    const taken = takenInEarlierHunk(fn, op.expr, kb, all);
    if (taken) {
      const r: AtomicReason = { kind, line: taken.ev.line, text: callText(taken.ev), onRT };
      reasonUnit.set(r, taken.unit);
      out.push(r);
      continue;
    }
    out.push({
      kind,
      line: null,
      text: `${op.expr} held (taken above the hunk, released by ${(e as CallEvent).callee}() at line ${e.line})`,
      onRT,
    });
  }
  return out;
}

/** The unit a reason's line belongs to when it is not the function's own fragment (a lock taken
 *  in an earlier hunk of the same function). */
const reasonUnit = new WeakMap<AtomicReason, FunctionModel['unit']>();

/** `callee(arg, ...)` as the call reads (messages and reasons). */
export function callText(e: CallEvent): string {
  return `${e.callee}(${e.args.join(', ')})`;
}

/** The acquisition of `expr` in an earlier hunk of the same function, when the last operation
 *  on that lock the earlier hunks show is that acquisition (`-mutex_lock +spin_lock` in one hunk,
 *  `-mutex_unlock +spin_unlock` in a later one: the spinlock conversion of a reversed fix). */
function takenInEarlierHunk(fn: FunctionModel, expr: string, kb: KnowledgeBase, all: readonly FunctionModel[]): { ev: CallEvent; unit: FunctionModel['unit'] } | null {
  const earlier = all
    .filter((f) => f !== fn && f.partial && f.name === fn.name && f.unit.file === fn.unit.file && f.unit.patch === fn.unit.patch && f.startLine < fn.startLine)
    .sort((a, b) => b.startLine - a.startLine);
  for (const f of earlier) {
    for (let i = f.events.length - 1; i >= 0; i--) {
      const e = f.events[i]!;
      const op = lockOp(e, kb);
      if (!op || op.expr !== expr) continue;
      return op.op === 'lock' && e.kind === 'call' ? { ev: e, unit: f.unit } : null;
    }
  }
  return null;
}

function lockOp(e: AnalysisEvent, kb: KnowledgeBase): { op: 'lock' | 'unlock'; expr: string; kind: Primitive['kind'] } | null {
  if (e.kind !== 'call') return null;
  const p = primitiveOf(e, kb);
  if (!p || p.lockArg == null || e.args[p.lockArg] == null) return null;
  const op = p.op === 'lock' || p.op === 'trylock' ? 'lock' : p.op === 'unlock' ? 'unlock' : null;
  if (!op) return null;
  const expr = p.lockExpr ? p.lockExpr.replace(/\{(\d+)\}/g, (_, i: string) => normaliseExpr(e.args[Number(i)] ?? '')) : e.args[p.lockArg]!;
  return { op, expr: normaliseExpr(expr), kind: p.kind };
}

/** Reproduction for a context bug. */
export function sleepReproduction(opts: {
  fn: FunctionModel;
  ev: CallEvent;
  site: SleepSite;
  reason: AtomicReason;
  rtOnly: boolean;
}): Partial<Reproduction> {
  const { fn, ev, site, reason, rtOnly } = opts;
  const where = reason.line != null ? `${reason.text} at line ${reason.line}` : reason.text;
  const chain = [`${fn.name}() [atomic: ${where}]`, ...site.chain.map((c) => `${c}()`)];
  const frames = [...site.chain].reverse().map((c) => `  ${c}`).join('\n');
  const held = reason.line != null ? `1 lock held: ${reason.text}, at: ${fn.name}` : `context: ${reason.text}`;
  const splat = rtOnly
    ? [
        '=============================',
        '[ BUG: Invalid wait context ]',
        '-----------------------------',
        `trying to lock: (${site.chain[site.chain.length - 1]}), at: ${site.chain[0]}`,
        `other info that might help us debug this: ${held}`,
        '',
        'and on PREEMPT_RT:',
        `BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c`,
        'Call Trace:',
        '  __might_resched',
        '  rt_spin_lock',
        frames,
        `  ${fn.name}`,
      ].join('\n')
    : [
        `BUG: sleeping function called from invalid context at ${fn.unit.file}:${ev.line}`,
        `in_atomic(): 1, irqs_disabled(): ${reason.kind === 'irq' || /irq/.test(reason.text) ? 1 : 0}`,
        held,
        'Call Trace:',
        '  __might_resched',
        frames,
        `  ${fn.name}`,
      ].join('\n');
  const configs = rtOnly
    ? ['CONFIG_PREEMPT_RT=y', 'CONFIG_DEBUG_ATOMIC_SLEEP=y', 'CONFIG_PROVE_LOCKING=y', 'CONFIG_PROVE_RAW_LOCK_NESTING=y']
    : ['CONFIG_DEBUG_ATOMIC_SLEEP=y', 'CONFIG_PROVE_LOCKING=y'];
  return { chain, splat, configs, interleaving: sleepInterleaving(fn, ev, site, reason, rtOnly), litmus: null, verdict: null };
}

/** What happens when the call does sleep, as two timelines. With a lock held: the next task on
 *  that CPU (or another CPU) wants the lock while its owner sleeps; without one (preemption or
 *  IRQs off, an atomic role): the scheduler is entered from atomic context. On PREEMPT_RT the
 *  "sleeping" lock is an rtmutex that blocks when another task holds it. */
function sleepInterleaving(fn: FunctionModel, ev: CallEvent, site: SleepSite, reason: AtomicReason, rtOnly: boolean): Interleaving {
  const file = fn.unit.file;
  const call = `${site.chain.join('() -> ')}()`;
  const enter = reason.line != null ? { cpu: 0, action: `${reason.text};`, file, line: reason.line, note: 'the context is atomic from here' } : { cpu: 0, action: `/* ${fn.name}() runs as ${reason.text} */`, note: 'atomic by its role' };
  if (rtOnly) {
    return {
      title: 'sleeping lock taken in atomic context (PREEMPT_RT)',
      cpus: ['CPU0', 'CPU1'],
      steps: [
        { cpu: 1, action: `${call};`, note: 'holds the same spinlock_t/rwlock_t (an rtmutex on PREEMPT_RT)' },
        enter,
        { cpu: 0, action: `${call};`, file, line: ev.line, note: 'contended: the rtmutex blocks and schedules' },
      ],
      outcome: 'CPU0 schedules while atomic: BUG: sleeping function called from invalid context (lockdep: Invalid wait context)',
    };
  }
  const lockHeld = reason.kind === 'spinlock' || reason.kind === 'rwlock' || reason.kind === 'raw_spinlock' || reason.kind === 'bit_spinlock';
  return {
    title: 'sleeping in atomic context',
    cpus: ['CPU0 (task A)', lockHeld ? 'CPU0 (task B, after A sleeps)' : 'CPU0 (scheduler)'],
    steps: [
      enter,
      { cpu: 0, action: `${call};`, file, line: ev.line, note: 'may sleep: schedule() with the context atomic' },
      lockHeld
        ? { cpu: 1, action: `${reason.text};`, note: 'spins on the lock task A holds while A sleeps' }
        : { cpu: 1, action: 'schedule();', note: 'entered with preempt_count != 0 or IRQs off' },
    ],
    outcome: lockHeld ? 'task B spins forever on CPU0 waiting for a sleeping owner (or: BUG: scheduling while atomic)' : 'BUG: scheduling while atomic',
  };
}

/** The line a finding belongs on: the sleeping call when the patch touched it, else the line that
 *  made the context atomic when the patch added that one: a lock, or the registration that gave
 *  the function an atomic role (`registration` is then set); null when the series touched none. */
export function findingLine(
  ev: CallEvent,
  reasons: readonly AtomicReason[],
  fn: FunctionModel,
  all: readonly FunctionModel[],
): { line: number; reason: AtomicReason; unit: FunctionModel['unit']; registration?: true } | null {
  if (ev.changed && reasons.length) return { line: ev.line, reason: reasons[reasons.length - 1]!, unit: fn.unit };
  const located = lockOrContextLine(ev, reasons, fn);
  if (located || fn.unit.mode === 'scan') return located;
  // The function's body is what it was; a changed registration put it where it may not sleep
  // (`.prepare = foo_enable` became `.enable = foo_enable`, request_threaded_irq's thread_fn
  // became request_irq's handler).
  for (let i = reasons.length - 1; i >= 0; i--) {
    const r = reasons[i]!;
    if (r.kind !== 'role' || r.line != null) continue;
    const site = changedRegistration(fn, r, all);
    if (site) return { line: site.line, reason: { ...r, line: site.line }, unit: site.unit, registration: true };
  }
  return null;
}

function lockOrContextLine(ev: CallEvent, reasons: readonly AtomicReason[], fn: FunctionModel): { line: number; reason: AtomicReason; unit: FunctionModel['unit'] } | null {
  for (let i = reasons.length - 1; i >= 0; i--) {
    const r = reasons[i]!;
    // A lock taken in an earlier hunk of the function: the finding goes on that hunk's line.
    const unit = reasonUnit.get(r) ?? fn.unit;
    if (r.line != null && unit.changed.has(r.line)) return { line: r.line, reason: r, unit };
    if (r.line == null) {
      const l = locateReason(r, fn, ev).line;
      if (l != null && fn.unit.changed.has(l)) return { line: l, reason: { ...r, line: l }, unit: fn.unit };
    }
  }
  return null;
}

/** Whether IRQs are hard-disabled on PREEMPT_RT at `ev`: every call before it that turned IRQs off
 *  is a pure context primitive (local_irq_save/disable, raw_spin_lock_irq*), none a spinlock_t /
 *  rwlock_t irqsave, which leaves IRQs on under RT. Paths are merged by the walker, so one such
 *  lock on any path makes the state unknown. */
export function irqsHardOffOnRT(fn: FunctionModel, ev: AnalysisEvent, kb: KnowledgeBase): boolean {
  let any = false;
  for (const e of fn.events) {
    if (e === ev) break;
    if (e.kind !== 'call' || e.primitive?.context?.irq !== 'off') continue;
    const p = primitiveOf(e, kb);
    if (p && (p.op === 'lock' || p.op === 'trylock') && p.kind !== 'raw_spinlock') return false;
    any = true;
  }
  return any;
}

/** Fills in where a context reason began when the engine keeps only a depth or flag (preemption,
 *  RCU, IRQs, BH): the last call before `ev` that entered that state. */
export function locateReason(r: AtomicReason, fn: FunctionModel, ev: AnalysisEvent): AtomicReason {
  if (r.line != null) return r;
  const enters = (e: CallEvent): boolean => {
    const c = e.primitive?.context;
    if (!c) return false;
    if (r.kind === 'preempt') return c.preempt === 1;
    if (r.kind === 'rcu') return c.rcu === 1;
    if (r.kind === 'irq') return c.irq === 'off';
    if (r.kind === 'bh') return c.bh === 'off';
    return false;
  };
  let found: CallEvent | null = null;
  for (const e of fn.events) {
    if (e === ev) break;
    if (e.kind === 'call' && enters(e)) found = e;
  }
  return found ? { ...r, line: found.line, text: `${found.callee}(${found.args.join(', ')})` } : r;
}

/** The registrations of a unit's tree, read once per tree (every copy of a unit repeated in the
 *  series shares it; src/engine/index.ts). */
const registrationsOfTree = new WeakMap<object, ReturnType<typeof detectRegistrations>>();

function unitRegistrations(f: FunctionModel): ReturnType<typeof detectRegistrations> {
  const tree = f.node.tree;
  let r = registrationsOfTree.get(tree);
  if (!r) {
    r = detectRegistrations(tree.rootNode);
    registrationsOfTree.set(tree, r);
  }
  return r;
}

/** The units whose registrations speak for `fn`: its own, and in hunk-only review the other hunks
 *  of the same file and patch (each reached through a function model over its tree). */
export function registrationUnits(fn: FunctionModel, all: readonly FunctionModel[]): FunctionModel[] {
  if (fn.unit.mode !== 'hunk') return [fn];
  const others = hunkUnitsOfFile(all).get(`${fn.unit.file}\u0000${fn.unit.patch}`) ?? [];
  return [fn, ...others.filter((f) => f.unit !== fn.unit)];
}

/** One function model per hunk unit, grouped by file and patch: built once per analysis (every
 *  call event of a hunk asks). */
const hunkUnitsByFile = new WeakMap<readonly FunctionModel[], Map<string, FunctionModel[]>>();

function hunkUnitsOfFile(all: readonly FunctionModel[]): Map<string, FunctionModel[]> {
  let m = hunkUnitsByFile.get(all);
  if (!m) {
    m = new Map();
    const seen = new Set<FunctionModel['unit']>();
    for (const f of all) {
      if (f.unit.mode !== 'hunk' || seen.has(f.unit)) continue;
      seen.add(f.unit);
      const key = `${f.unit.file}\u0000${f.unit.patch}`;
      const list = m.get(key);
      if (list) list.push(f);
      else m.set(key, [f]);
    }
    hunkUnitsByFile.set(all, m);
  }
  return m;
}

/** Roles other hunks of the file register `fn` for, and the ops structs they put it into. */
export function registeredElsewhere(fn: FunctionModel, all: readonly FunctionModel[]): { roles: FunctionRole[]; structs: Set<string> } {
  const roles: FunctionRole[] = [];
  const structs = new Set<string>();
  for (const f of registrationUnits(fn, all)) {
    if (f.unit === fn.unit) continue;
    const r = unitRegistrations(f);
    for (const s of r.sites) if (s.fn === fn.name && !roles.includes(s.role)) roles.push(s.role);
    for (const [struct, fns] of r.inOpsStruct) if (fns.has(fn.name)) structs.add(struct);
  }
  return { roles, structs };
}

/** The wording of struct-op roles `fn` has from its name alone (`foo_enable(struct clk_hw *)`) that
 *  another hunk of the file contradicts: it puts `fn` into that ops struct, and no hunk registers
 *  it for that op (`.prepare = foo_enable`). The engine reads this within one unit (detectRoles);
 *  this is the same across the hunks of a file. */
function opsStructRolesElsewhere(fn: FunctionModel, all: readonly FunctionModel[]): Set<string> | null {
  if (!fn.roles.some((r) => r.includes('.'))) return null;
  const elsewhere = registeredElsewhere(fn, all);
  if (!elsewhere.structs.size) return null;
  const own = unitRegistrations(fn).sites.filter((s) => s.fn === fn.name).map((s) => s.role);
  const out = new Set<string>();
  for (const role of fn.roles) {
    const struct = role.includes('.') ? role.slice(0, role.indexOf('.')) : null;
    if (!struct || !elsewhere.structs.has(struct) || elsewhere.roles.includes(role) || own.includes(role)) continue;
    const text = roleAtomicReason(role)?.text;
    if (text) out.add(text);
  }
  return out.size ? out : null;
}

/** A registration of `fn` for the role behind reason `r` that the patch changed: its first changed
 *  post-image line and unit. */
function changedRegistration(fn: FunctionModel, r: AtomicReason, all: readonly FunctionModel[]): { line: number; unit: FunctionModel['unit'] } | null {
  for (const f of registrationUnits(fn, all)) {
    // A hunk whose deleted lines registered the function for a role of the same context only
    // restates the registration (request_irq rewritten as devm_request_irq, a table line moved).
    const before = registrationsInText(deletedLines(f.unit).join('\n'));
    if (before.some((b) => b.fn === fn.name && roleAtomicReason(b.role)?.text === r.text)) continue;
    for (const s of unitRegistrations(f).sites) {
      if (s.fn !== fn.name || roleAtomicReason(s.role)?.text !== r.text) continue;
      for (let row = s.fromRow; row <= s.toRow; row++) {
        const line = f.unit.lineMap[row];
        if (line && f.unit.changed.has(line)) return { line, unit: f.unit };
      }
    }
  }
  return null;
}

/** The sleeping function at the end of `site.chain` as a message names it: `sleeper()`, then
 *  `predicate` when given (`may sleep`), then where the generated sleep table says it sleeps in
 *  6.12 (its definition is not in the patch), then the calls that lead to it:
 *  `mutex_lock() may sleep (via helper())`,
 *  `gpiod_add_lookup_tables() may sleep (Linux 6.12, drivers/gpio/gpiolib.c: -> mutex_lock())`. */
export function sleeperText(site: SleepSite, kb: KnowledgeBase, predicate = ''): string {
  const sleeper = site.chain[site.chain.length - 1]!;
  const p = kb.primitive(sleeper);
  const where = p?.family === GENERATED_SLEEP_FAMILY && p.doc ? ` (Linux 6.12, ${p.doc})` : '';
  const via = site.chain.length > 1 ? ` (via ${site.chain.slice(0, -1).map((c) => `${c}()`).join(' -> ')})` : '';
  return `${sleeper}()${predicate ? ` ${predicate}` : ''}${where}${via}`;
}
