// seqcount-reader-atomic-rt: a reader of a seqcount_LOCKNAME_t with a lock that sleeps on
// PREEMPT_RT (seqcount_spinlock_t, _rwlock_t, _mutex_t) or of a seqlock_t, in a context that stays
// atomic on PREEMPT_RT: raw spinlock held, IRQs or preemption explicitly disabled, NMI, irq_chip
// callbacks, a non-blockable MMU notifier. On PREEMPT_RT the read side (seqprop_sequence(), used by
// read_seqcount_begin(), raw_read_seqcount(), raw_seqcount_try_begin() and read_seqbegin()) takes
// and drops the associated lock when it sees a writer in progress, to boost the writer: a sleeping
// lock in atomic context.
//
// Approach: Context.atomic reasons that hold on RT (AtomicReason.onRT) plus the non-blockable
// notifier role, and the counter type (counter-type.ts). Latch readers never take the lock.
// Blind spots: counters of unknown type; atomic context entered by callers the engine cannot see.

import type { Check } from '../../engine/types.js';
import { callTarget } from '../srcu/srcu-expr.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';
import { counterType, unitsOf } from './counter-type.js';

const READERS = /^(read_seqcount_begin|raw_read_seqcount_begin|raw_read_seqcount|raw_seqcount_begin|raw_seqcount_try_begin|read_seqbegin|read_seqbegin_or_lock|read_seqbegin_or_lock_irqsave)$/;
const RT_ATOMIC_ROLES = new Set(['nmi', 'irq-chip', 'mmu-notifier-nonblock']);

export const readerAtomicRT: Check = {
  meta: {
    id: 'seqcount-reader-atomic-rt',
    class: 'seqcount',
    severity: 'warning',
    title: 'seqcount_LOCKNAME_t / seqlock_t reader in atomic context (sleeps on PREEMPT_RT)',
    help:
      'On PREEMPT_RT the readers of a seqcount_spinlock_t, seqcount_rwlock_t, seqcount_mutex_t or ' +
      'seqlock_t that find a writer in progress take and release the associated lock, so that the ' +
      'preempted writer gets boosted. That lock is a sleeping lock on RT, so such a reader must not ' +
      'run with a raw spinlock held, IRQs or preemption disabled, or in NMI / non-blockable notifier ' +
      'context. Use a seqcount_raw_spinlock_t / seqcount_latch_t, move the read out of the atomic ' +
      'section, or read the sequence without the lock dance. See Documentation/locking/seqlock.rst ' +
      'and Documentation/locking/locktypes.rst.',
    docs: ['Documentation/locking/seqlock.rst', 'Documentation/locking/locktypes.rst'],
  },
  create(ctx) {
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !READERS.test(ev.callee)) return;
        const reasons = ev.ctx.atomic.filter((a) => a.onRT);
        const role = fn.roles.find((r) => RT_ATOMIC_ROLES.has(r));
        if (!reasons.length && !role) return;
        const counter = callTarget(ev);
        if (!counter) return;
        const t = counterType(ev.callee, counter, fn, unitsOf(ctx.functions()), ctx.kb);
        if (t.kind !== 'lockname-sleeping' && t.kind !== 'seqlock') return;
        const why = reasons[reasons.length - 1];
        const whyText = why ? why.text : `${fn.name}() runs as ${role} callback`;
        if (!ev.changed && !(why?.line && fn.unit.changed.has(why.line))) return;
        const lock = t.lock ?? (t.kind === 'seqlock' ? `${counter}.lock` : `the lock associated with ${counter}`);
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${ev.callee}() reads ${counter}, a ${t.type} (${t.source}), in atomic context (${whyText}${why?.line ? ` at line ${why.line}` : ''}): on PREEMPT_RT a reader that sees a writer in progress takes ${lock}, a sleeping lock.`,
          key: `${counter}:${ev.callee}`,
          introducedLines: why?.line ? [ev.line, why.line] : [ev.line],
          reproduction: repro({
            chain: [whyText, `${fn.name}()`, `${ev.callee}()`, 'seqprop_sequence()', 'spin_lock()', 'rt_spin_lock()'],
            configs: ['CONFIG_PREEMPT_RT', 'CONFIG_DEBUG_ATOMIC_SLEEP'],
            splat: `BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c:48\nin_atomic(): 1, irqs_disabled(): ${ev.ctx.irqsOff ? 1 : 0}, non_block: ${role === 'mmu-notifier-nonblock' ? 1 : 0}, pid: ..., name: ...\nCall Trace:\n  __might_resched\n  rt_spin_lock\n  ${fn.name}`,
            interleaving: interleaving(
              'PREEMPT_RT: seqcount reader takes a sleeping lock in atomic context',
              ['CPU0', 'CPU1'],
              [
                step(1, `write_seqcount_begin(&${counter});`, undefined, undefined, `writer holds ${lock}, sequence odd`),
                step(0, whyText, fn.unit.file, why?.line ?? undefined, 'atomic on PREEMPT_RT'),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, `odd sequence: spin_lock(${lock}) to boost the writer`),
              ],
              'BUG: sleeping function called from invalid context',
            ),
          }),
        });
      },
    };
  },
};
