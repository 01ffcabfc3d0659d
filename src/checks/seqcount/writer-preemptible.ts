// seqcount-writer-preemptible: the write side of a plain seqcount_t or a u64_stats_sync (a seqcount_t
// on 32-bit) entered where the writer can be preempted: a mutex / rwsem / semaphore is held, the
// function already slept, or it runs as a threaded IRQ handler, and nothing disables preemption,
// IRQs or BH. A reader that preempts the writer on the same CPU spins on the odd count until the
// writer runs again; an RT-priority reader spins forever.
//
// Approach: positive evidence of preemptible context only (a plain function with no visible
// context is silent: most writers run under a caller's spinlock or in softirq). In hunk-only
// review a threaded handler is known from a request_threaded_irq() in another hunk of the file or
// from its name (irqreturn_t foo_thread_fn()); a writer the patch leaves unchanged counts when the
// hunk deletes its protection, and a deleted preempt_disable() around a counter of unknown type
// says it is a plain seqcount_t. seqcount_LOCKNAME_t
// writers are left alone: their write API disables preemption for non-spinning lock types. raw_
// writers are left alone: they exist for readers that never spin (raw_seqcount_try_begin users).
// Blind spots: preemptible callers that the engine does not see; writers of unknown counter type.

import type { Check } from '../../engine/types.js';
import { callTarget } from '../srcu/srcu-expr.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';
import { counterType, unitsOf } from './counter-type.js';
import { earlierSleep, nonPreemptible, removedProtection, rolesOf, sleepingLocksHeld, threadedByName } from './context.js';

const WRITERS = /^(write_seqcount_begin|write_seqcount_begin_nested|u64_stats_update_begin)$/;

export const writerPreemptible: Check = {
  meta: {
    id: 'seqcount-writer-preemptible',
    class: 'seqcount',
    severity: 'warning',
    title: 'seqcount_t / u64_stats writer in preemptible context',
    help:
      'The write side of a plain seqcount_t must not be preempted: a reader that runs on the same CPU ' +
      'sees the odd count and spins until the writer is scheduled again, forever if the reader has RT ' +
      'priority. u64_stats_sync is a plain seqcount_t on 32-bit kernels, so u64_stats_update_begin() ' +
      'has the same rule. Disable preemption around the write side (u64_stats_update_begin_irqsave(), ' +
      'preempt_disable(), a spinlock) or use a seqcount_LOCKNAME_t / seqlock_t. See ' +
      'Documentation/locking/seqlock.rst and include/linux/u64_stats_sync.h (usage constraint 2).',
    docs: ['Documentation/locking/seqlock.rst', 'include/linux/u64_stats_sync.h'],
  },
  create(ctx) {
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !WRITERS.test(ev.callee) || ev.primitive?.op !== 'seq-write-begin') return;
        if (nonPreemptible(ev.ctx, fn)) return;
        const counter = callTarget(ev);
        if (!counter) return;
        let t = counterType(ev.callee, counter, fn, unitsOf(ctx.functions()), ctx.kb);
        // A counter of unknown type whose write side the patch stripped of preempt_disable(): only a
        // plain seqcount_t needs that by hand (seqcount_LOCKNAME_t writers disable preemption themselves).
        const removed = removedProtection(fn, counter);
        if (t.kind === 'unknown' && removed && /\b(preempt_disable|local_irq_save|local_irq_disable)\s*\(/.test(removed))
          t = { kind: 'plain', type: 'seqcount_t', lock: null, source: `its write side had ${removed.replace(/;$/, '')}, which only a plain seqcount_t needs` };
        if (t.kind !== 'plain' && t.kind !== 'u64_stats') return;
        const locks = sleepingLocksHeld(ev, fn);
        const slept = earlierSleep(ev, fn);
        const roles = rolesOf(fn, ctx.functions());
        const threaded = roles.includes('threaded-irq') || (threadedByName(fn) && !roles.includes('hardirq'));
        let why: string;
        let first: { action: string; line?: number };
        if (locks.length) {
          const l = locks[0]!;
          why = `${l.expr} (a ${l.kind}) is held, so the writer is preemptible`;
          first = { action: `${l.via.replace(/ .*/, '')}(&${l.expr});`, line: l.line || undefined };
        } else if (slept) {
          why = `${slept.callee}() at line ${slept.line} may sleep, so this context is preemptible`;
          first = { action: callText(slept.callee, slept.args), line: slept.line };
        } else if (threaded) {
          why = `${fn.name}() runs as a threaded IRQ handler, in preemptible task context`;
          first = { action: `/* ${fn.name}(): irq thread */` };
        } else return;
        // Introduced: the writer or what makes it preemptible is new, or the patch deleted the
        // preempt_disable() / _irqsave that protected it (a fix reversed).
        if (!ev.changed && !(first.line && fn.unit.changed.has(first.line)) && !removed) return;
        const end = ev.callee.startsWith('u64_stats') ? 'u64_stats_update_end' : 'write_seqcount_end';
        const fix = ev.callee.startsWith('u64_stats') ? 'u64_stats_update_begin_irqsave()' : 'preempt_disable() around the write side (or a seqcount_LOCKNAME_t)';
        ctx.report({
          unit: fn.unit,
          fn,
          line: ev.line,
          message: `${ev.callee}(${ev.args.join(', ')}) starts a ${t.type} write section in preemptible context: ${why}. A reader preempting the writer on this CPU spins on the odd count; use ${fix}.`,
          key: `${counter}:${ev.callee}`,
          introducedLines: [ev.line, ...(first.line ? [first.line] : []), ...(removed ? fn.unit.changed : [])],
          reproduction: repro({
            chain: [`${fn.name}()`, `${ev.callee}()`],
            configs: ['CONFIG_PREEMPTION', '32-bit SMP (u64_stats_sync is a seqcount_t)', 'CONFIG_DEBUG_LOCK_ALLOC'],
            interleaving: interleaving(
              'preempted seqcount writer',
              ['CPU0 (writer task)', 'CPU0 (reader task, preempts the writer)'],
              [
                step(0, first.action, fn.unit.file, first.line, 'preemptible context'),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'sequence is now odd'),
                step(1, ev.callee.startsWith('u64_stats') ? `start = u64_stats_fetch_begin(&${counter});` : `seq = read_seqcount_begin(&${counter});`, undefined, undefined, 'sees an odd count and spins'),
                step(1, '/* spins until CPU0 (writer) is scheduled again */'),
                step(0, `${end}(&${counter});`, undefined, undefined, 'only after the reader is preempted in turn'),
              ],
              'the reader livelocks for a tick, forever if it has RT priority',
            ),
          }),
        });
      },
    };
  },
};
