import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planReview, decodeMarker, findingIdOfComment, type PriorReviews } from '../../src/render/github-review.js';
import { renderMermaidSequence } from '../../src/render/mermaid.js';
import { report, rmapFinding } from './sample-report.js';

const HEAD1 = '1'.repeat(40);
const HEAD2 = '2'.repeat(40);
const none: PriorReviews = { states: [], commented: new Set() };
const diffLines = new Map([['arch/x86/kvm/mmu/mmu.c', new Set([38, 39, 40, 41, 42, 43, 44, 60, 61])]]);

/** What GitHub would hold after a plan was posted: the review body and the inline comments. */
function afterPosting(prev: PriorReviews, plan: ReturnType<typeof planReview>): PriorReviews {
  const state = decodeMarker(plan.body);
  assert.ok(state, 'the body carries a decodable marker');
  const commented = new Set(prev.commented);
  for (const c of plan.comments) commented.add(findingIdOfComment(c.body)!);
  return { states: [...prev.states, state], commented };
}

test('first review: summary with counts, table, reproduction details, Mermaid and litmus; inline comment on the exact line', () => {
  const plan = planReview({ report: report([rmapFinding()]), headSha: HEAD1, commentable: diffLines, prior: none });
  assert.equal(plan.post, true);
  assert.match(plan.body, /^<!-- lockreview:review v1 head=1{40} state=[A-Za-z0-9_-]+ -->\n## lockreview: 1 locking finding\n/);
  assert.match(plan.body, /\| bitlock \| 1 \| 1 \| 0 \| 0 \|/);
  assert.match(plan.body, /\| new \| warning \| `bitlock-unlock-without-release` \| `arch\/x86\/kvm\/mmu\/mmu\.c:42` \(patch 1\) \|/);
  assert.match(plan.body, /<details><summary><code>bitlock-unlock-without-release<\/code> at <code>arch\/x86\/kvm\/mmu\/mmu\.c:42<\/code>/);
  assert.match(plan.body, /```mermaid\nsequenceDiagram\n    participant P0 as CPU0\n    participant P1 as CPU1\n/);
  assert.match(plan.body, /```c\nC rmap-unlock-without-release\n[\s\S]*exists \(1:r0=0 \/\\ 1:r1=0\)\n```/);
  assert.match(plan.body, /verdict lockreview-lkmm: Sometimes, the bad outcome is allowed/);
  assert.match(plan.body, /finding id <code>a1b2c3d4e5f60718<\/code>/);
  assert.equal(plan.comments.length, 1);
  const c = plan.comments[0]!;
  assert.deepEqual({ path: c.path, line: c.line, side: c.side, start_line: c.start_line }, { path: 'arch/x86/kvm/mmu/mmu.c', line: 42, side: 'RIGHT', start_line: undefined });
  assert.equal('position' in c, false);
  assert.equal(findingIdOfComment(c.body), 'a1b2c3d4e5f60718');
  assert.match(c.body, /^\*\*warning\*\*: bit lock KVM_RMAP_LOCKED/);
});

test('a range inside one hunk becomes a multi-line comment; a finding off the diff goes to the summary only', () => {
  const ranged = rmapFinding({ id: 'r1', line: 40, endLine: 43 });
  const across = rmapFinding({ id: 'r2', line: 44, endLine: 60 }); // spans two hunks: first line only
  const outside = rmapFinding({ id: 'r3', line: 200, endLine: 200, introduced: false });
  const plan = planReview({ report: report([ranged, across, outside]), headSha: HEAD1, commentable: diffLines, prior: none });
  const byId = new Map(plan.comments.map((c) => [findingIdOfComment(c.body), c]));
  assert.deepEqual({ ...byId.get('r1'), body: '' }, { path: 'arch/x86/kvm/mmu/mmu.c', start_line: 40, start_side: 'RIGHT', line: 43, side: 'RIGHT', body: '' });
  assert.deepEqual({ ...byId.get('r2'), body: '' }, { path: 'arch/x86/kvm/mmu/mmu.c', line: 44, side: 'RIGHT', body: '' });
  assert.equal(byId.has('r3'), false);
  assert.match(plan.body, /`arch\/x86\/kvm\/mmu\/mmu\.c:200` \(patch 1\) — not on a diff line/);
  assert.match(plan.body, /\(pre-existing\)/);
  assert.match(plan.body, /1 finding is not on a line of this diff/);
  assert.equal(plan.counts.outsideDiff, 1);
});

test('a re-run on the same head with the same findings plans nothing', () => {
  const r = report([rmapFinding()]);
  const first = planReview({ report: r, headSha: HEAD1, commentable: diffLines, prior: none });
  const again = planReview({ report: r, headSha: HEAD1, commentable: diffLines, prior: afterPosting(none, first) });
  assert.equal(again.post, false);
  assert.equal(again.comments.length, 0);
});

test('a new push: gone findings are resolved, surviving ones get no second comment, new ones are added', () => {
  const a = rmapFinding({ id: 'gone', line: 38, message: 'old problem' });
  const b = rmapFinding({ id: 'stays', line: 42 });
  const first = planReview({ report: report([a, b]), headSha: HEAD1, commentable: diffLines, prior: none });
  const prior = afterPosting(none, first);
  const c = rmapFinding({ id: 'fresh', line: 61, ruleId: 'bitlock-lock-without-acquire' });
  const second = planReview({ report: report([{ ...b, line: 43 }, c]), headSha: HEAD2, commentable: diffLines, prior });
  assert.equal(second.post, true);
  assert.deepEqual(second.comments.map((x) => findingIdOfComment(x.body)), ['fresh']);
  assert.deepEqual(second.counts, { new: 1, surviving: 1, resolved: 1, outsideDiff: 0, suppressed: 0 });
  assert.match(second.body, /### Resolved since the previous review\n\n- ~~warning: `bitlock-unlock-without-release` at `arch\/x86\/kvm\/mmu\/mmu\.c:38`: old problem~~ resolved or outdated/);
  assert.match(second.body, /\| still present \| warning \| `bitlock-unlock-without-release` \| `arch\/x86\/kvm\/mmu\/mmu\.c:43`/);
  assert.match(second.body, /\| new \| warning \| `bitlock-lock-without-acquire`/);
  assert.match(second.body, /Compared with the previous review of `222222222222`|Compared with the previous review of `111111111111`/);
  // And the same push again: nothing.
  const third = planReview({ report: report([{ ...b, line: 43 }, c]), headSha: HEAD2, commentable: diffLines, prior: afterPosting(prior, second) });
  assert.equal(third.post, false);
});

test('no findings and no earlier review: nothing to post; all findings fixed: a review that says so', () => {
  assert.equal(planReview({ report: report([]), headSha: HEAD1, commentable: diffLines, prior: none }).post, false);
  const first = planReview({ report: report([rmapFinding()]), headSha: HEAD1, commentable: diffLines, prior: none });
  const fixed = planReview({ report: report([]), headSha: HEAD2, commentable: diffLines, prior: afterPosting(none, first) });
  assert.equal(fixed.post, true);
  assert.match(fixed.body, /## lockreview: no locking findings/);
  assert.match(fixed.body, /Resolved since the previous review/);
});

test('inline comments are capped; the rest stay in the summary', () => {
  const many = [38, 39, 40, 41].map((line) => rmapFinding({ id: `m${line}`, line, endLine: line }));
  const plan = planReview({ report: report(many), headSha: HEAD1, commentable: diffLines, prior: none, maxComments: 2 });
  assert.equal(plan.comments.length, 2);
  assert.equal((plan.body.match(/no inline comment \(limit reached\)/g) ?? []).length, 2);
});

test('analysis notes go into a collapsed block of the summary', () => {
  const plan = planReview({ report: report([rmapFinding()], { notes: ['analysis: hunks only <no tree>'] }), headSha: HEAD1, commentable: diffLines, prior: none });
  assert.match(plan.body, /<details><summary>Analysis notes<\/summary>\n\n- analysis: hunks only &lt;no tree&gt;\n/);
});

test('marker state survives hostile message text', () => {
  const f = rmapFinding({ message: 'closes --> the comment <!-- and | pipes' });
  const plan = planReview({ report: report([f]), headSha: HEAD1, commentable: diffLines, prior: none });
  assert.equal(decodeMarker(plan.body)!.findings[0]!.message, 'closes --> the comment <!-- and | pipes');
  assert.match(plan.body, /closes --&gt; the comment &lt;!-- and \\\| pipes/);
});

test('mermaid: one participant per CPU, steps as notes in order, C punctuation escaped', () => {
  const m = renderMermaidSequence(rmapFinding().reproduction.interleaving!);
  const lines = m.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['sequenceDiagram', '    participant P0 as CPU0', '    participant P1 as CPU1']);
  assert.equal(lines[3], '    Note over P0: desc->sptes[i] = spte#59; (line 40)');
  assert.equal(lines[4], '    Note over P0: WRITE_ONCE(rmap_head->val, new_val)#59; (line 42)');
  assert.equal(lines[5], '    Note right of P0: not ordered after the store above');
  assert.equal(lines.at(-1), '    Note over P0,P1: CPU1 walks a pte_list_desc CPU0 has not finished writing');
  assert.ok(!lines.slice(1).some((l) => l.replace(/#\w+;/g, '').includes(';')), 'no bare statement separator');
});
