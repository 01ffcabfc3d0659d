// srcu-free-without-grace-period: an SRCU-protected pointer is unpublished and the old object freed
// straight away, with no grace period in between. A reader that fetched the pointer with
// srcu_dereference() before the unpublish may still be using it (SRCU readers may even sleep):
// use-after-free. The usual fix puts synchronize_srcu() between the two, or frees with call_srcu().
//
// Approach: in one function, an unpublish (rcu_replace_pointer() whose result is the old pointer,
// or rcu_assign_pointer()/RCU_INIT_POINTER() of a field whose old value a local read earlier) is
// followed on the same straight path by a plain free (kfree & co.) of that local, with no
// grace-period wait or deferred free between them. The field counts as SRCU-protected only with
// evidence from the analysed code: the local was read with srcu_dereference*(), or some function
// reads the same field (by class, `desc->label`) with srcu_dereference*(). Plain RCU fields
// (rcu_dereference) are left alone.
// Blind spots: frees through helpers (which may wait themselves), fields whose readers are not in
// the analysed code, list removals (list_del_rcu) whose readers use list_for_each_entry_srcu().

import type { CallEvent, Check, FunctionModel } from '../../engine/types.js';
import { classesOf, FREE_CALL, noJumpBetween, sameObject, stripExpr } from './srcu-expr.js';
import { callText, interleaving, repro, step } from './repro.js';

const REPLACE = /^rcu_replace_pointer(_rcu)?$/;
const ASSIGN = /^(rcu_assign_pointer|RCU_INIT_POINTER)$/;
const DEREF = /^srcu_dereference(_check|_notrace)?$/;
// A grace period or a deferred free between the unpublish and the free (include/linux/srcu.h,
// rcupdate.h): the free is then safe or not this check's business.
const WAIT = /^(synchronize_s?rcu(_expedited)?|call_s?rcu|kfree_rcu\w*|kvfree_rcu\w*|srcu_barrier|rcu_barrier|synchronize_rcu_tasks\w*)$/;

interface Candidate {
  fn: FunctionModel;
  field: string;
  old: string;
  unpublish: CallEvent;
  free: CallEvent;
  srcuOld: CallEvent | null;
}

export const freeWithoutGracePeriod: Check = {
  meta: {
    id: 'srcu-free-without-grace-period',
    class: 'srcu',
    severity: 'error',
    title: 'SRCU-protected object freed without a grace period',
    help:
      'After unpublishing an SRCU-protected pointer (rcu_replace_pointer(), rcu_assign_pointer()), ' +
      'readers that fetched it with srcu_dereference() before the update may still use the old ' +
      'object until they call srcu_read_unlock(); SRCU readers may sleep, so that can be long. ' +
      'Freeing it immediately is a use-after-free. Wait with synchronize_srcu() on the srcu_struct ' +
      'the readers use before the free, or free it from a call_srcu() callback. See ' +
      'Documentation/RCU/whatisRCU.rst and Documentation/RCU/checklist.rst.',
    docs: ['Documentation/RCU/whatisRCU.rst', 'Documentation/RCU/checklist.rst'],
  },
  create(ctx) {
    const derefFields: Array<{ field: string; fn: FunctionModel; ssp: string }> = [];
    const candidates: Candidate[] = [];
    return {
      onFunction(fn) {
        const calls = fn.events.filter((e): e is CallEvent => e.kind === 'call');
        for (const c of calls) if (DEREF.test(c.callee) && c.args[0]) derefFields.push({ field: stripExpr(c.args[0]), fn, ssp: stripExpr(c.args[1] ?? '') });
        calls.forEach((u, i) => {
          let field: string | null = null;
          let old: string | null = null;
          if (REPLACE.test(u.callee) && u.resultUse.kind === 'assign' && u.resultUse.target) {
            field = stripExpr(u.args[0] ?? '');
            old = stripExpr(u.resultUse.target);
          } else if (ASSIGN.test(u.callee)) {
            field = stripExpr(u.args[0] ?? '');
            // The old value: a local read from the same field earlier in the function.
            const read = calls.slice(0, i).reverse().find((c) => c.resultUse.kind === 'assign' && c.args.some((a) => stripExpr(a) === field));
            old = read?.resultUse.target ? stripExpr(read.resultUse.target) : null;
          }
          if (!field || !old || !/^[A-Za-z_]\w*$/.test(old) || fn.params.has(old)) return;
          const rest = calls.slice(i + 1);
          const free = rest.find((c) => FREE_CALL.test(c.callee) && stripExpr(c.args[0] ?? '') === old);
          if (!free) return;
          const between = rest.slice(0, rest.indexOf(free));
          if (between.some((c) => WAIT.test(c.callee) || c.primitive?.op === 'srcu-sync' || c.primitive?.op === 'srcu-call')) return;
          // The free follows the unpublish on the same straight path.
          const from = fn.unit.lineMap.indexOf(u.line);
          const to = fn.unit.lineMap.indexOf(free.line);
          if (from < 0 || to <= from) return;
          if (!noJumpBetween(fn.unit, from, to)) return;
          let touched = false;
          for (let l = u.line; l <= free.line; l++) if (fn.unit.changed.has(l)) touched = true;
          if (!touched) return;
          const srcuOld = calls.slice(0, i).find((c) => DEREF.test(c.callee) && c.resultUse.kind === 'assign' && stripExpr(c.resultUse.target ?? '') === old) ?? null;
          candidates.push({ fn, field, old, unpublish: u, free, srcuOld });
        });
      },
      onEnd() {
        for (const c of candidates) {
          const reader = c.srcuOld
            ? { field: c.field, fn: c.fn, ssp: stripExpr(c.srcuOld.args[1] ?? '') }
            : derefFields.find((d) => sameObject(d.field, d.fn, c.field, c.fn) || classesOf(d.field, d.fn).some((k) => k.includes('->') && classesOf(c.field, c.fn).includes(k)));
          if (!reader) continue;
          const ssp = reader.ssp || 'its srcu_struct';
          ctx.report({
            unit: c.fn.unit,
            fn: c.fn,
            line: c.free.line,
            message: `${c.free.callee}(${c.old}) frees the old value of ${c.field}, unpublished at line ${c.unpublish.line}, with no SRCU grace period in between, but ${c.field} is read with srcu_dereference(..., &${ssp}) in ${reader.fn.name}(): a reader can still hold the old pointer. Call synchronize_srcu(&${ssp}) before the free, or free it with call_srcu().`,
            key: `${c.field}:${c.free.callee}`,
            introducedLines: [c.unpublish.line, c.free.line],
            reproduction: repro({
              chain: [`${c.fn.name}()`, `${c.free.callee}()`],
              configs: ['CONFIG_KASAN', 'CONFIG_PROVE_RCU'],
              interleaving: interleaving(
                'SRCU reader outlives the object',
                ['CPU0', 'CPU1'],
                [
                  step(1, `idx = srcu_read_lock(&${ssp}); p = srcu_dereference(${c.field}, &${ssp});`, undefined, undefined, `${reader.fn.name}(): reader holds the old pointer`),
                  step(0, callText(c.unpublish.callee, c.unpublish.args, c.unpublish.resultUse.kind === 'assign' ? c.unpublish.resultUse.target : undefined), c.fn.unit.file, c.unpublish.line, 'unpublishes the old object'),
                  step(0, callText(c.free.callee, c.free.args), c.fn.unit.file, c.free.line, 'no grace period: frees it while CPU1 reads it'),
                  step(1, '/* uses p */', undefined, undefined, 'use-after-free'),
                ],
                'use-after-free of the old object',
              ),
            }),
          });
        }
      },
    };
  },
};
