// bitlock in hunk-only mode over the shapes real ordering fixes take (fix-shapes.ts): each buggy
// form (the fix reversed) draws its finding within three lines of the expected line, as the corpus
// scorer counts it, with a litmus test the embedded LKMM checker does not refute (a 'Never'
// verdict would make the pipeline drop the finding); each fixed form draws nothing. Shapes marked
// knownMiss are asserted to be missed, so that the gap stays documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/bitlock/index.js';
import { attachVerdicts } from '../../../src/litmus/index.js';
import { FIX_SHAPES, NOT_A_BUG_TEST_AND_SET, WAKE_SHAPES, type FixShape } from './fix-shapes.js';

const render = (fs: { ruleId: string; line: number; message: string }[]) => fs.map((f) => `${f.ruleId}@${f.line}: ${f.message}`);

async function found(s: FixShape) {
  const buggy = await runChecksOnPatch(s.buggy, { checks });
  return { buggy, hit: buggy.find((f) => f.ruleId === s.rule && Math.abs(f.line - s.line) <= 3) };
}

for (const s of [...FIX_SHAPES, ...WAKE_SHAPES]) {
  test(`fix shape: ${s.name}`, async () => {
    const { buggy, hit } = await found(s);
    if (s.knownMiss) {
      assert.equal(hit, undefined, `known miss (${s.knownMiss}) is now found: drop the mark`);
    } else {
      assert.ok(hit, `expected ${s.rule} near line ${s.line}, got ${JSON.stringify(render(buggy))}`);
      assert.match(hit.reproduction.litmus ?? '', /^C lockreview-/);
      const notes: string[] = [];
      const [decided] = attachVerdicts([hit], notes);
      assert.ok(decided, `the model refutes the finding's litmus test: ${notes.join('; ')}`);
      assert.ok(decided.reproduction.verdict, `the litmus test gets a verdict: ${notes.join('; ')}`);
      assert.notEqual(decided.reproduction.verdict.observation, 'Never');
      assert.ok((decided.reproduction.interleaving?.steps.length ?? 0) >= 3);
    }
    const fixed = await runChecksOnPatch(s.fixed, { checks });
    assert.deepEqual(render(fixed), []);
  });
}

test('test_and_set_bit -> test_and_set_bit_lock is a relaxation, not a fix: both forms stay silent', async () => {
  assert.deepEqual(render(await runChecksOnPatch(NOT_A_BUG_TEST_AND_SET.buggy, { checks })), []);
  assert.deepEqual(render(await runChecksOnPatch(NOT_A_BUG_TEST_AND_SET.fixed, { checks })), []);
});

// A claim/release round trip is a lock whatever its names (the owner, mode and busy shapes above),
// but only with a critical section in view and the free value stored back into the same object.
const roundTrip = (claim: string, section: string, release: string) => `diff --git a/drivers/acme/acme_work.c b/drivers/acme/acme_work.c
--- a/drivers/acme/acme_work.c
+++ b/drivers/acme/acme_work.c
@@ -80,6 +80,6 @@ static unsigned long acme_shrink(struct acme_pool *pool)
 \tif (${claim})
 \t\treturn 0;
 \t${section}
 \tacme_account(pool, freed);
-\tatomic_set_release(&pool->busy, 0);
+\t${release};
 \treturn freed;
`;

test('round trip: a busy guard whose work is all in helpers stays silent', async () => {
  assert.deepEqual(render(await runChecksOnPatch(roundTrip('atomic_xchg(&pool->busy, 1)', 'freed = __acme_shrink(pool);', 'atomic_set(&pool->busy, 0)'), { checks })), []);
});

test('round trip: the same field of another object is no release', async () => {
  assert.deepEqual(render(await runChecksOnPatch(roundTrip('atomic_xchg(&pool->busy, 1)', 'pool->nr_shrunk++;', 'atomic_set(&pool->next->busy, 0)'), { checks })), []);
});

test('round trip: a compare-and-swap followed by a store of another state is no release', async () => {
  assert.deepEqual(render(await runChecksOnPatch(roundTrip('atomic_cmpxchg(&pool->busy, ACME_IDLE, ACME_SHRINKING) != ACME_IDLE', 'pool->nr_shrunk++;', 'atomic_set(&pool->busy, ACME_DRAINED)'), { checks })), []);
});

test('round trip: with a critical section in view the busy guard is a lock', async () => {
  const f = await runChecksOnPatch(roundTrip('atomic_xchg(&pool->busy, 1)', 'pool->nr_shrunk++;', 'atomic_set(&pool->busy, 0)'), { checks });
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), ['bitlock-unlock-without-release@84']);
});

// A spin on an object's flag needs no lock-like name when what follows reads the data the flag
// publishes (another field of the same object); a spin followed by anything else stays silent.
for (const [what, ret] of [
  ['a constant', 'return 0;'],
  ["another object's field", 'return acme->status;'],
  ['the flag itself', 'return req->done;'],
] as const) {
  test(`flag spin followed by ${what} stays silent`, async () => {
    const s = FIX_SHAPES.find((x) => x.name.includes('done flag'))!;
    const other = s.buggy.replace('return req->status;', ret);
    assert.notEqual(other, s.buggy);
    assert.deepEqual(render(await runChecksOnPatch(other, { checks })), []);
  });
}

test('a wake-up after a fully ordered RMW of the bit stays silent (test_and_clear_bit is its own barrier)', async () => {
  const s = WAKE_SHAPES.find((x) => x.name.includes('clear_and_wake_up_bit'))!;
  const ordered = s.buggy.replace('+\tclear_bit(ACME_BLK_RESETTING, &ab->flags);', '+\tif (!test_and_clear_bit(ACME_BLK_RESETTING, &ab->flags))\n+\t\treturn;').replace(/@@ -415,(\d+) \+415,(\d+) @@/, (_m, a, b) => `@@ -415,${a} +415,${Number(b) + 1} @@`);
  assert.notEqual(ordered, s.buggy);
  assert.deepEqual(render(await runChecksOnPatch(ordered, { checks })), []);
});

test('a wake-up of another bit than the one cleared stays silent', async () => {
  const s = WAKE_SHAPES.find((x) => x.name.includes('clear_and_wake_up_bit'))!;
  const other = s.buggy.replace('wake_up_bit(&ab->flags, ACME_BLK_RESETTING)', 'wake_up_bit(&ab->flags, ACME_BLK_FLUSHING)');
  assert.deepEqual(render(await runChecksOnPatch(other, { checks })), []);
});

test('a counting for loop that sleeps between steps is no wait for a hand-over', async () => {
  const s = FIX_SHAPES.find((x) => x.name.includes('waiter.task'))!;
  const counting = s.buggy.replace('\tfor (;;) {', '\tfor (i = 0; i < sem->nr_slots; i++) {');
  assert.notEqual(counting, s.buggy);
  const f = await runChecksOnPatch(counting, { checks });
  // The sleep loop's `if (!waiter.task) break;` exit is still a hand-over; the loop condition is not.
  assert.deepEqual(f.map((x) => `${x.ruleId}@${x.line}`), [`bitlock-wait-without-acquire@${s.line}`]);
});
