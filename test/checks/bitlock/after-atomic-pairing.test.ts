// smp_mb__before_atomic() / smp_mb__after_atomic() are full barriers only together with an atomic
// read-modify-write (Documentation/atomic_t.txt, "The barriers"): next to atomic_set(),
// WRITE_ONCE() or a plain store they order nothing (x86 defines them as barrier()). The knowledge
// base says so with `pairedRmw` on the two fences (rules/primitives/barriers.yaml), and the
// bitlock checks count such a fence only when its RMW is there. Each case is C written here in the
// shape the kernel takes: the nfsd replay-owner hand-over (an atomic_t set back to "unlocked",
// smp_mb__after_atomic(), wake_up_var()), the wait_bit.h idiom with clear_bit(), and bit locks
// released with and without an RMW after smp_mb__before_atomic().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnPatch, runChecksOnSource } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/bitlock/index.js';
import { buildKnowledgeBase, loadKnowledgeBase } from '../../../src/kb/index.js';
import { parseRulesText, validateExtra } from '../../../src/kb/validate.js';

const WAKE = 'bitlock-wake-without-barrier';
const UNLOCK = 'bitlock-unlock-without-release';

const HEADER = `struct replay {
	atomic_t locked;
	int status;
	unsigned long flags;
	int gen;
	int done;
	int waiters;
};
#define REPLAY_UNLOCKED 0
#define REPLAY_LOCKED 1
#define REPLAY_BUSY 2
`;

async function findings(body: string, rule: string): Promise<{ line: number; message: string }[]> {
  const offset = HEADER.split('\n').length - 1;
  const all = await runChecksOnSource(HEADER + body, { checks, file: 'fs/replay/state.c' });
  return all.filter((f) => f.ruleId === rule).map((f) => ({ line: f.line - offset, message: f.message }));
}

test('atomic_set() + smp_mb__after_atomic() + wake_up_var(): the barrier has no RMW to pair with, so the wake-up is unordered', async () => {
  // The nfsd shape (nfsd4_cstate_clear_replay): the waiter sleeps in wait_var_event() until its
  // cmpxchg of the same atomic_t succeeds.
  const body = `int replay_claim(struct replay *rp)
{
	wait_var_event(&rp->locked, atomic_cmpxchg(&rp->locked, REPLAY_UNLOCKED, REPLAY_LOCKED) != REPLAY_LOCKED);
	return 0;
}

void replay_release(struct replay *rp)
{
	atomic_set(&rp->locked, REPLAY_UNLOCKED);
	smp_mb__after_atomic();
	wake_up_var(&rp->locked);
}
`;
  const got = await findings(body, WAKE);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0]!.line, 11);
  assert.match(got[0]!.message, /smp_mb__after_atomic\(\) on line \d+ is a full barrier only together with an atomic read-modify-write before it, and atomic_set\(&rp->locked, REPLAY_UNLOCKED\) is not one/);
  assert.match(got[0]!.message, /put smp_mb\(\) before the wake-up/);
});

test('WRITE_ONCE() or a plain store + smp_mb__after_atomic() + wake_up_var() fires too', async () => {
  const body = `void replay_finish(struct replay *rp)
{
	WRITE_ONCE(rp->done, 1);
	smp_mb__after_atomic();
	wake_up_var(&rp->done);
}

void replay_next(struct replay *rp)
{
	rp->gen = 0;
	smp_mb__after_atomic();
	wake_up_var(&rp->gen);
}
`;
  const got = await findings(body, WAKE);
  assert.deepEqual(
    got.map((f) => f.line),
    [5, 12],
  );
  for (const f of got) assert.match(f.message, /is a full barrier only together with an atomic read-modify-write before it/);
});

test('an atomic RMW between the store and smp_mb__after_atomic() pairs with it: the store before that RMW is ordered', async () => {
  // atomic_t.txt: smp_mb__after_atomic() orders the later accesses against the RMW and all
  // accesses preceding it.
  const body = `void replay_done_and_drop(struct replay *rp, atomic_t *refs)
{
	WRITE_ONCE(rp->done, 1);
	atomic_dec(refs);
	smp_mb__after_atomic();
	wake_up_var(&rp->done);
}
`;
  assert.deepEqual(await findings(body, WAKE), []);
});

test('clear_bit() + smp_mb__after_atomic() + wake_up_bit(): the documented idiom stays silent', async () => {
  const body = `void replay_unbusy(struct replay *rp)
{
	clear_bit(REPLAY_BUSY, &rp->flags);
	smp_mb__after_atomic();
	wake_up_bit(&rp->flags, REPLAY_BUSY);
}
`;
  assert.deepEqual(await findings(body, WAKE), []);
});

test('smp_mb__before_atomic() before wake_up_var() with no RMW after it orders nothing', async () => {
  const body = `void replay_kick(struct replay *rp)
{
	WRITE_ONCE(rp->done, 1);
	smp_mb__before_atomic();
	wake_up_var(&rp->done);
}
`;
  const got = await findings(body, WAKE);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.match(got[0]!.message, /smp_mb__before_atomic\(\) on line \d+ is a full barrier only together with an atomic read-modify-write after it, and none comes before the wake-up/);
});

const BIT_LOCK = (release: string) => `void replay_update(struct replay *rp, int status)
{
	if (test_and_set_bit(REPLAY_LOCKED, &rp->flags))
		return;
	rp->status = status;
	rp->gen++;
${release}
}
`;

test('smp_mb__before_atomic() + clear_bit() as the release of a bit lock: paired with the RMW, silent', async () => {
  assert.deepEqual(await findings(BIT_LOCK('\tsmp_mb__before_atomic();\n\tclear_bit(REPLAY_LOCKED, &rp->flags);'), UNLOCK), []);
  // The same release without the barrier is the bug the rule is for: the case is not silent for
  // another reason.
  const bare = await findings(BIT_LOCK('\tclear_bit(REPLAY_LOCKED, &rp->flags);'), UNLOCK);
  assert.equal(bare.length, 1, JSON.stringify(bare));
});

test('smp_mb__before_atomic() + WRITE_ONCE() as the release of a lock word: no RMW to pair with, it fires', async () => {
  const body = `void replay_set(struct replay *rp, int status)
{
	if (atomic_cmpxchg(&rp->locked, REPLAY_UNLOCKED, REPLAY_LOCKED) != REPLAY_UNLOCKED)
		return;
	rp->status = status;
	rp->gen++;
	smp_mb__before_atomic();
	atomic_set(&rp->locked, REPLAY_UNLOCKED);
}

void replay_word_update(struct replay *rp, int status)
{
	if (cmpxchg(&rp->waiters, 0, REPLAY_LOCKED))
		return;
	rp->status = status;
	smp_mb__before_atomic();
	WRITE_ONCE(rp->waiters, 0);
}
`;
  const got = await findings(body, UNLOCK);
  assert.deepEqual(
    got.map((f) => f.line),
    [8, 17],
    JSON.stringify(got),
  );
  assert.match(got[1]!.message, /smp_mb__before_atomic\(\) on line \d+ is a full barrier only together with an atomic read-modify-write, and WRITE_ONCE\(rp->waiters, 0\) is not one/);
  // smp_mb() in its place is a full barrier whatever surrounds it.
  assert.deepEqual(await findings(body.replace(/smp_mb__before_atomic/g, 'smp_mb'), UNLOCK), []);
});

test('after a relaxed lock-taking RMW: smp_mb__after_atomic() pairs with it; after a local_t op or as smp_mb__before_atomic() it does not', async () => {
  const body = `static bool word_take(unsigned long *word)
{
	if (xchg_relaxed(word, REPLAY_LOCKED))
		return false;
	smp_mb__after_atomic();
	return true;
}

static bool word_take_before(struct replay *rp)
{
	if (xchg_relaxed(&rp->waiters, REPLAY_LOCKED))
		return false;
	smp_mb__before_atomic();
	rp->gen++;
	return true;
}

static bool mode_take(struct csdev *csdev, int mode)
{
	if (local_cmpxchg(&csdev->mode, REPLAY_UNLOCKED, REPLAY_BUSY) != REPLAY_UNLOCKED)
		return false;
	smp_mb__after_atomic();
	return true;
}
`;
  const got = await findings(body, 'bitlock-relaxed-acquire');
  // word_take() is silent; word_take_before() has a plain store, not an RMW, after its barrier (a
  // barrier at the end of the function is left alone: the caller's next access is out of view);
  // local_cmpxchg() is
  // not an atomic RMW across CPUs (local_ops.rst), so there is nothing to pair with.
  assert.deepEqual(
    got.map((f) => f.line),
    [11, 20],
    JSON.stringify(got),
  );
});

test('a wait loop that exits on READ_ONCE(): smp_mb__after_atomic() after it orders nothing, smp_mb() does', async () => {
  const body = `static int node_lock_wait(struct replay *node)
{
	while (!READ_ONCE(node->done))
		cpu_relax();
	smp_mb__after_atomic();
	return READ_ONCE(node->status);
}
`;
  assert.equal((await findings(body, 'bitlock-wait-without-acquire')).length, 1);
  assert.deepEqual(await findings(body.replace('smp_mb__after_atomic', 'smp_mb'), 'bitlock-wait-without-acquire'), []);
});

const hunk = (context: string) => `diff --git a/fs/replay/state.c b/fs/replay/state.c
--- a/fs/replay/state.c
+++ b/fs/replay/state.c
@@ -40,${context ? 4 : 3} +40,${context ? 4 : 3} @@ void replay_update(struct replay *rp)
${context} \tsmp_mb__after_atomic();
-\tclear_bit_unlock(REPLAY_LOCKED, &rp->flags);
+\tclear_bit(REPLAY_LOCKED, &rp->flags);
 }
`;

test('a hunk that starts at smp_mb__after_atomic(): the access before it is out of view, so the barrier still counts', async () => {
  const unlocks = async (diff: string) => (await runChecksOnPatch(diff, { checks })).filter((f) => f.ruleId === UNLOCK);
  // Only the fence and the release are in view: what precedes the fence may be its RMW.
  assert.deepEqual(await unlocks(hunk('')), []);
  // ... and it is the fence that keeps it silent: a compiler barrier in its place does not.
  assert.equal((await unlocks(hunk('').replace('smp_mb__after_atomic', 'cpu_relax'))).length, 1);
  // With the statement before it in view and not an RMW, the fence orders nothing.
  const shown = await unlocks(hunk(' \trp->gen++;\n'));
  assert.equal(shown.length, 1, JSON.stringify(shown));
  assert.match(shown[0]!.message, /smp_mb__after_atomic\(\) on line \d+ is a full barrier only together with an atomic read-modify-write, and the access before it is not one/);
});

test('knowledge base: the two barriers carry pairedRmw, and the field is validated', async () => {
  const kb = await loadKnowledgeBase();
  assert.equal(kb.primitive('smp_mb__after_atomic')?.pairedRmw, 'preceding');
  assert.equal(kb.primitive('smp_mb__before_atomic')?.pairedRmw, 'following');
  assert.equal(kb.primitive('smp_mb')?.pairedRmw, undefined);

  const ok = parseRulesText('ok.yaml', 'primitives:\n  - names: [my_mb__after_atomic]\n    family: barrier\n    op: fence\n    ordering: full\n    pairedRmw: preceding\n');
  assert.equal(ok.primitives[0]!.pairedRmw, 'preceding');
  assert.equal(buildKnowledgeBase([ok]).primitive('my_mb__after_atomic')?.pairedRmw, 'preceding');

  assert.throws(
    () => parseRulesText('bad.yaml', 'primitives:\n  - names: [my_mb__after_atomic]\n    family: barrier\n    op: fence\n    ordering: full\n    pairedRmw: after\n'),
    /bad\.yaml.*primitives\[0\] \(my_mb__after_atomic\)\.pairedRmw/,
  );
  assert.throws(
    () => parseRulesText('bad.yaml', 'primitives:\n  - name: my_set\n    family: atomic\n    op: store\n    ordering: relaxed\n    pairedRmw: preceding\n'),
    /primitives\[0\] \(my_set\)\.pairedRmw: pairedRmw is for full fences/,
  );
  assert.throws(() => validateExtra({ primitives: [{ name: 'my_wmb', family: 'barrier', op: 'fence', ordering: 'release', pairedRmw: 'following' }] } as never), /pairedRmw is for full fences/);
});
