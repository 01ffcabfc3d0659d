// seqcount-seqbegin-or-lock-never-odd: read_seqbegin_or_lock(lock, &seq) with a marker that can
// never become odd. The helper does a lockless pass while *seq is even and the locking pass only
// when the caller makes it odd before retrying; read_seqbegin_or_lock() itself stores the (even)
// sequence it read. A marker initialised to an even constant and never changed otherwise leaves
// every retry lockless: under write pressure the reader can starve, and the intended exclusive
// second pass never happens (the afs and proc fixes of 2024 set seq = 1 and seq++ per pass).
//
// Approach: for the marker variable of each call, read every assignment to it in the function's
// text (all fragments in hunk mode): only `= <even constant>` assignments -> report, on the
// assignment. A copy from another local (`seq = nextseq`, the two-variable form) is even when
// every assignment of that local is. Anything else (`seq = 1`, `seq++`, `seq |= 1`, `&seq`
// passed elsewhere) counts as making it odd. The patch introduced the problem when it changed the
// call or an assignment, or deleted a line that assigned the marker (a fix's `seq++` reversed).
// In hunk-only review a need_seqretry(lock, seq) with no read_seqbegin_or_lock() in the shown part
// of the function stands for it (the retry path of a `goto restart` loop).
// Blind spots: markers changed through macros or pointers the text does not show; in hunk mode an
// odd-making assignment in a part of the function the patch does not show.

import type { Check, FunctionModel } from '../../engine/types.js';
import { deletedLines } from '../../engine/units.js';
import { fragmentsOf, stripExpr } from '../srcu/srcu-expr.js';
import { callText, interleaving, repro, step } from '../srcu/repro.js';

interface Assign {
  line: number;
  text: string;
  even: boolean;
  /** The patch added this line (in the unit of its own fragment). */
  changed: boolean;
  /** `v = w` with w a plain identifier: even exactly when w is. */
  copyOf?: string;
  /** The fragment (hunk-only) or function the assignment is in. */
  fn: FunctionModel;
}

function assignments(fns: FunctionModel[], v: string): { list: Assign[]; escapes: boolean } {
  const list: Assign[] = [];
  let escapes = false;
  const assignRe = new RegExp(`(?<![\\w>.])(\\+\\+|--)?\\s*${v}\\b\\s*(=(?!=)|\\+=|-=|\\|=|\\^=|&=|\\+\\+|--)?\\s*([^;,)]*)`, 'g');
  const seenRows = new Set<string>();
  for (const fn of fns) {
    const start = fn.node.startPosition.row;
    const rows = fn.node.text.split('\n');
    rows.forEach((row, i) => {
      const key = `${fn.unit.file}:${start + i}`;
      if (seenRows.has(key)) return;
      seenRows.add(key);
      const line = fn.unit.lineMap[start + i] ?? 0;
      const changed = fn.unit.changed.has(line);
      for (const m of row.matchAll(assignRe)) {
        const pre = m[1];
        const op = m[2];
        const before = row.slice(0, m.index);
        if (/&\s*$/.test(before) && !/read_seqbegin_or_lock\w*\s*\([^,]*,\s*&\s*$/.test(before)) escapes = true;
        if (!pre && !op) continue;
        if (pre || op !== '=') {
          list.push({ line, text: row.trim(), even: false, changed, fn });
          continue;
        }
        const val = (m[3] ?? '').trim();
        const n = /^(0x[0-9a-f]+|\d+)[uUlL]*$/i.test(val) ? Number(val.replace(/[uUlL]+$/, '')) : NaN;
        const copyOf = /^[A-Za-z_]\w*$/.test(val) && val !== v ? val : undefined;
        list.push({ line, text: row.trim(), even: Number.isInteger(n) && n % 2 === 0, changed, fn, ...(copyOf ? { copyOf } : {}) });
      }
    });
  }
  return { list, escapes };
}

export const seqbeginOrLockNeverOdd: Check = {
  meta: {
    id: 'seqcount-seqbegin-or-lock-never-odd',
    class: 'seqcount',
    severity: 'warning',
    title: 'read_seqbegin_or_lock() marker never becomes odd',
    help:
      'read_seqbegin_or_lock(lock, &seq) does a lockless read while seq is even and takes the lock ' +
      'exclusively when seq is odd. It writes the even sequence it read into seq, so the caller must ' +
      'make seq odd before the next pass (the usual pattern: `int seq = 1;` and `seq++;` at the top ' +
      'of each pass, or `seq = 1;` before retrying). With `seq = 0` and nothing else, every retry is ' +
      'another lockless pass: readers can starve under writers and the locking fallback is dead code. ' +
      'See Documentation/locking/seqlock.rst (seqlock_t, locking readers) and include/linux/seqlock.h.',
    docs: ['Documentation/locking/seqlock.rst', 'include/linux/seqlock.h'],
  },
  create(ctx) {
    const done = new Set<string>();
    return {
      onEvent(ev, fn) {
        if (ev.kind !== 'call' || !/^(read_seqbegin_or_lock(_irqsave)?|need_seqretry)$/.test(ev.callee)) return;
        const arg = (ev.args[1] ?? '').replace(/\s+/g, '');
        const retry = ev.callee === 'need_seqretry';
        if (!retry && !arg.startsWith('&')) return;
        const v = stripExpr(arg);
        if (!/^[A-Za-z_]\w*$/.test(v) || fn.params.has(v)) return;
        const frags = fragmentsOf(ctx.functions(), fn);
        const parts = frags.length ? frags : [fn];
        // need_seqretry() speaks for the marker only where no read_seqbegin_or_lock() is in sight
        // (a hunk showing just the retry path of a `goto restart` loop).
        if (retry && parts.some((p) => p.events.some((e) => e.kind === 'call' && /^read_seqbegin_or_lock/.test(e.callee)))) return;
        const { list, escapes } = assignments(parts, v);
        if (escapes || !list.length) return;
        // A copy from another local (`seq = nextseq`) is even when that local only ever is.
        const sources = new Map<string, Assign[]>();
        for (const a of list) {
          if (a.even || !a.copyOf || sources.has(a.copyOf) || fn.params.has(a.copyOf)) continue;
          const src = assignments(parts, a.copyOf);
          if (src.escapes || !src.list.length || src.list.some((x) => !x.even)) return;
          sources.set(a.copyOf, src.list);
        }
        if (list.some((a) => !a.even && !(a.copyOf && sources.has(a.copyOf)))) return;
        const all = [...[...sources.values()].flat(), ...list].sort((a, b) => a.line - b.line);
        const init = all.find((a) => a.even)!;
        const names = [v, ...sources.keys()];
        const assignRe = new RegExp(`(?<![\\w>.])(${names.join('|')})\\b\\s*(\\+\\+|--|[-+|^&]?=(?!=))|(\\+\\+|--)\\s*(${names.join('|')})\\b`);
        const deleting = parts.find((p) => deletedLines(p.unit).some((l) => assignRe.test(l)));
        if (!ev.changed && !all.some((a) => a.changed) && !deleting) return;
        const key = `${stripExpr(ev.args[0] ?? '')}:${v}`;
        const through = init.copyOf === undefined && !list.includes(init) ? ` (copied into ${v})` : '';
        if (done.has(`${fn.unit.file}:${fn.name}:${key}`)) return;
        done.add(`${fn.unit.file}:${fn.name}:${key}`);
        const lock = stripExpr(ev.args[0] ?? '');
        // Reported on the even assignment, in the fragment that holds it; a deleted odd-making
        // assignment counts as introduced through the lines the deletion left changed.
        const at = init.line ? init.fn : fn;
        const introduced = [ev.line, ...all.map((a) => a.line).filter((l) => l > 0)];
        if (deleting) introduced.push(...[...deleting.unit.changed].filter((l) => at.unit === deleting.unit && l >= init.line));
        ctx.report({
          unit: at.unit,
          fn: at,
          line: init.line || ev.line,
          message: `${v} is only ever set to an even value (\`${init.text}\`${through}), so ${retry ? `the read_seqbegin_or_lock(&${lock}, &${v}) that need_seqretry() at line ${ev.line} retries` : `read_seqbegin_or_lock(&${lock}, &${v}) at line ${ev.line}`} never takes ${lock}: every retry is another lockless pass. Start with ${v} = 1 and increment it at the top of each pass (or set it odd before retrying).`,
          key,
          introducedLines: introduced,
          reproduction: repro({
            chain: [`${fn.name}()`, `${ev.callee}()`],
            interleaving: interleaving(
              'locking fallback never taken',
              ['CPU0 (reader)', 'CPU1 (writer)'],
              [
                step(0, init.text, fn.unit.file, init.line, `${v} even`),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'even marker: lockless pass'),
                step(1, `write_seqlock(&${lock});`, undefined, undefined, 'a writer runs during the pass'),
                step(0, `need_seqretry(&${lock}, ${v});`, undefined, undefined, `true: retry, but ${v} is still even`),
                step(0, callText(ev.callee, ev.args), fn.unit.file, ev.line, 'lockless again; repeats for as long as writers keep coming'),
              ],
              'the exclusive locking pass never happens; the reader can starve',
            ),
          }),
        });
      },
    };
  },
};
