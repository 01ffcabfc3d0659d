// srcu-sync-before-free: the unpublish / synchronize_srcu() / kfree() sequence in a function that is
// not a teardown path: the caller blocks for a whole SRCU grace period only so that the old copy can
// be freed. call_srcu() with an rcu_head in the object (or a deferred free) gives the same safety
// without the wait; the gpiolib label fix of 2024 is this shape (every GPIO request waited).
//
// Approach: in one function, a pointer is replaced or unpublished (rcu_replace_pointer,
// rcu_assign_pointer, xchg, list_del_rcu ...) before synchronize_srcu*(S), and right after the wait
// a plain free of a local (kfree & co.) is the only use. Teardown functions (release, destroy, free,
// exit, cleanup, remove, unregister) are cold and stay silent, as do waits that free through a
// helper (the helper may need to sleep or do more than free).
// Severity info: a latency review note, not a correctness bug.
// A patch that only inserts the wait between an unpublish and a free it leaves as they were is the
// fix of a use-after-free and stays silent.
// Blind spots: how often the function really runs is unknown; frees through helpers.

import type { CallEvent, Check } from '../../engine/types.js';
import { callTarget, FREE_CALL, noJumpBetween, stripExpr, TEARDOWN_NAME } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

// Unpublishing a pointer (include/linux/rcupdate.h, rculist.h) and plain frees (include/linux/slab.h).
const UNPUBLISH = /^(rcu_replace_pointer|rcu_assign_pointer|RCU_INIT_POINTER|xchg|list_del_rcu|hlist_del_rcu|hlist_del_init_rcu|list_replace_rcu|hlist_replace_rcu)$/;
// Teardown names, and the *_put() that drops the last reference.
const isTeardown = (name: string): boolean => TEARDOWN_NAME.test(name) || /put/i.test(name);

export const syncBeforeFree: Check = {
  meta: {
    id: 'srcu-sync-before-free',
    class: 'srcu',
    severity: 'info',
    title: 'synchronize_srcu() only to free the old copy',
    help:
      'Replacing an SRCU-protected pointer and then calling synchronize_srcu() before kfree() of the ' +
      'old object makes every caller wait a full grace period. When the function runs per request ' +
      '(setting a label, registering a device, updating a table) that latency adds up. Embed an ' +
      'rcu_head in the object and free it from a call_srcu() callback instead, and make sure the ' +
      'srcu_struct teardown calls srcu_barrier(). See Documentation/RCU/whatisRCU.rst (call_srcu) and ' +
      'Documentation/RCU/checklist.rst.',
    docs: ['Documentation/RCU/whatisRCU.rst', 'Documentation/RCU/checklist.rst'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        if (isTeardown(fn.name)) return;
        const calls = fn.events.filter((e): e is CallEvent => e.kind === 'call');
        calls.forEach((ev, i) => {
          if (ev.primitive?.op !== 'srcu-sync' || ev.loops.length || ev.ctx.atomic.length || ev.ctx.srcu.length) return;
          const ssp = callTarget(ev);
          const pub = calls.slice(0, i).reverse().find((c) => UNPUBLISH.test(c.callee));
          const next = calls[i + 1];
          if (!ssp || !pub || !next || !FREE_CALL.test(next.callee)) return;
          // The free must follow the wait on the same path: no label, goto or return in between.
          const from = fn.unit.lineMap.indexOf(ev.line);
          const to = fn.unit.lineMap.indexOf(next.line);
          if (from < 0 || to < from || !noJumpBetween(fn.unit, from, to)) return;
          const freed = stripExpr(next.args[0] ?? '');
          if (!/^[A-Za-z_]\w*$/.test(freed) || fn.params.has(freed)) return;
          if (!ev.changed && !next.changed && !pub.changed) return;
          // A patch that only inserts the wait between an unpublish and a free it does not touch
          // is fixing a use-after-free (srcu-free-without-grace-period), not adding latency.
          if (ev.changed && !next.changed && !pub.changed && !fn.unit.changed.has(next.line)) return;
          ctx.report({
            unit: fn.unit,
            fn,
            line: ev.line,
            message: `${fn.name}() waits for a full ${ssp} grace period only to ${next.callee}(${freed}); use call_srcu() to free the old copy after the grace period without blocking the caller.`,
            key: `${ssp}:${next.callee}`,
            introducedLines: [ev.line, pub.line, next.line],
            reproduction: repro({
              chain: [`${fn.name}()`, `${ev.callee}()`],
              interleaving: interleaving(
                'caller blocked for a grace period',
                ['CPU0', 'CPU1'],
                [
                  step(1, `idx = srcu_read_lock(&${ssp});`, undefined, undefined, 'a reader of the old copy (may sleep)'),
                  step(0, callText(pub.callee, pub.args, pub.resultUse.kind === 'assign' ? pub.resultUse.target : undefined), fn.unit.file, pub.line),
                  step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'blocks until CPU1 leaves its read side'),
                  step(1, `srcu_read_unlock(&${ssp}, idx);`),
                  step(0, callText(next.callee, next.args), fn.unit.file, next.line),
                ],
                `every call of ${fn.name}() pays a grace period`,
              ),
            }),
          });
        });
      },
    };
  },
};
