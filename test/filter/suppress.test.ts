// In-code suppressions: the comment syntax, which lines a comment covers, the stage over a series
// (hunk text) and over scanned files (disk text), the misuse findings, --strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSuppressions, linesOf, covers, suppressFindings, seriesSuppressionText, diskSuppressionText, RULE_UNUSED, RULE_WITHOUT_REASON } from '../../src/filter/index.js';
import { parseDiff } from '../../src/diff/index.js';
import type { Finding, Patch, Series } from '../../src/model/index.js';

function finding(over: Partial<Finding>): Finding {
  return {
    id: `f-${over.line ?? 0}-${over.ruleId ?? ''}`,
    ruleId: 'bitlock-unlock-without-release',
    class: 'bitlock',
    severity: 'error',
    file: 'arch/x86/kvm/mmu/mmu.c',
    line: 1,
    endLine: 1,
    function: null,
    patch: 1,
    introduced: true,
    message: 'm',
    reproduction: { interleaving: null, litmus: null, verdict: null, chain: null, splat: null, configs: null },
    ...over,
  };
}

/** A one-patch series adding `lines` as a new file (post-image line i+1 = lines[i]). */
function seriesAdding(file: string, lines: string[]): Series {
  const diff = `diff --git a/${file} b/${file}\nnew file mode 100644\n--- /dev/null\n+++ b/${file}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}\n`).join('')}`;
  const { files, diffText } = parseDiff(diff, { input: 'test' });
  const patch: Patch = {
    index: 1, total: 1, subject: 's', rawSubject: '[PATCH] s', messageId: null, inReplyTo: null, references: [], from: null,
    date: null, to: [], cc: [], description: '', commit: null, files, diffText,
  };
  return { subject: 's', messageId: null, version: 1, prefixes: [], cover: null, baseCommit: null, patches: [patch], missing: [], notes: [], source: 'test' };
}

test('comment forms: //, /* */, several rules, reason after --, multi-line block', () => {
  const text = linesOf(
    [
      'a(); // lockreview: ignore bitlock-unlock-without-release -- released by the caller with smp_store_release()', // 1
      '/* lockreview: ignore srcu, lock-order -- documented in locking.rst */', // 2
      'b();', // 3
      '/*', // 4
      ' * lockreview: ignore seqcount-write-without-irq-off --', // 5
      ' *   only called from the irq handler,', // 6
      ' *   irqs are off', // 7
      ' */', // 8
      'c();', // 9
      '/* lockreview: ignore bitlock */', // 10
      'printk("lockreview: ignore bitlock -- not a comment");', // 11
      '// lockreview: ignore', // 12  (names nothing: prose)
    ].join('\n'),
  );
  const s = findSuppressions(text);
  assert.deepEqual(
    s.map((x) => [x.rules, x.reason, x.line, x.endLine]),
    [
      [['bitlock-unlock-without-release'], 'released by the caller with smp_store_release()', 1, 1],
      [['srcu', 'lock-order'], 'documented in locking.rst', 2, 2],
      [['seqcount-write-without-irq-off'], 'only called from the irq handler, irqs are off', 4, 8],
      [['bitlock'], null, 10, 10],
    ],
  );
  assert.ok(covers(s[0]!, 1) && covers(s[0]!, 2), 'on the line, and the line below');
  assert.ok(!covers(s[1]!, 1) && covers(s[1]!, 3) && !covers(s[1]!, 4), 'a comment covers the line after it only');
  assert.ok(covers(s[2]!, 9) && !covers(s[2]!, 10), 'a block ending just above the flagged line covers it');
});

test('series (hunk text): a covered finding is marked suppressed, others untouched', async () => {
  const file = 'arch/x86/kvm/mmu/mmu.c';
  const series = seriesAdding(file, [
    'static void kvm_rmap_unlock(struct kvm_rmap_head *rmap_head, unsigned long v)', // 1
    '{', // 2
    '\t/* lockreview: ignore bitlock-unlock-without-release -- x86 only: TSO orders the stores */', // 3
    '\tWRITE_ONCE(rmap_head->val, v & ~KVM_RMAP_LOCKED);', // 4
    '\tother_store(rmap_head);', // 5  (not covered: two lines below the comment)
    '}', // 6
  ]);
  const hit = finding({ file, line: 4 });
  const otherRule = finding({ file, line: 4, ruleId: 'srcu-sync-in-read-side', class: 'srcu' });
  const below = finding({ file, line: 5 });
  const r = await suppressFindings([hit, otherRule, below], seriesSuppressionText([series], null));
  assert.deepEqual(r.findings[0]!.suppressed, { reason: 'x86 only: TSO orders the stores', line: 3 });
  assert.equal(r.findings[1]!.suppressed, undefined, 'a different rule is not suppressed');
  assert.equal(r.findings[2]!.suppressed, undefined, 'two lines below the comment is not covered');
  assert.deepEqual(r.misuse, []);
});

test('a class name suppresses every check of the class', async () => {
  const file = 'kernel/x.c';
  const series = seriesAdding(file, ['\tclear_bit(0, &w); /* lockreview: ignore bitlock -- test-only helper */']);
  const r = await suppressFindings([finding({ file, line: 1, ruleId: 'bitlock-relaxed-acquire' })], seriesSuppressionText([series], null));
  assert.equal(r.findings[0]!.suppressed?.reason, 'test-only helper');
});

test('no reason: still suppresses, and is itself a warning with the class of the rule', async () => {
  const file = 'kernel/x.c';
  const series = seriesAdding(file, ['\t// lockreview: ignore bitlock-unlock-without-release', '\tWRITE_ONCE(w->val, 0);']);
  const r = await suppressFindings([finding({ file, line: 2 })], seriesSuppressionText([series], null));
  assert.deepEqual(r.findings[0]!.suppressed, { reason: '', line: 1 });
  assert.equal(r.misuse.length, 1);
  const w = r.misuse[0]!;
  assert.equal(w.ruleId, RULE_WITHOUT_REASON);
  assert.equal(w.severity, 'warning');
  assert.equal(w.class, 'bitlock');
  assert.deepEqual([w.file, w.line, w.patch], [file, 1, 1]);
  assert.match(w.message, /lockreview: ignore bitlock-unlock-without-release -- <why/);
});

test('--strict reports suppressions the series added that matched nothing; without it they are silent', async () => {
  const file = 'fs/afs/server.c';
  const series = seriesAdding(file, [
    '\t/* lockreview: ignore seqcount-read-without-retry -- stale */', // 1
    '\tread_seqbegin_or_lock(&s, &seq);', // 2
    '\t/* lockreview: ignore bitlok -- typo in the id */', // 3
    '\tx();', // 4
  ]);
  const text = seriesSuppressionText([series], null);
  assert.deepEqual((await suppressFindings([], text)).misuse, []);
  const strict = await suppressFindings([], text, { strict: true });
  assert.deepEqual(strict.misuse.map((f) => [f.ruleId, f.line, f.class]), [
    [RULE_UNUSED, 1, 'seqcount'],
    [RULE_UNUSED, 3, 'lock-order'],
  ]);
  assert.match(strict.misuse[1]!.message, /no check or class is named 'bitlok'/);
  // A used one is not reported.
  const used = await suppressFindings([finding({ file, line: 2, ruleId: 'seqcount-read-without-retry', class: 'seqcount' })], text, { strict: true });
  assert.deepEqual(used.misuse.map((f) => f.line), [3]);
});

test('scan mode reads the file from disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-supp-'));
  const path = join(dir, 'x.c');
  writeFileSync(path, 'void f(void)\n{\n\tspin_lock(&l); // lockreview: ignore atomic-sleep -- GFP_ATOMIC in practice\n\tkmalloc(n, gfp);\n}\n');
  const r = await suppressFindings([finding({ file: path, line: 4, patch: null, ruleId: 'atomic-sleep-in-spinlock', class: 'atomic-sleep' })], diskSuppressionText());
  assert.deepEqual(r.findings[0]!.suppressed, { reason: 'GFP_ATOMIC in practice', line: 3 });
});
