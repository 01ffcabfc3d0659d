// The embedded LKMM checker on tests written for it: the dialect's syntax (comments, init forms,
// conditions), the documented herd7 outputs of tools/memory-model/Documentation/litmus-tests.txt,
// errors (syntax -> InputError with file:line, outside the subset -> UnsupportedError), the
// state-explosion bound, and attachVerdicts on findings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachVerdicts, decideLitmus, formatHerd, MODEL_NAME } from '../../src/litmus/index.js';
import { InputError, UnsupportedError } from '../../src/errors.js';
import type { Finding } from '../../src/model/index.js';

// From litmus-tests.txt: lock emulated with xchg_acquire()/smp_store_release(), failed attempts
// discarded by a filter clause. herd7: States 2, Never 0 2.
const SB_XCHG_LOCK = `C C-SB+l-o-o-u+l-o-o-u

{
}

P0(int *sl, int *x0, int *x1)
{
  int r2;
  int r1;

  r2 = xchg_acquire(sl, 1);
  WRITE_ONCE(*x0, 1);
  r1 = READ_ONCE(*x1);
  smp_store_release(sl, 0);
}

P1(int *sl, int *x0, int *x1)
{
  int r2;
  int r1;

  r2 = xchg_acquire(sl, 1);
  WRITE_ONCE(*x1, 1);
  r1 = READ_ONCE(*x0);
  smp_store_release(sl, 0);
}

filter (0:r2=0 /\\ 1:r2=0)
exists (0:r1=0 /\\ 1:r1=0)
`;

test('documented filter example: only the final register values are filtered (Never 0 2, two states)', () => {
  const d = decideLitmus(SB_XCHG_LOCK, 'sb.litmus');
  assert.equal(d.observation, 'Never');
  assert.deepEqual([d.positive, d.negative], [0, 2]);
  assert.deepEqual(d.states, ['0:r1=0; 1:r1=1;', '0:r1=1; 1:r1=0;']);
  assert.equal(d.ok, false);
});

test('documented filter example with an early mismatch: Always 2 0, one state, a global shown as [x1]', () => {
  const text = SB_XCHG_LOCK.replace('{\n}', '{\n  x2=1;\n}')
    .replace('P1(int *sl, int *x0, int *x1)', 'P1(int *sl, int *x0, int *x1, int *x2)')
    .replace('  r2 = xchg_acquire(sl, 1);\n  WRITE_ONCE(*x1, 1);', '  r2 = READ_ONCE(*x2);\n  if (r2)\n    r2 = xchg_acquire(sl, 1);\n  WRITE_ONCE(*x1, 1);')
    .replace('exists (0:r1=0 /\\ 1:r1=0)', 'exists (x1=1)');
  const d = decideLitmus(text, 'sbx.litmus');
  assert.equal(d.observation, 'Always');
  assert.deepEqual([d.positive, d.negative], [2, 0]);
  assert.deepEqual(d.states, ['[x1]=1;']);
});

const MP = (writer: string, reader: string, cond = 'exists (1:r0=1 /\\ 1:r1=0)') => `C MP-test
(* a (* nested *) comment before the init block *)
{ x = 0; int y; }

P0(int *x, int *y)
{
  WRITE_ONCE(*x, 1); // C comments are fine inside a thread
  ${writer}
}

P1(int *x, int *y)
{
  int r0;
  int r1;

  ${reader}
  r1 = READ_ONCE(*x); /* also this kind */
}

${cond} (* trailing comment *)
`;

test('message passing: release/acquire forbids, plain ONCE allows, herd7 layout', () => {
  const ordered = decideLitmus(MP('smp_store_release(y, 1);', 'r0 = smp_load_acquire(y);'), 'mp.litmus');
  assert.equal(ordered.observation, 'Never');
  assert.deepEqual([ordered.positive, ordered.negative], [0, 3]);
  const loose = decideLitmus(MP('WRITE_ONCE(*y, 1);', 'r0 = READ_ONCE(*y);'), 'mp.litmus');
  assert.equal(loose.observation, 'Sometimes');
  assert.deepEqual([loose.positive, loose.negative], [1, 3]);
  const out = formatHerd(loose).split('\n');
  assert.equal(out[0], 'Test MP-test Allowed');
  assert.equal(out[1], 'States 4');
  assert.ok(out.includes('Ok'));
  assert.ok(out.includes('Positive: 1 Negative: 3'));
  assert.ok(out.includes('Condition exists (1:r0=1 /\\ 1:r1=0)'));
  assert.ok(out.includes('Observation MP-test Sometimes 1 3'));
});

test('~exists and forall: Ok follows the quantifier, Observation counts the proposition', () => {
  const never = decideLitmus(MP('smp_store_release(y, 1);', 'r0 = smp_load_acquire(y);', '~exists (1:r0=1 /\\ 1:r1=0)'), 'mp.litmus');
  assert.equal(never.ok, true);
  assert.equal(never.observation, 'Never');
  assert.match(formatHerd(never), /^Test MP-test Forbidden$/m);
  const all = decideLitmus(MP('smp_store_release(y, 1);', 'r0 = smp_load_acquire(y);', 'forall (1:r0=0 \\/ 1:r1=1)'), 'mp.litmus');
  assert.equal(all.ok, true);
  assert.equal(all.observation, 'Always');
});

test('plain accesses racing raise the data-race flag; marked ones do not', () => {
  const racy = decideLitmus(MP('*y = 1;', 'r0 = *y;'), 'mp.litmus');
  assert.equal(racy.dataRace, true);
  assert.match(formatHerd(racy), /^Flag data-race$/m);
  const marked = decideLitmus(MP('WRITE_ONCE(*y, 1);', 'r0 = READ_ONCE(*y);'), 'mp.litmus');
  assert.equal(marked.dataRace, false);
  assert.deepEqual(marked.flags, []);
});

test('a plain write and a marked access to one location with no barrier between raise mixed-accesses', () => {
  const mixed = (between: string) => `C mixed
{}
P0(int *x)
{
  int r0;
  *x = 1;
  ${between}
  r0 = READ_ONCE(*x);
}
exists (0:r0=1)
`;
  const d = decideLitmus(mixed(''), 'mixed.litmus');
  assert.deepEqual(d.flags, ['mixed-accesses']);
  assert.match(formatHerd(d), /^Flag mixed-accesses$/m);
  assert.deepEqual(decideLitmus(mixed('barrier();'), 'mixed.litmus').flags, []);
});

test('a control dependency orders the store inside the if arm (LB forbidden), not a store after it', () => {
  const lb = (p0: string) => `C LB-ctrl
{}
P0(int *x, int *y)
{
  int r0;
  r0 = READ_ONCE(*x);
  ${p0}
}
P1(int *x, int *y)
{
  int r1;
  r1 = READ_ONCE(*y);
  smp_mb();
  WRITE_ONCE(*x, 1);
}
exists (0:r0=1 /\\ 1:r1=1)
`;
  assert.equal(decideLitmus(lb('if (r0) WRITE_ONCE(*y, 1);'), 'lb.litmus').observation, 'Never');
  assert.equal(decideLitmus(lb('if (r0 == 5) { r0 = 1; }\n  WRITE_ONCE(*y, 1);'), 'lb.litmus').observation, 'Sometimes');
});

test('spinlocks: critical sections are ordered; a trylock may fail; nested locking deadlocks (0 executions)', () => {
  const lockMp = `C spin-MP
{}
P0(spinlock_t *s, int *x, int *y)
{
  spin_lock(s);
  WRITE_ONCE(*x, 1);
  WRITE_ONCE(*y, 1);
  spin_unlock(s);
}
P1(spinlock_t *s, int *x, int *y)
{
  int r0; int r1; int r2;
  r2 = spin_trylock(s);
  if (r2) {
    r0 = READ_ONCE(*y);
    r1 = READ_ONCE(*x);
    spin_unlock(s);
  }
}
exists (1:r2=1 /\\ 1:r0=1 /\\ 1:r1=0)
`;
  const d = decideLitmus(lockMp, 'spin.litmus');
  assert.equal(d.observation, 'Never');
  assert.ok(d.states.some((s) => s.includes('1:r2=0;')), 'the failed trylock is one of the outcomes');
  const nested = `C nested
{}
P0(spinlock_t *s, int *x)
{
  spin_lock(s);
  spin_lock(s);
  WRITE_ONCE(*x, 1);
}
exists (x=1)
`;
  const n = decideLitmus(nested, 'nested.litmus');
  assert.deepEqual([n.observation, n.positive, n.negative, n.states.length], ['Never', 0, 0, 0]);
});

test('a failed cmpxchg is an unordered read; atomic RMWs compute values', () => {
  const text = `C atomics
{ atomic_t v = ATOMIC_INIT(1); int *p = &v; }
P0(atomic_t *v)
{
  int r0; int r1; int r2;
  r0 = atomic_fetch_add(2, v);
  r1 = atomic_inc_return_relaxed(v);
  r2 = atomic_cmpxchg(v, 7, 0);
}
exists (0:r0=1 /\\ 0:r1=4 /\\ 0:r2=4 /\\ v=4)
`;
  const d = decideLitmus(text, 'atomics.litmus');
  assert.equal(d.observation, 'Always');
  assert.deepEqual(d.states, ['0:r0=1; 0:r1=4; 0:r2=4; [v]=4;']);
});

test('syntax errors are InputErrors naming file and line', () => {
  const bad = 'C bad\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, 1)\n}\nexists (x=1)\n';
  assert.throws(
    () => decideLitmus(bad, 'bad.litmus'),
    (e: unknown) => e instanceof InputError && e.toString().startsWith('bad.litmus:6:'),
  );
  assert.throws(() => decideLitmus('C x\n{}\nP0(int *x) { }\n', 'nocond.litmus'), (e: unknown) => e instanceof InputError && /missing final condition/.test(e.message));
  assert.throws(() => decideLitmus('C x\n(* unterminated\n{}\n', 'c.litmus'), (e: unknown) => e instanceof InputError && e.toString() === 'c.litmus:2: unterminated (* comment');
  // herd7 reserves `lock` and `unlock`: a generated test using them would not run there.
  assert.throws(
    () => decideLitmus('C r\n{}\nP0(int *lock)\n{\n  WRITE_ONCE(*lock, 1);\n}\nexists (lock=1)\n', 'r.litmus'),
    (e: unknown) => e instanceof InputError && e.toString() === "r.litmus:3: 'lock' is a reserved word in herd7's C dialect; rename it",
  );
});

test('constructs outside the subset are UnsupportedErrors naming the construct and line, never a verdict', () => {
  const wrap = (body: string) => `C u\n{}\nP0(int *x, int *y)\n{\n  int r0;\n  ${body}\n}\nexists (x=1)\n`;
  const cases: [string, RegExp][] = [
    ['test_and_set_bit_lock(0, x);', /unsupported: primitive 'test_and_set_bit_lock'.*u\.litmus:6/],
    ['while (READ_ONCE(*x)) r0 = 1;', /unsupported: 'while' statement/],
    ['r0 = try_cmpxchg(x, &r0, 1);', /unsupported: primitive 'try_cmpxchg'/],
    ['r0 = srcu_read_lock(x);', /unsupported: primitive 'srcu_read_lock'/],
    ['r0 = READ_ONCE(*x) ? 1 : 2;', /unsupported: conditional expression/],
    ['r0 = READ_ONCE(*x) + READ_ONCE(*y);', /unsupported: two shared-memory accesses in one expression/],
  ];
  for (const [body, re] of cases) {
    assert.throws(
      () => decideLitmus(wrap(body), 'u.litmus'),
      (e: unknown) => e instanceof UnsupportedError && re.test(e.message),
      body,
    );
  }
});

test('the state-explosion bound is a clear UnsupportedError', () => {
  const threads = [0, 1, 2, 3]
    .map((t) => `P${t}(int *x, int *y)\n{\n  int r0; int r1;\n  WRITE_ONCE(*x, ${t + 1});\n  r0 = READ_ONCE(*x);\n  r1 = READ_ONCE(*y);\n  WRITE_ONCE(*y, ${t + 1});\n}\n`)
    .join('\n');
  const text = `C big\n{}\n${threads}\nexists (x=1)\n`;
  assert.throws(
    () => decideLitmus(text, 'big.litmus', { paths: 1000, candidates: 500 }),
    (e: unknown) => e instanceof UnsupportedError && /state explosion/.test(e.message),
  );
});

function finding(ruleId: string, litmus: string | null): Finding {
  return {
    id: `id-${ruleId}`,
    ruleId,
    class: 'bitlock',
    severity: 'warning',
    file: 'drivers/foo.c',
    line: 10,
    endLine: 10,
    function: 'foo',
    patch: 1,
    introduced: true,
    message: 'm',
    reproduction: { interleaving: null, litmus, verdict: null, chain: null, splat: null, configs: null },
  };
}

test('attachVerdicts: Never drops the finding with a note, Sometimes keeps it with the verdict, unsupported keeps it without', () => {
  const notes: string[] = [];
  const fixed = finding('fixed', MP('smp_store_release(y, 1);', 'r0 = smp_load_acquire(y);'));
  const broken = finding('broken', MP('WRITE_ONCE(*y, 1);', 'r0 = READ_ONCE(*y);'));
  const odd = finding('odd', MP('clear_bit_unlock(0, y);', 'r0 = READ_ONCE(*y);'));
  const plain = finding('no-litmus', null);
  const out = attachVerdicts([fixed, broken, odd, plain], notes);
  assert.deepEqual(out.map((f) => f.ruleId), ['broken', 'odd', 'no-litmus']);
  assert.deepEqual(out[0]!.reproduction.verdict, { observation: 'Sometimes', positive: 1, negative: 3, dataRace: false, model: MODEL_NAME });
  assert.equal(out[1]!.reproduction.verdict, null);
  assert.equal(out[2], plain);
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /dropped fixed at drivers\/foo\.c:10: the model forbids the bad outcome/);
  assert.match(notes[1]!, /no verdict for odd at drivers\/foo\.c:10: unsupported: primitive 'clear_bit_unlock'/);
});
