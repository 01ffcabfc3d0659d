// Context questions the seqcount checks ask at a program point.
import type { AnalysisEvent, CallEvent, Context, FunctionModel, HeldLock } from '../../engine/types.js';
import { callTarget, sameObject } from '../srcu/srcu-expr.js';

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

