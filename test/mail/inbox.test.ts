// `lockreview inbox` over a real public-inbox v2 archive built with git: each series is reviewed
// once across runs, a crash in the middle loses nothing and doubles nothing, a v2 is reviewed
// again, an incomplete series waits for --wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, ROOT } from '../helpers/cli.js';
import { ReviewState } from '../../src/state/index.js';
import { InboxBuilder, corpusMessage, plainMessage } from './inbox-builder.js';

const GPIO = 'gpiolib: fix the speed of descriptor label setting with SRCU';

/** Two complete series (a lone patch, and a 2-patch series with a cover letter across two epochs),
 *  a reviewer's reply, and one patch of a 623-patch stable series that never completes. */
async function buildArchive(): Promise<InboxBuilder> {
  const inbox = new InboxBuilder();
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH] ${GPIO}`, messageId: 'a1@example.org' }));
  await inbox.add(plainMessage({ subject: '[PATCH 0/2] KVM: x86: srcu fixes', messageId: 'b0@example.org' }, 'Two fixes for srcu usage.\n'));
  await inbox.add(
    corpusMessage('srcu-kvm-msr-filter-under-kvm-lock-fixed', {
      subject: '[PATCH 1/2] KVM: x86: Fix deadlock in kvm_vm_ioctl_set_msr_filter()',
      messageId: 'b1@example.org',
      inReplyTo: 'b0@example.org',
    }),
  );
  await inbox.add(
    plainMessage(
      { subject: `Re: [PATCH] ${GPIO}`, messageId: 'r1@example.org', inReplyTo: 'a1@example.org', from: 'Rita Reviewer <rita@example.org>' },
      '> [PATCH] gpiolib\n\nReviewed-by: Rita Reviewer <rita@example.org>\n',
    ),
  );
  await inbox.add(
    corpusMessage('srcu-kvm-hv-invalidate-tsc-page-no-srcu-fixed', {
      subject: '[PATCH 2/2] KVM: X86: hyper-v: Take srcu lock when accessing kvm_memslots()',
      messageId: 'b2@example.org',
      inReplyTo: 'b0@example.org',
    }),
    1,
  );
  await inbox.add(
    corpusMessage('atomic-sleep-xfrm-state-lookup-get-cpu-spinlock-fixed', {
      subject: "[PATCH 6.13 512/623] xfrm: Dont disable preemption while looking up cache state.",
      messageId: 'c512@example.org',
      inReplyTo: 'c0@example.org',
    }),
    1,
  );
  return inbox;
}

function emls(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
}

async function stateOf(path: string) {
  const state = await ReviewState.open(path);
  try {
    return { series: state.allSeries(), replies: state.replies(), pending: state.messages('pending') };
  } finally {
    state.close();
  }
}

function header(text: string, name: string): string | null {
  const m = new RegExp(`^${name}: (.*(?:\\n .*)*)`, 'mi').exec(text);
  return m ? m[1]!.replace(/\n /g, ' ') : null;
}

test('inbox: each complete series reviewed once across runs; a v2 is reviewed again; an incomplete one waits', async () => {
  const inbox = await buildArchive();
  const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const statePath = join(inbox.dir, '.lockreview-state.sqlite');
  const args = ['inbox', inbox.dir, '--out', out, '--reply-clean', '--wait', '60', '--msgid-domain', 'bot.example.org'];

  const first = runCli(args);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, '', 'with --out nothing goes to stdout');
  let st = await stateOf(statePath);
  assert.deepEqual(st.series.map((s) => s.subject).sort(), [GPIO, 'KVM: x86: srcu fixes'].sort());
  const kvm = st.series.find((s) => s.subject.startsWith('KVM'))!;
  assert.deepEqual([...kvm.messageIds].sort(), ['b0@example.org', 'b1@example.org', 'b2@example.org'], 'the series spans both epochs');
  assert.equal(st.pending.length, 1, 'the stable patch 512/623 waits');
  assert.equal(st.pending[0]!.messageId, 'c512@example.org');
  // One reply per patch (not for the cover letter, not for the reviewer's reply).
  const files = emls(out);
  assert.equal(files.length, 3);
  const replies = files.map((f) => readFileSync(join(out, f), 'utf8'));
  const answered = replies.map((r) => header(r, 'In-Reply-To')).sort();
  assert.deepEqual(answered, ['<a1@example.org>', '<b1@example.org>', '<b2@example.org>']);
  for (const r of replies) {
    assert.match(header(r, 'Message-ID')!, /^<lockreview-[0-9a-f]+@bot\.example\.org>$/);
    assert.match(header(r, 'Subject')!, /^Re: \[PATCH/);
    assert.match(header(r, 'To')!, /^[^,]+ <[^<>@]+@[^<>]+>$/, 'To: the patch author');
  }
  const b2 = replies.find((r) => header(r, 'In-Reply-To') === '<b2@example.org>')!;
  assert.equal(header(b2, 'References'), '<b0@example.org> <b2@example.org>');
  assert.equal(st.replies.length, 3);
  assert.ok(st.replies.every((r) => r.status === 'written'));

  // Second run, nothing new: nothing reviewed, nothing written.
  const second = runCli(args);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /0 new message\(s\).*0 series reviewed/);
  assert.equal(emls(out).length, 3);
  st = await stateOf(statePath);
  assert.equal(st.series.length, 2);
  assert.equal(st.replies.length, 3);

  // A v2 of the lone patch, threaded to v1: a new revision is reviewed again.
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH v2] ${GPIO}`, messageId: 'a2@example.org', inReplyTo: 'a1@example.org' }), 1);
  const third = runCli(args);
  assert.equal(third.status, 0, third.stderr);
  st = await stateOf(statePath);
  assert.equal(st.series.length, 3);
  const v2 = st.series.find((s) => s.version === 2)!;
  assert.deepEqual(v2.messageIds, ['a2@example.org']);
  assert.equal(emls(out).length, 4);
  assert.ok(emls(out).some((f) => header(readFileSync(join(out, f), 'utf8'), 'In-Reply-To') === '<a2@example.org>'));

  // --wait 0: the incomplete stable series is reviewed now, and said to be incomplete.
  const fourth = runCli(['inbox', inbox.dir, '--out', out, '--reply-clean', '--wait', '0', '--msgid-domain', 'bot.example.org']);
  assert.equal(fourth.status, 0, fourth.stderr);
  assert.match(fourth.stderr, /incomplete \(missing 1, 2, 3/);
  st = await stateOf(statePath);
  assert.equal(st.series.length, 4);
  assert.equal(st.pending.length, 0);
  assert.match(st.series.find((s) => s.total === 623)!.detail ?? '', /reviewed incomplete/);
});

test('inbox: a crash after the first series loses nothing and doubles nothing', async () => {
  const inbox = await buildArchive();
  // Reference run, uninterrupted, on its own state.
  const refOut = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const ref = runCli(['inbox', inbox.dir, '--out', refOut, '--reply-clean', '--state', join(refOut, 'state.sqlite')]);
  assert.equal(ref.status, 0, ref.stderr);

  const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const statePath = join(out, 'state.sqlite');
  const args = ['inbox', inbox.dir, '--out', out, '--reply-clean', '--state', statePath];
  const crashed = runCli(args, { env: { LOCKREVIEW_TEST_CRASH_AFTER: '1' } });
  assert.equal(crashed.status, 3, 'the injected failure is an internal error');
  assert.match(crashed.stderr, /LOCKREVIEW_TEST_CRASH_AFTER/);
  let st = await stateOf(statePath);
  assert.equal(st.series.length, 1, 'the first series was recorded before the crash');
  const afterCrash = emls(out);
  assert.ok(afterCrash.length >= 1);
  assert.ok(st.replies.every((r) => r.status === 'written'), 'the replies of the finished series were delivered');

  const rerun = runCli(args);
  assert.equal(rerun.status, 0, rerun.stderr);
  st = await stateOf(statePath);
  assert.equal(st.series.length, 2);
  assert.equal(new Set(st.series.map((s) => s.seriesKey)).size, 2);
  assert.equal(st.replies.length, 3);
  assert.deepEqual(emls(out), emls(refOut), 'the same replies as an uninterrupted run, each once');
  for (const f of emls(out)) assert.equal(readFileSync(join(out, f), 'utf8').replace(/^Date: .*$/m, ''), readFileSync(join(refOut, f), 'utf8').replace(/^Date: .*$/m, ''));

  // A third run after the recovery does nothing.
  const again = runCli(args);
  assert.equal(again.status, 0, again.stderr);
  assert.equal((await stateOf(statePath)).replies.length, 3);
});

test('inbox: killed with SIGKILL after the first series: the stale lock is taken over, nothing lost or doubled', async () => {
  const inbox = await buildArchive();
  const refOut = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const ref = runCli(['inbox', inbox.dir, '--out', refOut, '--reply-clean', '--state', join(refOut, 'state.sqlite')]);
  assert.equal(ref.status, 0, ref.stderr);

  const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const statePath = join(out, 'state.sqlite');
  const args = ['inbox', inbox.dir, '--out', out, '--reply-clean', '--state', statePath];
  const killed = runCli(args, { env: { LOCKREVIEW_TEST_CRASH_AFTER: '1', LOCKREVIEW_TEST_CRASH_MODE: 'kill' } });
  assert.equal(killed.status, -1, `expected death by SIGKILL: ${killed.stderr}`);
  assert.ok(existsSync(`${statePath}.lock`), 'a killed run leaves its lock behind');
  assert.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp')), [], 'no temporary file left half-written');

  const rerun = runCli(args);
  assert.equal(rerun.status, 0, rerun.stderr);
  const st = await stateOf(statePath);
  assert.equal(st.series.length, 2);
  assert.equal(st.replies.length, 3);
  assert.deepEqual(emls(out), emls(refOut));
  assert.ok(!existsSync(`${statePath}.lock`));
});

test('inbox: a series that cannot be read is recorded as failed, once, and the others go on', async () => {
  const inbox = new InboxBuilder();
  await inbox.add(
    plainMessage(
      { subject: '[PATCH] x: truncated', messageId: 'broken@example.org' },
      'fix x\n---\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,5 +1,5 @@\n-foo\n+bar',
    ),
  );
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH] ${GPIO}`, messageId: 'a1@example.org' }));
  const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const statePath = join(out, 'state.sqlite');
  const args = ['inbox', inbox.dir, '--out', out, '--state', statePath, '--reply-clean'];
  const r = runCli(args);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /could not review: .*truncated or corrupt hunk/);
  let st = await stateOf(statePath);
  assert.deepEqual(st.series.map((s) => s.status).sort(), ['failed', 'reviewed']);
  assert.match(st.series.find((s) => s.status === 'failed')!.detail!, /truncated or corrupt hunk/);
  assert.equal(emls(out).length, 1);
  const again = runCli(args);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /could not review/);
  st = await stateOf(statePath);
  assert.equal(st.series.length, 2);
});

test("inbox: a patch posted by someone else than its author answers the author and Cc's the sender", async () => {
  const inbox = new InboxBuilder();
  // The corpus mail carries an in-body "From: Bartosz ..." line: the patch's author.
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH] ${GPIO}`, messageId: 'a1@example.org', from: 'Stable Poster <poster@example.org>', to: 'list@example.org' }));
  const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
  const r = runCli(['inbox', inbox.dir, '--out', out, '--state', join(out, 'state.sqlite'), '--reply-clean']);
  assert.equal(r.status, 0, r.stderr);
  const [file] = emls(out);
  const reply = readFileSync(join(out, file!), 'utf8');
  assert.match(header(reply, 'To')!, /bartosz/i);
  assert.equal(header(reply, 'Cc'), 'Stable Poster <poster@example.org>, list@example.org');
});

test('inbox: without --out or --send the replies go to stdout as an mbox', async () => {
  const inbox = new InboxBuilder();
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH] ${GPIO}`, messageId: 'a1@example.org' }));
  const r = runCli(['inbox', inbox.dir, '--reply-clean']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^From lockreview@lockreview\.invalid /);
  assert.match(r.stdout, /^In-Reply-To: <a1@example\.org>$/m);
});

test('inbox: bad directory and a state in use are one-line input errors', async () => {
  const r = runCli(['inbox', join(tmpdir(), 'no-such-inbox-dir')]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /no-such-inbox-dir: not a directory/);

  const empty = mkdtempSync(join(tmpdir(), 'lockreview-empty-'));
  const e = runCli(['inbox', empty]);
  assert.equal(e.status, 2);
  assert.match(e.stderr, /not a public-inbox archive/);

  // A state whose lock is held by a live process (this test runner) is refused, not shared.
  const inbox = new InboxBuilder();
  await inbox.add(corpusMessage('srcu-gpiolib-label-sync-srcu-hotpath-fixed', { subject: `[PATCH] ${GPIO}`, messageId: 'a1@example.org' }));
  const statePath = join(inbox.dir, 'busy.sqlite');
  writeFileSync(`${statePath}.lock`, `${process.pid}\n`);
  const busy = runCli(['inbox', inbox.dir, '--state', statePath]);
  assert.equal(busy.status, 2);
  assert.match(busy.stderr, /in use by another lockreview run \(pid \d+/);
  // A lock left by a dead process is taken over.
  writeFileSync(`${statePath}.lock`, '999999999\n');
  const taken = runCli(['inbox', inbox.dir, '--state', statePath, '--reply-clean']);
  assert.equal(taken.status, 0, taken.stderr);
  assert.equal((await stateOf(statePath)).series.length, 1);
});

/** The rmap bit-lock patch (a real bitlock finding) as list mail with the given subject and id. */
function rmapMessage(subject: string, messageId: string, inReplyTo?: string): string {
  const raw = readFileSync(join(ROOT, 'test/fixtures/mail/rmap-bitlock.mbox'), 'utf8').replace(/^From [^\n]*\n/, '');
  const split = raw.indexOf('\n\n');
  const head = raw
    .slice(0, split)
    .replace(/\n[ \t]+/g, ' ')
    .split('\n')
    .filter((l) => !/^(subject|message-id|in-reply-to|references):/i.test(l));
  head.push(`Subject: ${subject}`, `Message-ID: <${messageId}>`);
  if (inReplyTo) head.push(`In-Reply-To: <${inReplyTo}>`, `References: <${inReplyTo}>`);
  return `${head.join('\n')}${raw.slice(split)}`;
}

test('inbox: findings of a v2 that match v1 are not sent again, unless --resend', async () => {
  const RMAP = 'KVM: x86/mmu: Add a per-rmap spinlock in a bit of the rmap entry';
  for (const resend of [false, true]) {
    const inbox = new InboxBuilder();
    await inbox.add(rmapMessage(`[PATCH] ${RMAP}`, 'rmap-v1@example.org'));
    const out = mkdtempSync(join(tmpdir(), 'lockreview-out-'));
    const statePath = join(out, 'state.sqlite');
    const args = ['inbox', inbox.dir, '--out', out, '--state', statePath, ...(resend ? ['--resend'] : [])];
    const first = runCli(args);
    assert.equal(first.status, 0, first.stderr);
    let st = await stateOf(statePath);
    assert.equal(st.replies.length, 1, 'v1 has a finding: one reply');
    const v1Findings = st.replies[0]!.findingIds;
    assert.ok(v1Findings.length >= 1);

    await inbox.add(rmapMessage(`[PATCH v2] ${RMAP}`, 'rmap-v2@example.org', 'rmap-v1@example.org'));
    const second = runCli(args);
    assert.equal(second.status, 0, second.stderr);
    st = await stateOf(statePath);
    assert.equal(st.series.length, 2, 'v2 is reviewed as a series of its own');
    const v2 = st.series.find((s) => s.version === 2)!;
    assert.deepEqual(v2.findingIds.filter((id) => v1Findings.includes(id)).sort(), [...v1Findings].sort(), 'same problem, same finding ids');
    if (resend) {
      assert.equal(st.replies.length, 2);
      assert.equal(header(readFileSync(join(out, emls(out).find((f) => readFileSync(join(out, f), 'utf8').includes('<rmap-v2@example.org>'))!), 'utf8'), 'In-Reply-To'), '<rmap-v2@example.org>');
    } else {
      assert.equal(st.replies.length, 1, 'nothing new to say about v2');
      assert.match(second.stderr, /already reported on an earlier revision/);
    }
  }
});
