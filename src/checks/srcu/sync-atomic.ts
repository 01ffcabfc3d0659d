// srcu-sync-atomic: a grace-period wait (synchronize_srcu*, srcu_barrier, synchronize_rcu*,
// rcu_barrier) where the context cannot sleep: spinlock / raw spinlock / rwlock held, preemption,
// IRQs or BH disabled, an RCU read side, or a function role that runs atomically (hard-IRQ handler,
// timer, irq_chip callback, NMI, non-blockable MMU notifier).
//
// Approach: Context.atomic at the call, which the engine fills from locks, context primitives and
// roles; a grace-period wait sleeps on every config, so every reason counts.
// Blind spots: atomic contexts entered by callers the engine cannot see (no role, no
// callersHold); waits hidden in callees are left to the atomic-sleep family's summaries.

import type { Check } from '../../engine/types.js';
import { callText, interleaving, repro, step } from './repro.js';

const GP_WAIT = /^(synchronize_(s?rcu)(_expedited)?|srcu_barrier|rcu_barrier|synchronize_rcu_tasks\w*)$/;

export const syncAtomic: Check = {
  meta: {
    id: 'srcu-sync-atomic',
    class: 'srcu',
    severity: 'error',
    title: 'RCU/SRCU grace-period wait in atomic context',
    help:
      'synchronize_srcu(), synchronize_srcu_expedited(), srcu_barrier(), synchronize_rcu() and ' +
      'rcu_barrier() block until a grace period (or all callbacks) complete, so they may only be ' +
      'called where sleeping is allowed: not under a spinlock, with preemption, interrupts or bottom ' +
      'halves disabled, inside rcu_read_lock(), or from IRQ/timer/NMI context. Use call_srcu() / ' +
      'call_rcu() from atomic context, or move the wait after the lock is dropped. See ' +
      'Documentation/RCU/checklist.rst item 6.',
    docs: ['Documentation/RCU/checklist.rst', 'Documentation/locking/locktypes.rst'],
  },
  create(ctx) {
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !ev.ctx.atomic.length) return;
        const p = ev.primitive;
        const isWait = p ? p.op === 'srcu-sync' || p.op === 'srcu-barrier' || (p.op === 'sleep' && GP_WAIT.test(p.name)) : false;
        if (!isWait) return;
        const why = ev.ctx.atomic[ev.ctx.atomic.length - 1]!;
        const relevant = ev.changed || ev.ctx.atomic.some((a) => a.line !== null && fn.unit.changed.has(a.line));
        if (!relevant) return;
        const chain = [why.text, `${fn.name}()`, `${ev.callee}()`];
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${ev.callee}() sleeps until a grace period ends, but this point is atomic (${ev.ctx.atomic.map((a) => a.text + (a.line ? ` at line ${a.line}` : '')).join(', ')}).`,
          key: `${ev.callee}:${why.kind}`,
          introducedLines: [ev.line, ...ev.ctx.atomic.flatMap((a) => (a.line ? [a.line] : []))],
          reproduction: repro({
            chain,
            configs: ['CONFIG_DEBUG_ATOMIC_SLEEP', 'CONFIG_PROVE_LOCKING'],
            splat: `BUG: sleeping function called from invalid context at kernel/rcu/${/srcu|srcu_barrier/.test(ev.callee) ? 'srcutree.c' : 'tree.c'}\nin_atomic(): 1, irqs_disabled(): ${ev.ctx.irqsOff ? 1 : 0}, non_block: 0\nCall Trace:\n  __might_sleep\n  ${ev.callee}\n  ${fn.name}`,
            interleaving: interleaving(
              'sleeping in atomic context',
              ['CPU0'],
              [
                step(0, why.text, fn.unit.file, why.line ?? undefined, 'context becomes atomic'),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'blocks for a grace period: schedules while atomic'),
              ],
              'BUG: scheduling while atomic',
            ),
          }),
        });
      },
    };
  },
};
