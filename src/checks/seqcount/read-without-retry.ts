// seqcount-read-without-retry: a seqcount / seqlock / u64_stats read section that is begun but never
// validated: the sequence from read_seqcount_begin() / read_seqbegin() / u64_stats_fetch_begin()
// is not passed to the matching retry anywhere in the function, returned, or stored for a later
// check. The data read may be torn or half-updated and is used as if consistent.
//
// Approach: whole functions; the sequence variable is followed through the function's text. A
// hunk fragment may hide the retry, so there only a patch that deletes the retry of the same
// counter (and adds none back in any shown part of the function) counts: a retry fix reversed.
// Blind spots: retries in a helper that receives the sequence under another name through a macro.

import type { CallEvent, Check } from '../../engine/types.js';
import { callTarget, fragmentsOf, stripExpr } from '../srcu/srcu-expr.js';
import { deletedLines } from '../../engine/units.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';

const RETRY = /\b(read_seqcount_retry|raw_read_seqcount_retry|__read_seqcount_retry|read_seqretry|u64_stats_fetch_retry|need_seqretry|read_seqcount_latch_retry)\s*\(/;
const BEGIN = /^(read_seqcount_begin|raw_read_seqcount_begin|read_seqbegin|u64_stats_fetch_begin|raw_seqcount_begin|raw_seqcount_try_begin)$/;

export const readWithoutRetry: Check = {
  meta: {
    id: 'seqcount-read-without-retry',
    class: 'seqcount',
    severity: 'warning',
    title: 'seqcount read section without a retry check',
    help:
      'A sequence-counter reader must re-check the sequence after copying the data: ' +
      'do { seq = read_seqcount_begin(&s); ... } while (read_seqcount_retry(&s, seq)); (read_seqretry() ' +
      'for seqlock_t, u64_stats_fetch_retry() for u64_stats). Without the retry a concurrent writer ' +
      'can leave the reader with a torn or half-updated copy. See Documentation/locking/seqlock.rst ' +
      '(read path).',
    docs: ['Documentation/locking/seqlock.rst'],
  },
  create(ctx) {
    return {
      onFunction(fn) {
        const frags = fn.partial ? fragmentsOf(ctx.functions(), fn) : [fn];
        const text = frags.map((f) => f.node.text).join('\n');
        for (const ev of fn.events) {
          if (ev.kind !== 'call' || !BEGIN.test(ev.callee) || !ev.changed) continue;
          if (fn.partial) {
            const counter = callTarget(ev as CallEvent) ?? '';
            const dropped = counter && deletedLines(fn.unit).some((l) => RETRY.test(l) && l.includes(counter));
            if (!dropped) continue;
          }
          const v = ev.callee === 'raw_seqcount_try_begin' ? stripExpr(ev.args[1] ?? '') : ev.resultUse.kind === 'assign' ? stripExpr(ev.resultUse.target ?? '') : '';
          if (!/^[A-Za-z_]\w*$/.test(v) || fn.params.has(v)) continue;
          const counter = callTarget(ev as CallEvent) ?? '';
          const retried = RETRY.test(text);
          if (retried) continue;
          // Returned, stored, or handed to a helper: validated elsewhere.
          const body = text.slice(text.indexOf('{') + 1).replace(ev.node.text, '');
          const use = `(?<![\\w>.])${v}\\b`;
          if (new RegExp(`return[^;]*${use}|(->|\\.|\\*)\\s*\\w*(\\[[^\\]]*\\])?\\s*=\\s*${v}\\b|\\w+\\s*\\([^;{}]*${use}`).test(body)) continue;
          ctx.report({
            unit: fn.unit,
            fn,
            line: ev.line,
            message: `${ev.callee}(${ev.args.join(', ')}) begins a read section of ${counter}, but ${fn.name}() never checks the sequence with the matching retry: the values read may be torn by a concurrent writer.`,
            key: `${counter}:${ev.callee}`,
            reproduction: repro({
              chain: [`${fn.name}()`, `${ev.callee}()`],
              interleaving: interleaving(
                'unvalidated seqcount read',
                ['CPU0 (reader)', 'CPU1 (writer)'],
                [
                  step(0, callText(ev.callee, ev.args, ev.callee === 'raw_seqcount_try_begin' ? undefined : v), fn.unit.file, ev.line),
                  step(0, '/* reads the first half of the data */'),
                  step(1, `write_seqcount_begin(&${counter}); /* update */ write_seqcount_end(&${counter});`),
                  step(0, '/* reads the second half, uses the mix: no retry */'),
                ],
                'the reader uses an inconsistent snapshot',
              ),
            }),
          });
        }
      },
    };
  },
};
