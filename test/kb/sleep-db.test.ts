// The generated sleep database: its core (src/kb/sleep-db.ts) over a small kernel-like tree written
// here, the generator script end to end over the same tree, and the checked-in
// rules/primitives/sleep-6.12-generated.yaml as the knowledge base loads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseKnowledgeBase, buildSleepDb, entryDoc, fileSleepFacts, headerFunctionNames, renderSleepDb, SLEEP_DB_FILE, type SleepDbFileFacts } from '../../src/kb/sleep-db.js';
import { buildKnowledgeBase, loadKnowledgeBase, RULES_DIR } from '../../src/kb/index.js';
import { parseRulesText } from '../../src/kb/validate.js';
import { checks as atomicSleepChecks } from '../../src/checks/atomic-sleep/index.js';
import { runChecksOnPatch } from '../helpers/check-tester.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

const TREE: Record<string, string> = {
  'drivers/foo/core.c': `
#include <linux/foo.h>
static DEFINE_MUTEX(foo_lock);

void foo_sleeps(struct foo *f)
{
	mutex_lock(&foo_lock);
	f->count++;
	mutex_unlock(&foo_lock);
}
EXPORT_SYMBOL_GPL(foo_sleeps);

static void foo_static_sleeps(struct foo *f)
{
	mutex_lock(&foo_lock);
	mutex_unlock(&foo_lock);
}

void foo_sleeps_in_branch(struct foo *f)
{
	if (f->slow) {
		mutex_lock(&foo_lock);
		mutex_unlock(&foo_lock);
	}
}
EXPORT_SYMBOL_GPL(foo_sleeps_in_branch);

void *foo_alloc(struct foo *f, gfp_t gfp)
{
	return kmalloc(f->size, gfp);
}
EXPORT_SYMBOL_GPL(foo_alloc);

void *foo_alloc_kernel(struct foo *f)
{
	return kzalloc(f->size, GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(foo_alloc_kernel);

void foo_sleeps_on_one_config(struct foo *f)
{
#ifdef CONFIG_FOO_DEBUG
	msleep(10);
#endif
	f->count = 0;
}
EXPORT_SYMBOL_GPL(foo_sleeps_on_one_config);

void foo_internal(struct foo *f)
{
	msleep(1);
}

void foo_remove(struct foo *f)
{
	synchronize_srcu(&f->srcu);
}
EXPORT_SYMBOL_GPL(foo_remove);
`,
  'drivers/bar/bar.c': `
void bar_reset(struct bar *b)
{
	b->state = 0;
	foo_sleeps(b->foo);
}
EXPORT_SYMBOL(bar_reset);

void bar_stop(struct bar *b)
{
	bar_reset(b);
}
EXPORT_SYMBOL(bar_stop);

void bar_maybe_reset(struct bar *b)
{
	if (b->dirty)
		foo_sleeps(b->foo);
}
EXPORT_SYMBOL(bar_maybe_reset);

void bar_remove(struct bar *b)
{
	foo_remove(b->foo);
}
EXPORT_SYMBOL(bar_remove);
`,
  // Same name, static here and sleeping and exported there: a patch to this file calls its own.
  'drivers/baz/baz.c': `
static void shared_name(void)
{
}
`,
  'drivers/qux/qux.c': `
void shared_name(void)
{
	msleep(1);
}
EXPORT_SYMBOL(shared_name);

void qux_flush(struct qux *q)
{
	msleep(1);
}
EXPORT_SYMBOL(qux_flush);
`,
  // A second, non-sleeping definition of qux_flush (another driver's): the definitions disagree.
  'drivers/quux/quux.c': `
void qux_flush(struct qux *q)
{
	q->pending = 0;
}
`,
  'include/linux/foo.h': `
void foo_sleeps(struct foo *f);
static inline void foo_sync(struct foo *f)
{
	foo_sleeps(f);
}
#ifndef CONFIG_QUX
static inline void qux_sync(struct qux *q)
{
}
#else
void qux_sync(struct qux *q);
#endif
`,
  // PREEMPT_RT only: a spinlock_t is a sleeping lock there.
  'drivers/rtx/rtx.c': `
static DEFINE_SPINLOCK(rtx_lock);
static DEFINE_MUTEX(rtx_mutex);

void rtx_update(struct rtx *r)
{
	unsigned long flags;

	spin_lock_irqsave(&rtx_lock, flags);
	r->val++;
	spin_unlock_irqrestore(&rtx_lock, flags);
}
EXPORT_SYMBOL_GPL(rtx_update);

void rtx_update_slow(struct rtx *r)
{
	spin_lock(&rtx_lock);
	r->val++;
	spin_unlock(&rtx_lock);
	mutex_lock(&rtx_mutex);
	r->val++;
	mutex_unlock(&rtx_mutex);
}
EXPORT_SYMBOL_GPL(rtx_update_slow);

void rtx_update_rt_aware(struct rtx *r)
{
#ifndef CONFIG_PREEMPT_RT
	r->fast = 1;
#endif
	spin_lock(&rtx_lock);
	r->val++;
	spin_unlock(&rtx_lock);
}
EXPORT_SYMBOL_GPL(rtx_update_rt_aware);

void rtx_update_raw(struct rtx *r)
{
	raw_spin_lock(&r->raw_lock);
	r->val++;
	raw_spin_unlock(&r->raw_lock);
}
EXPORT_SYMBOL_GPL(rtx_update_raw);
`,
  'drivers/rty/rty.c': `
void rty_poke(struct rty *y)
{
	y->n = 1;
	rtx_update(y->x);
}
EXPORT_SYMBOL(rty_poke);

void rty_poke_and_wait(struct rty *y)
{
	rtx_update(y->x);
	msleep(1);
}
EXPORT_SYMBOL(rty_poke_and_wait);

void rty_poke_aware(struct rty *y)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		y->n = 0;
	rtx_update(y->x);
}
EXPORT_SYMBOL(rty_poke_aware);
`,
  // qux_sync: a real definition that sleeps, with a no-op stub in the header for !CONFIG_QUX.
  'drivers/qux/sync.c': `
void qux_sync(struct qux *q)
{
	might_sleep();
	q->synced = 1;
}
`,
};

function writeTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sleep-db-tree-'));
  for (const [rel, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

async function generate() {
  const { kb, known } = await baseKnowledgeBase();
  const facts: SleepDbFileFacts[] = [];
  for (const [rel, text] of Object.entries(TREE)) facts.push(await fileSleepFacts(rel, text, kb));
  const declaredInHeaders = new Set<string>();
  for (const [rel, text] of Object.entries(TREE)) if (rel.startsWith('include/')) headerFunctionNames(text, declaredInHeaders);
  return buildSleepDb(facts, { known, declaredInHeaders });
}

test('a visible function that takes a mutex on its straight path is emitted; static, branch-only, gfp-forwarding ones are not', async () => {
  const db = await generate();
  const names = new Map(db.entries.map((e) => [e.name, e]));
  assert.deepEqual(names.get('foo_sleeps')?.chain, ['mutex_lock']);
  assert.equal(names.get('foo_sleeps')?.file, 'drivers/foo/core.c');
  assert.equal(names.get('foo_sleeps')?.round, 0);
  assert.deepEqual(names.get('foo_alloc_kernel')?.chain, ['kzalloc'], 'a GFP_KERNEL allocation sleeps whatever the caller passes');
  assert.ok(!names.has('foo_static_sleeps'), 'static: invisible to other files');
  assert.ok(!names.has('foo_sleeps_in_branch'), 'sleeps only in a branch');
  assert.ok(!names.has('foo_alloc'), 'sleeps only for a sleeping gfp mask');
  assert.ok(!names.has('foo_sleeps_on_one_config'), 'sleeps only under #ifdef');
  assert.ok(!names.has('foo_internal'), 'neither exported nor named in a public header');
  assert.ok(!names.has('shared_name'), 'also a static function of another file');
  assert.ok(!names.has('qux_flush'), 'two non-static definitions disagree');
  assert.ok(db.excluded['gfp-dependent']! >= 1 && db.excluded['definitions disagree']! >= 1 && db.excluded['also defined static elsewhere']! >= 1);
});

test('cross-file rounds: a straight-path call to an entry makes an entry, with the chain through it', async () => {
  const db = await generate();
  const names = new Map(db.entries.map((e) => [e.name, e]));
  assert.deepEqual(names.get('bar_reset')?.chain, ['foo_sleeps', 'mutex_lock']);
  assert.equal(names.get('bar_reset')?.round, 1);
  // bar_stop reaches it through a function of its own file (the file's summaries, round 1 too).
  assert.deepEqual(names.get('bar_stop')?.chain, ['bar_reset', 'foo_sleeps', 'mutex_lock']);
  assert.ok(!names.has('bar_maybe_reset'), 'the call is in a branch');
  // foo_remove waits for SRCU: as a table primitive it would hide that from the srcu checks in its
  // own file, so it is left out, yet it still makes its callers in other files sleep.
  assert.ok(!names.has('foo_remove'));
  assert.equal(db.excluded['SRCU facts in its own file'], 1);
  assert.deepEqual(names.get('bar_remove')?.chain, ['foo_remove', 'synchronize_srcu']);
  assert.deepEqual(names.get('foo_sync')?.chain, ['foo_sleeps', 'mutex_lock'], 'static inline in a public header');
  assert.equal(names.get('foo_sync')?.file, 'include/linux/foo.h');
  assert.deepEqual(names.get('qux_sync')?.chain, ['might_sleep'], 'the header stub for !CONFIG_QUX does not count against the real definition');
  assert.equal(names.get('qux_sync')?.file, 'drivers/qux/sync.c');
  const limited = buildSleepDb(
    await Promise.all(Object.entries(TREE).map(async ([rel, text]) => fileSleepFacts(rel, text, (await baseKnowledgeBase()).kb))),
    { known: (await baseKnowledgeBase()).known, declaredInHeaders: new Set(['foo_sleeps']), maxRounds: 0 },
  );
  assert.ok(!limited.entries.some((e) => e.name === 'bar_reset'), 'round 0 alone has only the files\' own facts');
});

test('PREEMPT_RT only: a spinlock_t taker is an RT entry; one that also sleeps always is plain; an RT-aware one is left out', async () => {
  const db = await generate();
  const names = new Map(db.entries.map((e) => [e.name, e]));
  assert.deepEqual(names.get('rtx_update'), { name: 'rtx_update', file: 'drivers/rtx/rtx.c', chain: ['spin_lock_irqsave'], round: 0, rtOnly: true });
  // A mutex after the spinlock: it sleeps on every config, a plain entry.
  assert.deepEqual(names.get('rtx_update_slow')?.chain, ['mutex_lock']);
  assert.equal(names.get('rtx_update_slow')?.rtOnly, undefined);
  assert.ok(!names.has('rtx_update_rt_aware'), 'tests CONFIG_PREEMPT_RT: written with RT in mind');
  assert.ok(!names.has('rtx_update_raw'), 'a raw_spinlock_t does not sleep on RT');
  // Cross-file: a straight-path call to an RT entry makes an RT entry, unless the caller sleeps anyway.
  assert.deepEqual(names.get('rty_poke'), { name: 'rty_poke', file: 'drivers/rty/rty.c', chain: ['rtx_update', 'spin_lock_irqsave'], round: 1, rtOnly: true });
  assert.deepEqual(names.get('rty_poke_and_wait')?.chain, ['msleep']);
  assert.equal(names.get('rty_poke_and_wait')?.rtOnly, undefined);
  assert.ok(!names.has('rty_poke_aware'), 'tests CONFIG_PREEMPT_RT');
  // The line form and what the knowledge base makes of it.
  const text = renderSleepDb(db.entries, ['test header']);
  assert.match(text, /^ {4}rtx_update drivers\/rtx\/rtx\.c @rt spin_lock_irqsave$/m);
  assert.match(text, /^ {4}rtx_update_slow drivers\/rtx\/rtx\.c mutex_lock$/m);
  const kb = buildKnowledgeBase([parseRulesText('rules/primitives/test.yaml', text)]);
  const p = kb.primitive('rty_poke');
  assert.equal(p?.sleepsOnRT, true);
  assert.equal(p?.sleeps, undefined);
  assert.equal(p?.family, 'sleep-db');
  assert.equal(p?.doc, 'drivers/rty/rty.c: on PREEMPT_RT -> rtx_update() -> spin_lock_irqsave()');
  assert.equal(p?.doc, entryDoc(names.get('rty_poke')!));
  assert.equal(kb.primitive('rtx_update_slow')?.sleeps, true);
  assert.equal(kb.primitive('rtx_update_slow')?.sleepsOnRT, undefined);
});

test('the rendered file validates as rules and loads as sleeping primitives', async () => {
  const db = await generate();
  const text = renderSleepDb(db.entries, ['test header']);
  const facts = parseRulesText('rules/primitives/test.yaml', text);
  const kb = buildKnowledgeBase([facts]);
  const p = kb.primitive('bar_reset');
  assert.equal(p?.sleeps, true);
  assert.equal(p?.op, 'sleep');
  assert.equal(p?.doc, 'drivers/bar/bar.c: -> foo_sleeps() -> mutex_lock()');
  assert.equal(p?.doc, entryDoc(db.entries.find((e) => e.name === 'bar_reset')!), 'the knowledge base words the doc as the generator does');
});

test('the generator script over a tree writes the same entries', async () => {
  const tree = writeTree();
  const out = join(tree, 'out.yaml');
  try {
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-sleep-db.mjs'), '--tree', tree, '--dirs', 'drivers', '--jobs', '1', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const facts = parseRulesText('out.yaml', readFileSync(out, 'utf8'));
    const names = (facts.sleepTable ?? '').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    const expected = (await generate()).entries.map((e) => e.name);
    assert.deepEqual(names, expected);
    assert.match(readFileSync(out, 'utf8'), /^# GENERATED by scripts\/gen-sleep-db\.mjs/);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
});

test('the checked-in database loads with rules/, and repeats no hand-written name', async () => {
  const text = readFileSync(join(RULES_DIR, SLEEP_DB_FILE), 'utf8');
  const lines = (parseRulesText(SLEEP_DB_FILE, text).sleepTable ?? '').split('\n').filter(Boolean);
  assert.ok(lines.length > 1000, `${lines.length} entries`);
  const { known } = await baseKnowledgeBase();
  assert.deepEqual(lines.map((l) => l.split(' ')[0]!).filter((n) => known.has(n)), []);
  const kb = await loadKnowledgeBase();
  const lookupTables = kb.primitive('gpiod_add_lookup_tables');
  assert.equal(lookupTables?.sleeps, true);
  assert.equal(lookupTables?.op, 'sleep');
  assert.equal(lookupTables?.family, 'sleep-db');
  assert.match(lookupTables?.doc ?? '', /^drivers\/gpio\/gpiolib\.c: -> \w+\(\)/);
  // Left out, its SRCU facts being needed by the srcu checks in its own file (test/kb above).
  assert.equal(kb.primitive('kvm_io_bus_register_dev'), undefined);
  // Every line is found, and names between lines are not.
  const missed = lines.map((l) => l.split(' ')[0]!).filter((n) => kb.primitive(n)?.family !== 'sleep-db' && !known.has(n));
  assert.deepEqual(missed, []);
  assert.equal(kb.primitive(lines[0]!.split(' ')[0]! + '_not_a_kernel_function'), undefined);
  assert.equal(kb.primitive('0_before_all'), undefined);
  assert.equal(kb.primitive('~after_all'), undefined);
  // Hand-written entries keep their own facts (kmalloc sleeps by its gfp argument only).
  assert.equal(kb.primitive('kmalloc')?.gfpArg, 1);
});

test('a table line loses to a hand-written primitive of the same name, and a bad line is named', () => {
  const table = parseRulesText('t.yaml', 'sleepTable:\n  lines: |\n    foo_wait drivers/foo.c mutex_lock\n    kmalloc mm/slub.c might_sleep\n');
  const written = parseRulesText('w.yaml', 'primitives:\n  - { name: kmalloc, family: sleep, op: sleep, ordering: none, gfpArg: 1 }\n');
  for (const order of [[table, written], [written, table]]) {
    const kb = buildKnowledgeBase(order);
    assert.equal(kb.primitive('kmalloc')?.gfpArg, 1);
    assert.equal(kb.primitive('kmalloc')?.sleeps, undefined);
    assert.equal(kb.primitive('foo_wait')?.doc, 'drivers/foo.c: -> mutex_lock()');
    assert.equal(kb.primitive('bar'), undefined);
    assert.deepEqual([...kb.primitives()].map((p) => p.name).sort(), ['foo_wait', 'kmalloc']);
  }
  assert.throws(() => parseRulesText('bad.yaml', 'sleepTable:\n  lines: |\n    foo_wait drivers/foo.c mutex_lock\n    oops\n'), /bad\.yaml: .*line 2 .*oops/);
  // The knowledge base finds a name by binary search: the lines must be sorted.
  assert.throws(() => parseRulesText('unsorted.yaml', 'sleepTable:\n  lines: |\n    kmalloc mm/slub.c might_sleep\n    foo_wait drivers/foo.c mutex_lock\n'), /line 2 \(foo_wait\) is not after kmalloc/);
});

test('a patch calling a table function under a spinlock is flagged in hunk-only mode; after the unlock it is not', async () => {
  const patch = (lockedCall: boolean) =>
    [
      'diff --git a/drivers/gpio/gpio-foo.c b/drivers/gpio/gpio-foo.c',
      'index 1111111..2222222 100644',
      '--- a/drivers/gpio/gpio-foo.c',
      '+++ b/drivers/gpio/gpio-foo.c',
      '@@ -1,2 +1,9 @@',
      ' #include <linux/gpio/machine.h>',
      '+static void foo_setup(struct foo *f)',
      '+{',
      '+	unsigned long flags;',
      '+	spin_lock_irqsave(&f->lock, flags);',
      ...(lockedCall ? ['+	gpiod_add_lookup_tables(f->tables, 1);', '+	spin_unlock_irqrestore(&f->lock, flags);'] : ['+	spin_unlock_irqrestore(&f->lock, flags);', '+	gpiod_add_lookup_tables(f->tables, 1);']),
      '+}',
      ' ',
      '',
    ].join('\n');
  const flagged = await runChecksOnPatch(patch(true), { checks: atomicSleepChecks });
  assert.deepEqual(flagged.map((f) => [f.ruleId, f.function, f.line]), [['atomic-sleep-in-atomic', 'foo_setup', 6]]);
  assert.match(flagged[0]!.message, /^gpiod_add_lookup_tables\(\) may sleep/);
  assert.deepEqual(await runChecksOnPatch(patch(false), { checks: atomicSleepChecks }), []);
});

test('a patch calling a PREEMPT_RT-only table function under a raw spinlock is flagged by atomic-sleep-rt-only; under a spinlock_t it is not', async () => {
  // __wake_up() takes the wait queue head's spinlock_t (kernel/sched/wait.c): an @rt line.
  const wake = (await loadKnowledgeBase()).primitive('__wake_up');
  assert.equal(wake?.family, 'sleep-db');
  assert.equal(wake?.sleepsOnRT, true);
  assert.equal(wake?.sleeps, undefined);
  const patch = (lock: 'raw_spin' | 'spin') =>
    [
      'diff --git a/drivers/misc/foo.c b/drivers/misc/foo.c',
      'index 1111111..2222222 100644',
      '--- a/drivers/misc/foo.c',
      '+++ b/drivers/misc/foo.c',
      '@@ -1,2 +1,10 @@',
      ' #include <linux/wait.h>',
      '+static void foo_kick(struct foo *f)',
      '+{',
      '+	unsigned long flags;',
      `+	${lock}_lock_irqsave(&f->lock, flags);`,
      '+	f->ready = 1;',
      '+	__wake_up(&f->wq, TASK_NORMAL, 1, NULL);',
      `+	${lock}_unlock_irqrestore(&f->lock, flags);`,
      '+}',
      ' ',
      '',
    ].join('\n');
  const flagged = await runChecksOnPatch(patch('raw_spin'), { checks: atomicSleepChecks });
  assert.deepEqual(flagged.map((f) => [f.ruleId, f.function, f.line]), [['atomic-sleep-rt-only', 'foo_kick', 7]]);
  assert.match(flagged[0]!.message, /^__wake_up\(\) \(Linux 6.12, kernel\/sched\/wait.c: on PREEMPT_RT -> __wake_up_common_lock\(\) -> spin_lock_irqsave\(\)\) takes a lock that sleeps on PREEMPT_RT/);
  // spinlock_t is itself a sleeping lock on RT, and on !RT __wake_up() does not sleep.
  assert.deepEqual(await runChecksOnPatch(patch('spin'), { checks: atomicSleepChecks }), []);
});
