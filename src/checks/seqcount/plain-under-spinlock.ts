// seqcount-plain-under-spinlock: a plain seqcount_t whose writers are serialised by a spinlock_t /
// rwlock_t held at the write side. That is exactly what seqcount_spinlock_t / seqcount_rwlock_t are
// for: lockdep then verifies the lock is held at every write, and on PREEMPT_RT (where spinlock_t
// does not disable preemption) readers that find a writer in progress take the lock instead of
// spinning on a preempted writer. With a plain seqcount_t, PREEMPT_RT readers can livelock.
//
// Approach: write_seqcount_begin() on a counter known (declaration, seqcount_init(), field facts)
// to be a plain seqcount_t while the context holds a spinlock_t/rwlock_t and nothing that stays
// non-preemptible on RT (raw spinlock, explicit preempt_disable/local_irq_disable).
// In hunk-only review the conversion reversed is also found where the writers are not in the
// patch: a hunk that deletes seqcount_LOCKNAME_init(&s, &lock) and adds seqcount_init(&s) drops
// the lock association (reported on the new seqcount_init()).
// Blind spots: counters of unknown type; the lock taken by a caller the engine does not see.

import type { Check } from '../../engine/types.js';
import { callTarget, stripExpr } from '../srcu/srcu-expr.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';
import { counterType, unitsOf } from './counter-type.js';
import { nonPreemptibleOnRT } from './context.js';
import { deletedLines } from '../../engine/units.js';

const LOCKNAME_INIT = /\bseqcount_(spinlock|rwlock|mutex|ww_mutex)_init\s*\(\s*&?\s*([^,]+?)\s*,\s*&?\s*([^)]+?)\s*\)/;

export const plainUnderSpinlock: Check = {
  meta: {
    id: 'seqcount-plain-under-spinlock',
    class: 'seqcount',
    severity: 'warning',
    title: 'seqcount_t serialised by a spinlock should be seqcount_spinlock_t',
    help:
      'A seqcount_t whose writers hold a spinlock_t (or rwlock_t) should be declared with that ' +
      'lock associated: seqcount_spinlock_t / seqcount_rwlock_t, initialised with ' +
      'seqcount_spinlock_init(&s, &lock). Lockdep can then check every writer holds the lock, and on ' +
      'PREEMPT_RT, where spinlock_t is a sleeping lock that leaves preemption enabled, readers that ' +
      'see a write in progress block on the lock instead of spinning on a preempted writer. See ' +
      'Documentation/locking/seqlock.rst (seqcount_LOCKNAME_t) and Documentation/locking/locktypes.rst.',
    docs: ['Documentation/locking/seqlock.rst', 'Documentation/locking/locktypes.rst'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        if (fn.unit.mode !== 'hunk') return;
        const dropped = deletedLines(fn.unit).map((l) => LOCKNAME_INIT.exec(l)).filter((m): m is RegExpExecArray => !!m);
        if (!dropped.length) return;
        for (const ev of fn.events) {
          if (ev.kind !== 'call' || ev.callee !== 'seqcount_init' || !ev.changed) continue;
          const counter = stripExpr(ev.args[0] ?? '');
          const was = dropped.find((m) => stripExpr(m[2]!) === counter);
          if (!counter || !was) continue;
          const lockType = `seqcount_${was[1]}_t`;
          const lock = stripExpr(was[3]!);
          ctx.report({
            unit: fn.unit,
            fn,
            line: ev.line,
            message: `${counter} was a ${lockType} associated with ${lock}; seqcount_init() makes it a plain seqcount_t: lockdep no longer checks that writers hold ${lock}, and on PREEMPT_RT readers spin on a preempted writer instead of waiting on ${lock}. Keep ${lockType}.`,
            key: `${counter}:${lock}:init`,
            reproduction: repro({
              chain: [`${fn.name}()`, 'seqcount_init()'],
              configs: ['CONFIG_PREEMPT_RT'],
              interleaving: interleaving(
                'PREEMPT_RT: reader spins on a preempted writer',
                ['CPU0 (writer task)', 'CPU0 (RT reader task)'],
                [
                  step(0, callText('seqcount_init', ev.args), fn.unit.file, ev.line, `no lock associated any more`),
                  step(0, `${was[1] === 'rwlock' ? 'write_lock' : was[1] === 'spinlock' ? 'spin_lock' : 'mutex_lock'}(&${lock}); write_seqcount_begin(&${counter});`, undefined, undefined, 'sleeping lock on RT: preemption stays enabled; writer preempted'),
                  step(1, `seq = read_seqcount_begin(&${counter});`, undefined, undefined, 'plain seqcount_t: spins, cannot boost the writer'),
                ],
                'the RT reader spins forever; the writer never runs again on this CPU (livelock)',
              ),
            }),
          });
        }
      },
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !/^write_seqcount_begin(_nested)?$/.test(ev.callee)) return;
        if (nonPreemptibleOnRT(ev.ctx)) return;
        const lock = [...fn.callersHold, ...ev.ctx.locks].find((l) => l.kind === 'spinlock' || l.kind === 'rwlock');
        if (!lock) return;
        const counter = callTarget(ev);
        if (!counter) return;
        const t = counterType(ev.callee, counter, fn, unitsOf(ctx.functions()), ctx.kb);
        if (t.kind !== 'plain') return;
        if (!ev.changed && !fn.unit.changed.has(lock.line)) return;
        const lockType = lock.kind === 'rwlock' ? 'seqcount_rwlock_t' : 'seqcount_spinlock_t';
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${counter} is a plain seqcount_t (${t.source}) written under ${lock.via}(&${lock.expr}): declare it ${lockType} associated with ${lock.expr}, so lockdep checks the writers and PREEMPT_RT readers wait on the lock instead of spinning on a preempted writer.`,
          key: `${counter}:${lock.lockClass}`,
          introducedLines: [ev.line, lock.line],
          reproduction: repro({
            chain: [`${fn.name}()`, `${lock.via}()`, `${ev.callee}()`],
            configs: ['CONFIG_PREEMPT_RT'],
            interleaving: interleaving(
              'PREEMPT_RT: reader spins on a preempted writer',
              ['CPU0 (writer task)', 'CPU0 (RT reader task)'],
              [
                step(0, callText(lock.via, [`&${lock.expr}`]), fn.unit.file, lock.line, 'sleeping lock on RT: preemption stays enabled'),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'sequence odd; writer preempted'),
                step(1, `seq = read_seqcount_begin(&${counter});`, undefined, undefined, 'plain seqcount_t: spins, cannot boost the writer'),
              ],
              'the RT reader spins forever; the writer never runs again on this CPU (livelock)',
            ),
          }),
        });
      },
    };
  },
};
