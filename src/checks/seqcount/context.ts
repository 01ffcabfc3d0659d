// Context questions the seqcount checks ask at a program point.
import type { AnalysisEvent, AnalysisUnit, CallEvent, Context, FunctionModel, HeldLock } from '../../engine/types.js';
import { callTarget, sameObject } from '../srcu/srcu-expr.js';
import { deletedLines } from '../../engine/units.js';
import { registeredElsewhere } from '../atomic-sleep/sleep-site.js';

const SLEEPING_LOCKS = new Set(['mutex', 'rwsem', 'semaphore']);
const PREEMPT_OFF_LOCKS = new Set(['spinlock', 'raw_spinlock', 'rwlock', 'bit_spinlock', 'local_lock']);

/** Preemption, IRQs or BH are off here on a !PREEMPT_RT kernel (by any means the engine knows). */
export function nonPreemptible(ctx: Context, fn: FunctionModel): boolean {
  return (
    ctx.atomic.length > 0 ||
    ctx.preemptDepth > 0 ||
    ctx.irqsOff ||
    ctx.bhOff ||
    [...ctx.locks, ...fn.callersHold].some((l) => PREEMPT_OFF_LOCKS.has(l.kind))
  );
}

/** Still non-preemptible on PREEMPT_RT (raw spinlock, explicit preempt/irq disable, NMI ...). */
export function nonPreemptibleOnRT(ctx: Context): boolean {
  return ctx.atomic.some((a) => a.onRT);
}

/** Sleeping locks held at `ev`: in the context, by callers, or released later in a function seen
 *  only in part (an unlock with no lock in sight means the lock was taken before the fragment). */
export function sleepingLocksHeld(ev: AnalysisEvent, fn: FunctionModel): HeldLock[] {
  const held = [...fn.callersHold, ...ev.ctx.locks].filter((l) => SLEEPING_LOCKS.has(l.kind));
  for (const e of fn.events) {
    if (e.kind !== 'call' || e.line <= ev.line) continue;
    const p = e.primitive;
    if (p?.op !== 'unlock' || !p.kind || !SLEEPING_LOCKS.has(p.kind)) continue;
    const expr = callTarget(e);
    if (!expr || held.some((l) => sameObject(l.expr, fn, expr, fn))) continue;
    // Taken before `ev` in this fragment? Then the context already has it (or it was released).
    const takenBetween = fn.events.some((x) => x.kind === 'call' && x.line > ev.line && x.line < e.line && x.primitive?.op === 'lock' && sameObject(callTarget(x) ?? '', fn, expr, fn));
    if (takenBetween) continue;
    const takenBefore = fn.events.some((x) => x.kind === 'call' && x.line < ev.line && (x.primitive?.op === 'lock' || x.primitive?.op === 'unlock') && sameObject(callTarget(x) ?? '', fn, expr, fn));
    if (takenBefore) continue;
    held.push({ expr, lockClass: expr, kind: p.kind, mode: 'exclusive', line: e.line, via: `${e.callee.replace(/unlock/, 'lock')} (released at line ${e.line})`, irqOff: false, bhOff: false });
  }
  return held;
}

/** The first call before `ev` in the function that may sleep, made in sleepable context. */
export function earlierSleep(ev: AnalysisEvent, fn: FunctionModel): CallEvent | undefined {
  return fn.events.find((e): e is CallEvent => e.kind === 'call' && e.line < ev.line && !!e.primitive?.sleeps && e.ctx.atomic.length === 0);
}


/** The roles of `fn`: its own (signature, registrations in its unit) and, in hunk-only review,
 *  those another hunk of the same file registers it for (request_irq() in the probe hunk). */
export function rolesOf(fn: FunctionModel, all: readonly FunctionModel[]): readonly string[] {
  if (fn.unit.mode !== 'hunk') return fn.roles;
  return [...new Set([...fn.roles, ...registeredElsewhere(fn, all).roles])];
}

// Calls that make a section non-preemptible (or IRQ/BH-safe) on !PREEMPT_RT. A reversed fix shows
// them as deleted lines of the hunk that holds the writer: the patch took the protection away.
const PROTECTION = /\b(preempt_disable|local_irq_save|local_irq_disable|local_bh_disable|get_cpu|get_cpu_ptr|\w+_irqsave|\w+_lock_irq|\w+_lock_bh|u64_stats_update_begin_irqsave)\s*\(/;

const removedOfUnit = new WeakMap<AnalysisUnit, string[]>();

/** The deleted lines of a hunk unit that the hunk does not add back verbatim (a line deleted and
 *  re-added, or moved within the hunk, was not removed). Computed once per unit: the writer checks
 *  ask at every write section. */
function removedLines(unit: AnalysisUnit): string[] {
  const known = removedOfUnit.get(unit);
  if (known) return known;
  const deleted = deletedLines(unit);
  let removed: string[] = []; // whole-file units (scan, --tree) and pure additions
  if (deleted.length) {
    const added = new Set<string>();
    unit.text.split('\n').forEach((row, i) => {
      if (unit.changed.has(unit.lineMap[i] ?? 0)) added.add(row.trim());
    });
    removed = deleted.filter((l) => !added.has(l.trim()));
  }
  removedOfUnit.set(unit, removed);
  return removed;
}

/** A deleted line of `fn`'s hunk that disabled preemption, IRQs or BH around `counter` (or, with
 *  no counter, anywhere): the patch removed the write side's protection. */
export function removedProtection(fn: FunctionModel, counter?: string): string | undefined {
  if (fn.unit.mode !== 'hunk') return undefined;
  return removedLines(fn.unit).find((l) => PROTECTION.test(l) && (!counter || !/seq|u64_stats/.test(l) || l.includes(counter)))?.trim();
}

// Write-side calls only: a reader's _irq form (u64_stats_fetch_begin_irq(), gone in 6.2) deleted
// beside a writer says nothing about the writer.
const IRQ_PROTECTION = /\b(local_irq_save|local_irq_disable|local_bh_disable|write_seqlock_(irqsave|irq|bh)|write_seqcount_begin\w*|u64_stats_update_begin_irqsave|\w*spin_lock_(irqsave|irq|bh)|write_lock_(irqsave|irq|bh))\s*\(/;
const ANY_COUNTER = /\b(local_irq_save|local_irq_disable|local_bh_disable)\s*\(/;

/** A deleted line of `fn`'s hunk that disabled IRQs (or BH) around the write side of `counter`
 *  (the counter's own _irqsave / _irq / _bh writer, or local_irq_save() / local_bh_disable()):
 *  the patch made an IRQ- or softirq-safe write section unsafe. For a seqlock_t the _irq and _bh
 *  forms exist for nothing else (write_seqlock() already disables preemption); whoever wrote them
 *  knew interrupt or softirq context uses the counter. */
export function removedIrqProtection(fn: FunctionModel, counter: string): string | undefined {
  if (fn.unit.mode !== 'hunk') return undefined;
  return removedLines(fn.unit).find((l) => IRQ_PROTECTION.test(l) && (ANY_COUNTER.test(l) || (/seq|u64_stats/.test(l) && l.includes(counter))))?.trim();
}

/** An IRQ handler (irqreturn_t) named as the thread half of a threaded IRQ (`foo_irq_thread`,
 *  `foo_thread_fn`): hunk-only review rarely shows the request_threaded_irq() that says so, and
 *  the name is how drivers tell the two halves apart (hard handlers are `foo_isr`, `foo_irq`). */
export function threadedByName(fn: FunctionModel): boolean {
  const head = fn.node.text.slice(0, Math.max(0, fn.node.text.indexOf('{')));
  return /\birqreturn_t\b/.test(head) && /_thread(ed)?(_fn|_func|_handler)?$|^threaded_|_threaded_irq$/.test(fn.name);
}
