// Embedded LKMM checker: decides herd7 C-dialect litmus tests under the Linux-kernel memory model
// of Linux 6.12 (tools/memory-model), without herd7. Used by `lockreview litmus` and to put a
// verdict on every ordering finding's generated litmus test (attachVerdicts).
//
// ACCEPTED SUBSET (for check authors generating tests; stay inside it and herd7 7.57 accepts the
// same text with the same verdict):
//   C <name>                      first line; the name may contain + - . etc.
//   "doc"                         optional doc string
//   { x = 1; int y; int *p = &x; p = x; atomic_t v = ATOMIC_INIT(1); 0:r1 = 2; }
//   P0(int *x, atomic_t *v, spinlock_t *s, int **p) { ... }   threads P0..Pn, numbered from 0;
//       every parameter is a pointer to the shared location of the same name.
//   Statements: `int r0;` `int r0 = e;` `r0 = e;` `*x = e;` (plain write), `e;`,
//       `if (e) S else S`, `{ ... }`. No loops, goto, return, switch, ?:, ++, +=, arrays, structs.
//   Expressions: integers, registers, parameters, `*p` (plain read), + - * / % & | ^ << >>,
//       == != < > <= >= && || ! ~, (void)e, casts. No `&x` inside threads (x already is &x).
//   Primitives (exactly Linux 6.12's linux-kernel.def, nothing else):
//       READ_ONCE(*x) WRITE_ONCE(*x, v) smp_load_acquire(x) smp_store_release(x, v)
//       rcu_dereference(*p) rcu_assign_pointer(*p, v) smp_store_mb(*x, v)
//       smp_mb() smp_rmb() smp_wmb() barrier() smp_mb__before_atomic() smp_mb__after_atomic()
//       smp_mb__after_spinlock() smp_mb__after_unlock_lock()
//       rcu_read_lock() rcu_read_unlock() synchronize_rcu() synchronize_rcu_expedited()
//       xchg(x, v) cmpxchg(x, old, new) atomic_xchg(v, i) atomic_cmpxchg(v, old, new), each also
//         _relaxed/_acquire/_release; no suffix = fully ordered; a FAILED cmpxchg is an unordered read
//       atomic_read(v) atomic_set(v, i) atomic_read_acquire(v) atomic_set_release(v, i)
//       atomic_add(i, v) atomic_sub(i, v) atomic_inc(v) atomic_dec(v)   (no return value, unordered)
//       atomic_{add,sub,inc,dec}_return{,_relaxed,_acquire,_release}(...)
//       atomic_fetch_{add,sub,inc,dec}{,_relaxed,_acquire,_release}(...)
//       atomic_sub_and_test atomic_dec_and_test atomic_inc_and_test atomic_add_negative
//       atomic_add_unless(v, a, u)
//       spin_lock(s) spin_unlock(s) spin_trylock(s) spin_is_locked(s)   (s: a spinlock_t parameter,
//         touched by nothing but these four)
//   Final part: `locations [x; 0:r1]`, `filter P`, then `exists P`, `~exists P` or `forall P`,
//       P built from `0:r0=1`, `x=2`, `0:r0=x` (an address), /\ \/ ~ and parentheses.
//   Comments: outside thread bodies `(* ... *)` (nesting); inside a body `//` or `/* */` only,
//       because herd7 reads bodies as C (so `READ_ONCE(*x)` is not a comment there).
// SPELLING RULES FOR GENERATED TESTS (herd7 rejects anything else):
//   - `lock`, `unlock` (and herd keywords: exists, forall, filter, locations, let, rec, in, and)
//     are reserved: never use them as location or register names.
//   - Registers are r0, r1, ... declared at the top of their thread; read them in the condition as
//     `1:r0`. A register never assigned on a path keeps 0.
//   - Kernel helpers outside the list must be translated (one bit per location, 0 free / 1 held):
//       test_and_set_bit_lock(nr, w)   ->  r0 = xchg_acquire(w, 1);   taken when r0 == 0
//       test_and_set_bit(nr, w)        ->  r0 = xchg(w, 1);
//       test_and_clear_bit(nr, w)      ->  r0 = xchg(w, 0);
//       clear_bit_unlock / __clear_bit_unlock(nr, w) -> smp_store_release(w, 0);
//       clear_bit(nr, w) / set_bit     ->  WRITE_ONCE(*w, 0) / WRITE_ONCE(*w, 1)  (atomic, unordered)
//       __clear_bit / plain `*w &= ~m` ->  *w = 0;  (a plain write: may raise Flag data-race)
//       try_cmpxchg(p, &old, new)      ->  r0 = cmpxchg(p, old, new); if (r0 == old) { ... }
//       atomic_try_cmpxchg{,_acquire,..}-> r0 = atomic_cmpxchg{,_acquire,..}(v, old, new); if (r0 == old)
//       smp_cond_load_acquire(p, c)    ->  r0 = smp_load_acquire(p); if (c on r0) { ... }
//       atomic_long_* / raw_spin_* / spin_lock_irqsave(s, f) -> atomic_* / spin_lock(s)
//       a retry loop                   ->  one attempt and `if (acquired) { ... }`, or a `filter`
//   - The `exists` clause names the BAD outcome: Observation Never is the model's proof that the
//     code is fine (attachVerdicts then drops the finding).
// Anything outside the subset is an UnsupportedError "unsupported: <construct> (file:line)";
// syntax errors are InputErrors naming file:line. Never a guessed verdict.
import { InputError, UnsupportedError } from '../errors.js';
import type { Finding } from '../model/index.js';
import { decide, DEFAULT_LIMITS, type Decision, type Limits } from './decide.js';
import { formatHerd } from './format.js';
import { parseLitmus } from './parser.js';

export type { Decision, Limits } from './decide.js';
export { formatHerd } from './format.js';
export { parseLitmus } from './parser.js';

export const MODEL_NAME = 'lockreview-lkmm (Linux 6.12 model)';

/** Parses and decides one litmus test. Throws InputError (syntax) or UnsupportedError. */
export function decideLitmus(text: string, name = '<litmus>', limits: Limits = DEFAULT_LIMITS): Decision {
  return decide(parseLitmus(text, name), limits);
}

/** herd7-layout report for one test's text. */
export function litmusReport(text: string, name: string): string {
  return formatHerd(decideLitmus(text, name));
}

/** Decide every finding's litmus test; drop findings whose bad outcome the model forbids. */
export function attachVerdicts(findings: Finding[], notes: string[]): Finding[] {
  const kept: Finding[] = [];
  for (const f of findings) {
    const text = f.reproduction?.litmus;
    if (!text) {
      kept.push(f);
      continue;
    }
    const where = `${f.ruleId} at ${f.file}:${f.line}`;
    try {
      const d = decideLitmus(text, `${f.ruleId}.litmus`);
      if (d.observation === 'Never') {
        notes.push(`lkmm: dropped ${where}: the model forbids the bad outcome (Observation ${d.name} Never 0 ${d.negative})`);
        continue;
      }
      kept.push({
        ...f,
        reproduction: {
          ...f.reproduction,
          verdict: { observation: d.observation, positive: d.positive, negative: d.negative, dataRace: d.dataRace, model: MODEL_NAME },
        },
      });
    } catch (e) {
      if (!(e instanceof UnsupportedError) && !(e instanceof InputError)) throw e;
      const reason = e instanceof InputError ? `litmus test does not parse: ${e.toString()}` : e.message;
      notes.push(`lkmm: no verdict for ${where}: ${reason}`);
      kept.push({ ...f, reproduction: { ...f.reproduction, verdict: null } });
    }
  }
  return kept;
}
