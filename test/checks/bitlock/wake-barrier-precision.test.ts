// bitlock-wake-without-barrier precision, from a one-by-one review of its findings on Linux 6.12
// (fs/, block/, lib/, drivers/, net/, kernel/, mm/: docs/scan-6.12.md). Three groups of whole-file
// cases, each written as its own C in the shape the kernel code takes:
//  - ordered wake-ups that must stay silent: the documented idioms of include/linux/wait_bit.h, and
//    the two shapes the review found the check firing on wrongly (a store that carries its own full
//    barrier, smp_store_mb(); a function its callers run under a lock, __must_hold());
//  - the racy shapes the scan found in the tree, which must keep firing (smp_store_release() +
//    smp_wmb(), clear_bit_unlock() of the waited bit, set_bit()/clear_bit() of a word woken with
//    wake_up_var(), clear_bit() then a test_bit() that may loop back, a plain store under a lock
//    taken through a helper the check cannot see).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runChecksOnSource } from '../../helpers/check-tester.js';
import { checks } from '../../../src/checks/bitlock/index.js';

const RULE = 'bitlock-wake-without-barrier';

const HEADER = `struct widget {
	unsigned long flags;
	unsigned long state_bits;
	int phase;
	int generation;
	atomic_t users;
	spinlock_t lock;
	struct mutex mutex;
};
#define WIDGET_BUSY 3
#define WIDGET_KICK 4
`;

/** Findings of the rule in one function's worth of C, as 1-based lines of `body` (after HEADER). */
async function wakeFindings(body: string): Promise<{ line: number; message: string }[]> {
  const offset = HEADER.split('\n').length - 1;
  const findings = await runChecksOnSource(HEADER + body, { checks, file: 'drivers/widget/widget.c' });
  return findings.filter((f) => f.ruleId === RULE).map((f) => ({ line: f.line - offset, message: f.message }));
}

const silent: Array<[string, string]> = [
  [
    'smp_store_mb() before wake_up_var(): the store carries its own full barrier',
    `static void widget_set_phase(struct widget *w, int phase)
{
	smp_store_mb(w->phase, phase);
	wake_up_var(&w->phase);
}
`,
  ],
  [
    '__must_hold(): the callers hold the lock the waiters test under',
    `static void widget_bump_generation(struct widget *w)
	__must_hold(&w->lock)
{
	w->generation++;
	wake_up_var(&w->generation);
}
`,
  ],
  [
    'lockdep_assert_held() before the store',
    `static void widget_reset_phase(struct widget *w)
{
	lockdep_assert_held(&w->mutex);
	w->phase = 0;
	wake_up_var(&w->phase);
}
`,
  ],
  [
    'spin_lock() around the store and the wake-up',
    `static void widget_next_generation(struct widget *w)
{
	spin_lock(&w->lock);
	w->generation = w->generation + 1;
	wake_up_var(&w->generation);
	spin_unlock(&w->lock);
}
`,
  ],
  [
    'clear_and_wake_up_bit() does the barrier itself',
    `static void widget_done(struct widget *w)
{
	clear_and_wake_up_bit(WIDGET_BUSY, &w->flags);
}
`,
  ],
  [
    'clear_bit_unlock() + smp_mb__after_atomic() + wake_up_bit()',
    `static void widget_unbusy(struct widget *w)
{
	clear_bit_unlock(WIDGET_BUSY, &w->flags);
	smp_mb__after_atomic();
	wake_up_bit(&w->flags, WIDGET_BUSY);
}
`,
  ],
  [
    'test_and_clear_bit() is fully ordered',
    `static void widget_maybe_unbusy(struct widget *w)
{
	if (test_and_clear_bit(WIDGET_BUSY, &w->flags))
		wake_up_bit(&w->flags, WIDGET_BUSY);
}
`,
  ],
  [
    'atomic_dec_and_test() is fully ordered',
    `static void widget_put_user(struct widget *w)
{
	if (atomic_dec_and_test(&w->users))
		wake_up_var(&w->users);
}
`,
  ],
  [
    'smp_store_release() + smp_mb() + wake_up_var() (store_release_wake_up spelled out)',
    `static void widget_publish_phase(struct widget *w, int phase)
{
	smp_store_release(&w->phase, phase);
	smp_mb();
	wake_up_var(&w->phase);
}
`,
  ],
  [
    'a clear of another word is not the waited store',
    `static void widget_hand_over(struct widget *w, struct widget *peer)
{
	clear_bit(WIDGET_KICK, &peer->flags);
	clear_bit_unlock(WIDGET_BUSY, &w->flags);
	smp_mb__after_atomic();
	wake_up_bit(&w->flags, WIDGET_BUSY);
}
`,
  ],
];

for (const [name, body] of silent) {
  test(`ordered wake-up stays silent: ${name}`, async () => {
    assert.deepEqual(await wakeFindings(body), []);
  });
}

// line: the wake-up's line in `body` (1-based); store: text the message must name as the store.
// also: another text the message must carry (the one-way fence it names, the fix it advises).
const firing: Array<{ name: string; body: string; line: number; store: RegExp; also?: RegExp }> = [
  {
    // fs/afs/cell.c afs_set_cell_state: smp_wmb() orders stores only, the wake-up's check is a load.
    name: 'smp_store_release() + smp_wmb() + wake_up_var()',
    body: `static void widget_enter_phase(struct widget *w, int phase)
{
	smp_store_release(&w->phase, phase);
	smp_wmb();
	wake_up_var(&w->phase);
}
`,
    line: 5,
    store: /smp_store_release\(&w->phase, phase\)/,
    also: /smp_wmb\(\) on line \d+ orders stores only.*put smp_mb\(\) before the wake-up/,
  },
  {
    // fs/gfs2/glops.c, fs/bcachefs/buckets.h, fs/afs/server.c: RELEASE orders what came before only.
    name: 'clear_bit_unlock() + wake_up_bit() in a helper',
    body: `static void widget_release_busy(struct widget *w)
{
	if (!w)
		return;
	clear_bit_unlock(WIDGET_BUSY, &w->flags);
	wake_up_bit(&w->flags, WIDGET_BUSY);
}
`,
    line: 6,
    store: /clear_bit_unlock\(WIDGET_BUSY, &w->flags\)/,
    also: /put smp_mb__after_atomic\(\) before the wake-up, or use clear_and_wake_up_bit\(\)/,
  },
  {
    // fs/afs/volume.c: a RELEASE clear of another bit between the waited clear and the wake-up.
    name: 'two clear_bit_unlock() calls, then wake_up_bit() of the first bit',
    body: `static int widget_refresh(struct widget *w)
{
	int ret = widget_fetch(w);
	clear_bit_unlock(WIDGET_BUSY, &w->flags);
	clear_bit_unlock(WIDGET_KICK, &w->flags);
	wake_up_bit(&w->flags, WIDGET_BUSY);
	return ret;
}
`,
    line: 6,
    store: /clear_bit_unlock\(WIDGET_BUSY, &w->flags\)/,
  },
  {
    // fs/nfs/nfs4proc.c nfs4_disable_swap: bitops on a word woken whole with wake_up_var().
    name: 'set_bit() + clear_bit() + wake_up_var() of the word',
    body: `static void widget_stop_kicker(struct widget *w)
{
	set_bit(WIDGET_KICK, &w->state_bits);
	clear_bit(WIDGET_BUSY, &w->state_bits);
	wake_up_var(&w->state_bits);
}
`,
    line: 5,
    store: /clear_bit\(WIDGET_BUSY, &w->state_bits\)/,
  },
  {
    // drivers/bluetooth/hci_ldisc.c hci_uart_write_work: test_bit() is a plain load, not a barrier.
    name: 'clear_bit(), a test_bit() that may loop back, wake_up_bit()',
    body: `static void widget_drain(struct widget *w)
{
again:
	widget_push_all(w);
	clear_bit(WIDGET_BUSY, &w->flags);
	if (test_bit(WIDGET_KICK, &w->flags))
		goto again;
	wake_up_bit(&w->flags, WIDGET_BUSY);
}
`,
    line: 8,
    store: /clear_bit\(WIDGET_BUSY, &w->flags\)/,
  },
  {
    // fs/super.c freeze_super: the lock is taken through a helper, and the waiter tests the value
    // after dropping that lock, so the lock would not order the hand-over anyway.
    name: 'plain store + wake_up_var() with the lock taken through a helper',
    body: `static int widget_freeze(struct widget *w)
{
	if (!widget_lock_excl(w))
		return -EINVAL;
	w->phase = 2;
	wake_up_var(&w->phase);
	widget_unlock_excl(w);
	return 0;
}
`,
    line: 6,
    store: /w->phase = 2/,
    also: /put smp_mb\(\) before the wake-up/,
  },
];

for (const c of firing) {
  test(`racy wake-up keeps firing: ${c.name}`, async () => {
    const found = await wakeFindings(c.body);
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.equal(found[0]!.line, c.line);
    assert.match(found[0]!.message, c.store);
    if (c.also) assert.match(found[0]!.message, c.also);
  });
}
