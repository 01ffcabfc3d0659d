// The inbox loop: read what the archive gained since the last run, review each series once it is
// complete, deliver one reply per patch with findings, and remember all of it, so a re-run or a
// crash never reviews or replies twice and never loses a reply.
//
// Order of work, each step one transaction written to disk before the next begins:
//   1. scan: new commits of every epoch -> patch/cover messages stored as pending, cursor moved;
//   2. per complete series: review, render, and record series + planned replies + message status;
//   3. deliver planned replies (files, stdout, SMTP), recording each outcome as it happens.
// A reply is marked `sending` before SMTP is tried: if the process dies during the exchange the
// next run reports it as `unknown` instead of sending it a second time (at most once). Replies
// still `planned` (the process died before step 3) or `failed` for a passing reason (server down)
// are delivered by the next run (nothing lost). Reply Message-IDs are deterministic, so even a
// duplicate would thread and dedupe as one message.
//
// Test hooks, standing in for a crash in the middle of a run (never set them otherwise):
//   LOCKREVIEW_TEST_CRASH_AFTER=N   stop after the N-th series is fully done (reviewed, recorded,
//                                   delivered): by a thrown error, or with
//   LOCKREVIEW_TEST_CRASH_MODE=kill by SIGKILL (no cleanup at all: the lock file stays behind);
//   LOCKREVIEW_TEST_CRASH_IN_SEND=1 SIGKILL right after a reply was marked `sending`, before SMTP.

import type { Report, Series } from '../model/index.js';
import { ingestMessages, parseMessage } from '../ingest/index.js';
import { reviewSeries } from '../pipeline.js';
import { allChecks } from '../checks/index.js';
import type { Config } from '../config/index.js';
import { VERSION } from '../version.js';
import { addressOf, formatMbox, renderReplies, type EmailReply, type ReplyOptions } from '../render/email.js';
import { smtpSender, writeEml, type SmtpOptions, type SmtpSender } from '../post/smtp.js';
import { commitsSince, groupSeries, listEpochs, messageAt, patchMailInfo, senderOf, type SeriesGroup } from '../ingest/public-inbox.js';
import { DELIVERED, ReviewState, type StoredMessage, type StoredReply } from './store.js';

export interface InboxRunOptions {
  dir: string;
  statePath: string;
  /** Minutes after a series' first message after which it is reviewed even if incomplete. */
  waitMinutes: number;
  /** Send again findings already reported on an earlier revision. */
  resend: boolean;
  outDir: string | null;
  smtp: SmtpOptions | null;
  /** Print the replies on stdout as an mbox (when neither --out nor --send is given). */
  print: boolean;
  reply: Pick<ReplyOptions, 'from' | 'msgidDomain' | 'ccOriginal' | 'cc' | 'toOverride' | 'replyClean'>;
  config: Config;
  tree?: string;
  /** Start from the archive's current end on the first run instead of its beginning. */
  skipExisting?: boolean;
  now?: () => Date;
  /** Progress lines (stdout) and problems (stderr). */
  log: (line: string) => void;
  warn: (line: string) => void;
  write: (text: string) => void;
}

export interface InboxRunResult {
  messagesRead: number;
  patchMessages: number;
  seriesReviewed: number;
  seriesWaiting: number;
  replies: { written: number; sent: number; refused: number; failed: number; unknown: number };
  findings: number;
}

export async function runInbox(opts: InboxRunOptions): Promise<InboxRunResult> {
  const epochs = listEpochs(opts.dir);
  const now = opts.now ?? (() => new Date());
  const state = await ReviewState.open(opts.statePath);
  const result: InboxRunResult = {
    messagesRead: 0,
    patchMessages: 0,
    seriesReviewed: 0,
    seriesWaiting: 0,
    replies: { written: 0, sent: 0, refused: 0, failed: 0, unknown: 0 },
    findings: 0,
  };
  let sender: SmtpSender | null = null;
  const deliver = async (reply: StoredReply) => {
    if (opts.smtp && !sender) sender = smtpSender(opts.smtp);
    await deliverReply(state, reply, opts, sender, result);
  };
  try {
    // 0. Replies a previous run left undelivered.
    for (const r of state.replies({ status: ['sending'] })) {
      state.transaction(() => state.updateReply(r.messageId, { status: 'unknown', detail: 'the run sending it stopped mid-way; not sent again' }));
      opts.warn(`reply ${r.messageId}: an earlier run stopped while sending it; it may or may not have arrived, not sending it again`);
      result.replies.unknown++;
    }
    for (const r of state.replies({ status: ['planned', 'failed'] })) {
      if (r.status === 'failed' && r.attempts >= MAX_ATTEMPTS) continue;
      if (r.status === 'failed' && !opts.smtp) continue;
      await deliver(r);
    }

    // 1. Scan the epochs.
    for (const epoch of epochs) {
      const since = state.cursor(epoch.key);
      const commits = await commitsSince(epoch, since);
      if (!since && opts.skipExisting && commits.length) {
        state.transaction(() => state.setCursor(epoch.key, commits[commits.length - 1]!));
        opts.log(`inbox: epoch ${epoch.key}: starting after its ${commits.length} existing messages`);
        continue;
      }
      const BATCH = 200;
      for (let i = 0; i < commits.length; i += BATCH) {
        const batch = commits.slice(i, i + BATCH);
        const found: Array<{ commit: string; raw: Buffer }> = [];
        for (const c of batch) {
          const raw = await messageAt(epoch, c);
          if (raw) found.push({ commit: c, raw });
        }
        state.transaction(() => {
          for (const { commit, raw } of found) {
            result.messagesRead++;
            const info = patchMailInfo(raw);
            if (!info || state.hasMessage(info.messageId)) continue;
            result.patchMessages++;
            state.addMessage({ ...info, epoch: epoch.key, commit, firstSeen: now().getTime(), raw, seriesKey: null, status: 'pending' });
          }
          state.setCursor(epoch.key, batch[batch.length - 1]!);
        });
      }
    }

    // 2 + 3. Review complete series, oldest first.
    const pending = state.messages('pending');
    const groups = groupSeries(pending, state.reviewedMessageIndex());
    const firstSeen = new Map(pending.map((m) => [m.messageId, m.firstSeen]));
    const pendingById = new Map(pending.map((m) => [m.messageId, m]));
    const crashAfter = Number(process.env.LOCKREVIEW_TEST_CRASH_AFTER ?? 0);
    let done = 0;
    for (const group of groups) {
      const prior = state.series(group.key);
      if (prior) {
        // Mail for a series reviewed earlier (a patch that came after the wait ran out).
        state.transaction(() => state.markMessages(group.messages.map((m) => m.messageId), 'late', group.key));
        opts.log(`inbox: ${group.messages.length} late message(s) for the already reviewed series "${prior.subject}": not reviewed again`);
        continue;
      }
      const started = Math.min(...group.messages.map((m) => firstSeen.get(m.messageId) ?? now().getTime()));
      const waited = now().getTime() - started >= opts.waitMinutes * 60_000;
      if (!group.complete && !waited) {
        result.seriesWaiting++;
        continue;
      }
      const replies = await reviewGroup(state, group, pendingById, opts, now(), result);
      for (const r of replies) await deliver(r);
      done++;
      if (crashAfter > 0 && done >= crashAfter) {
        if (process.env.LOCKREVIEW_TEST_CRASH_MODE === 'kill') process.kill(process.pid, 'SIGKILL');
        throw new Error(`LOCKREVIEW_TEST_CRASH_AFTER=${crashAfter}: stopping after ${done} series (test hook)`);
      }
    }
  } finally {
    (sender as SmtpSender | null)?.close();
    state.close();
  }
  return result;
}

const MAX_ATTEMPTS = 5;

async function reviewGroup(
  state: ReviewState,
  group: SeriesGroup,
  pendingById: ReadonlyMap<string, StoredMessage>,
  opts: InboxRunOptions,
  date: Date,
  result: InboxRunResult,
): Promise<StoredReply[]> {
  const ids = group.messages.map((m) => m.messageId);
  const stored = ids.map((id) => pendingById.get(id)).filter((m): m is StoredMessage => !!m);
  const cover = stored.find((m) => m.index === 0);
  const first = cover ?? stored[0]!;
  const label = `"${first.subject}" v${group.version} (${group.messages.filter((m) => m.index > 0).length}/${group.total} patches)`;
  let report: Report | null = null;
  let seriesList: Series[] = [];
  let failure: string | null = null;
  const senders = new Map<string, string>();
  try {
    const source = `${opts.dir} <${first.messageId}>`;
    const raws = stored.map((m) => ({ id: m.messageId, raw: state.rawOf(m.messageId) ?? Buffer.alloc(0) }));
    for (const { id, raw } of raws) {
      const sender = senderOf(raw);
      if (sender) senders.set(id, sender);
    }
    const msgs = raws.map(({ id, raw }) => parseMessage(raw, `${source} ${id}`));
    const ingested = ingestMessages(msgs, source);
    seriesList = ingested.series;
    report = await reviewSeries(seriesList, { config: opts.config, tree: opts.tree }, [...ingested.notes]);
  } catch (err) {
    // One bad series must not stop the inbox: it is recorded as failed and not retried.
    if (err instanceof Error && /LOCKREVIEW_TEST_CRASH/.test(err.message)) throw err;
    failure = err instanceof Error ? err.message : String(err);
  }
  const author = first.author;
  const patchSubjects = stored.filter((m) => m.index > 0).map((m) => normaliseSubject(m.subject));
  const skip = opts.resend ? new Set<string>() : previouslyReported(state, author, normaliseSubject(first.subject), patchSubjects, group.version);
  const replies: EmailReply[] = report
    ? renderReplies(seriesList, report, { ...opts.reply, date, version: VERSION, checks: allChecks().map((c) => c.meta), skipFindingIds: skip, senders })
    : [];
  const findingIds = report ? [...new Set(report.findings.map((f) => f.id))] : [];
  const planned: StoredReply[] = replies
    .filter((r) => !state.hasReply(r.messageId))
    .map((r) => ({
      messageId: r.messageId,
      seriesKey: group.key,
      patchMessageId: r.patchMessageId,
      patchIndex: r.patchIndex,
      findingIds: r.findingIds,
      envelopeTo: [...r.to, ...r.cc].map(addressOf),
      raw: r.text,
      file: null,
      status: 'planned',
      attempts: 0,
      detail: null,
    }));
  state.transaction(() => {
    state.addSeries({
      seriesKey: group.key,
      subject: first.subject,
      author,
      version: group.version,
      total: group.total,
      patchSubjects,
      messageIds: ids,
      findingIds,
      status: failure ? 'failed' : 'reviewed',
      detail: failure ?? (group.complete ? null : `reviewed incomplete: missing ${group.missing.join(', ')}`),
      reviewedAt: date.getTime(),
    });
    for (const r of planned) state.addReply(r);
    state.markMessages(ids, 'reviewed', group.key);
  });
  result.seriesReviewed++;
  if (failure) {
    opts.warn(`inbox: ${label}: could not review: ${failure}`);
    return [];
  }
  const introduced = report!.findings.filter((f) => f.introduced).length;
  result.findings += introduced;
  const skipped = report!.findings.filter((f) => skip.has(f.id)).length;
  opts.log(
    `inbox: reviewed ${label}: ${introduced} finding(s), ${planned.length} repl${planned.length === 1 ? 'y' : 'ies'}` +
      (skipped ? `, ${skipped} already reported on an earlier revision` : '') +
      (group.complete ? '' : `, incomplete (missing ${group.missing.join(', ')})`),
  );
  return planned;
}

async function deliverReply(state: ReviewState, reply: StoredReply, opts: InboxRunOptions, sender: SmtpSender | null, result: InboxRunResult): Promise<void> {
  let file: string | null = null;
  if (opts.outDir) file = writeEml(opts.outDir, emlName(reply), reply.raw);
  if (opts.print) opts.write(formatMbox([{ from: fromOf(reply.raw), date: dateOf(reply.raw), text: reply.raw } as EmailReply]));
  if (!sender) {
    state.transaction(() => state.updateReply(reply.messageId, { status: 'written', file }));
    result.replies.written++;
    if (file) opts.log(`inbox: wrote ${file}`);
    return;
  }
  state.transaction(() => state.updateReply(reply.messageId, { status: 'sending', file, attempt: true }));
  if (process.env.LOCKREVIEW_TEST_CRASH_IN_SEND === '1') process.kill(process.pid, 'SIGKILL');
  const envelopeFrom = addressOf(opts.reply.from);
  const outcome = await sender.send({ messageId: reply.messageId, from: envelopeFrom, to: reply.envelopeTo, text: reply.raw });
  const status = outcome.error ? 'failed' : outcome.refused.length === 0 ? 'sent' : outcome.delivered ? 'partial' : 'refused';
  state.transaction(() => {
    for (const a of outcome.accepted) state.setRecipient(reply.messageId, a, 'accepted', null);
    for (const r of outcome.refused) state.setRecipient(reply.messageId, r.address, 'refused', r.response);
    state.updateReply(reply.messageId, { status, detail: outcome.error ?? (outcome.refused.length ? outcome.refused.map((r) => `${r.address}: ${r.response}`).join('; ') : null) });
  });
  for (const r of outcome.refused) {
    opts.warn(`inbox: reply ${reply.messageId}: recipient ${r.address} refused (${r.response.trim()}); recorded as not sent`);
  }
  if (outcome.error) {
    opts.warn(`inbox: reply ${reply.messageId}: not sent (${outcome.error}); the next run tries again`);
    result.replies.failed++;
  } else if (outcome.delivered) {
    result.replies.sent++;
    opts.log(`inbox: sent ${reply.messageId} to ${outcome.accepted.join(', ')}`);
  }
  if (outcome.refused.length) result.replies.refused++;
}

/** Finding ids already delivered for earlier revisions of the same series by the same author. */
function previouslyReported(state: ReviewState, author: string, subject: string, patchSubjects: readonly string[], version: number): Set<string> {
  const out = new Set<string>();
  const mine = new Set(patchSubjects);
  for (const s of state.seriesByAuthor(author)) {
    if (s.version >= version) continue;
    const related = normaliseSubject(s.subject) === subject || s.patchSubjects.some((p) => mine.has(p));
    if (!related) continue;
    for (const r of state.replies({ seriesKey: s.seriesKey, status: DELIVERED })) for (const id of r.findingIds) out.add(id);
  }
  return out;
}

function normaliseSubject(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

function emlName(reply: StoredReply): string {
  const local = reply.messageId.replace(/@.*$/, '').replace(/[^A-Za-z0-9._-]/g, '_');
  return `${String(reply.patchIndex).padStart(4, '0')}-${local}.eml`;
}

function fromOf(raw: string): string {
  return /^From: (.*)$/m.exec(raw)?.[1] ?? 'lockreview';
}

function dateOf(raw: string): Date {
  const d = new Date(/^Date: (.*)$/m.exec(raw)?.[1] ?? '');
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}
