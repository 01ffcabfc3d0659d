// Reproductions of bitlock ordering findings: an LKMM litmus test in herd7's C dialect, built from
// the patch's own lock word, data and primitives, plus the same scenario as a CPU0/CPU1
// interleaving. herd7 knows neither try_cmpxchg, the *_bit_lock/unlock helpers nor loops, so the
// lock bit is modelled as the whole word (0 free, 1 held) and every acquisition as a single
// attempt followed by `if (r0 == 0)` (acquired):
//   test_and_set_bit*/xchg*/fetch_or* -> xchg{,_acquire,_relaxed}(w, 1)
//   cmpxchg*/try_cmpxchg*              -> cmpxchg{,_acquire,_relaxed}(w, 0, 1)
//   clear_bit_unlock/ *_set_release    -> smp_store_release(w, 0)
//   clear_bit/atomic_set/local_set/WRITE_ONCE -> WRITE_ONCE(*w, 0); plain store -> *w = 0
// The `exists` clause names the bad outcome; correct code yields a test whose outcome is Never.
import type { Interleaving, Reproduction } from '../../model/index.js';
import type { CallEvent, FunctionModel, Ordering } from '../../engine/types.js';
import { rmwFlavour, type WordSite } from './lock-word.js';

const RESERVED = new Set(['lock', 'unlock', 'data', 'filter', 'exists', 'forall', 'locations', 'let', 'rec', 'in', 'and', 'if', 'else', 'while', 'int', 'P0', 'P1']);

/** A herd7-safe variable name from a C expression: `rmap_head->val` -> `val`. */
export function herdName(expr: string, fallback: string, avoid: string[] = []): string {
  const m = /([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*$/.exec(expr.replace(/\)+$/, ''));
  let n = m ? m[1]! : fallback;
  if (RESERVED.has(n) || /^r\d+$/.test(n) || n.length > 24) n = fallback;
  while (avoid.includes(n)) n = `${n}_2`;
  return n;
}

const suffix = (o: Ordering) => (o === 'full' ? '' : o === 'acquire' ? '_acquire' : o === 'release' ? '_release' : '_relaxed');

/** herd7 statement for an acquisition attempt into r0. */
export function herdAcquire(site: WordSite | null, w: string): { stmt: string; note: string } {
  if (!site || !site.primitive) return { stmt: `r0 = cmpxchg_acquire(${w}, 0, 1);`, note: 'a correct ACQUIRE lock attempt' };
  const flav = rmwFlavour(site.primitive.name);
  const o = site.ordering;
  if (flav === 'cmpxchg' || flav === 'try_cmpxchg') return { stmt: `r0 = cmpxchg${suffix(o)}(${w}, 0, 1);`, note: site.text };
  return { stmt: `r0 = xchg${suffix(o)}(${w}, 1);`, note: site.text };
}

/** herd7 statements for a release (with the fence the code put right before it, if any). */
export function herdRelease(site: WordSite | null, w: string, fence: CallEvent | null): string[] {
  const out: string[] = [];
  if (fence) out.push(`${fence.primitive?.name === 'smp_wmb' ? 'smp_wmb' : fence.primitive?.name === 'smp_rmb' ? 'smp_rmb' : 'smp_mb'}();`);
  if (!site) {
    out.push(`smp_store_release(${w}, 0);`);
    return out;
  }
  const o = site.ordering;
  if (o === 'release') out.push(`smp_store_release(${w}, 0);`);
  else if (o === 'full' && site.primitive?.op === 'rmw') out.push(`r9 = xchg(${w}, 0);`);
  else if (site.ev.kind === 'store') out.push(`*${w} = 0;`);
  else out.push(`WRITE_ONCE(*${w}, 0);`);
  return out;
}

export interface LitmusSpec {
  name: string;
  comment: string[];
  init: Record<string, number>;
  p0: string[];
  p0regs: string[];
  p1: string[];
  p1regs: string[];
  vars: string[];
  exists: string;
}

export function renderLitmus(s: LitmusSpec): string {
  const params = s.vars.map((v) => `int *${v}`).join(', ');
  const body = (lines: string[], regs: string[]) => [...regs.map((r) => `\tint ${r};`), ...(regs.length ? [''] : []), ...lines.map((l) => `\t${l}`)].join('\n');
  const init = Object.entries(s.init).map(([k, v]) => `\t${k} = ${v};`);
  return [
    `C ${s.name}`,
    '',
    '(*',
    ...s.comment.map((c) => ` * ${c.replace(/\(\*|\*\)/g, '')}`),
    ' *)',
    '',
    '{',
    ...init,
    '}',
    '',
    `P0(${params})`,
    '{',
    body(s.p0, s.p0regs),
    '}',
    '',
    `P1(${params})`,
    '{',
    body(s.p1, s.p1regs),
    '}',
    '',
    `exists (${s.exists})`,
    '',
  ].join('\n');
}

export function litmusName(rule: string, fn: FunctionModel | null): string {
  return `lockreview-${rule.replace(/^bitlock-/, '')}-${(fn?.name ?? 'fragment').replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export function interleaving(title: string, steps: Interleaving['steps'], outcome: string): Interleaving {
  return { title, cpus: ['CPU0', 'CPU1'], steps, outcome };
}

export function repro(litmus: string, il: Interleaving): Partial<Reproduction> {
  return { litmus, interleaving: il };
}
