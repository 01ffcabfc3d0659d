// Email renderer: findings -> review replies in the kernel lists' own style. Pure: the date, our
// address and the check metadata come in as arguments, so the same input always gives the same
// bytes (golden tests, and a re-run produces the same Message-ID, which lists and MUAs dedupe).
//
// One reply per patch that has findings the patch introduced. Each finding is a quote of the few
// hunk lines around it (`> ` prefix, `[ ... ]` for what was cut), the comment right under the
// flagged line, then the reproduction. Prose is wrapped at 72 columns; quoted code, interleaving
// tables, litmus tests and splats are never re-wrapped (a maintainer pastes them).

import { createHash } from 'node:crypto';
import type { CheckMeta, DiffLine, FileDiff, Finding, Hunk, InterleavingStep, Patch, Report, Series } from '../model/index.js';
import { byCodeUnit, findingCounts } from '../model/index.js';

export interface ReplyOptions {
  /** Our From: "lockreview <lockreview@example.org>". */
  from: string;
  /** Right-hand side of our Message-IDs. */
  msgidDomain: string;
  date: Date;
  /** lockreview's version, for the footer. */
  version: string;
  /** Cc the patch's original To and Cc (default true). */
  ccOriginal?: boolean;
  /** Extra Cc addresses. */
  cc?: string[];
  /** Send every reply to these addresses instead of the author and the list (testing a setup). */
  toOverride?: string[] | null;
  /** Also reply to patches without findings. */
  replyClean?: boolean;
  /** Who sent each patch mail (Message-ID -> mailbox) when that is not the patch's author (a
   *  maintainer or stable reviewer posting someone's patch): Cc'd with the original To/Cc. */
  senders?: ReadonlyMap<string, string>;
  /** Finding ids already reported on an earlier revision: left out of the replies. */
  skipFindingIds?: ReadonlySet<string>;
  /** Metadata of the checks, for the rule's explanation under each comment. */
  checks?: readonly CheckMeta[];
}

export interface EmailReply {
  messageId: string; // without angle brackets
  inReplyTo: string | null;
  references: string[];
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  date: Date;
  /** The patch answered (index in its series, and its Message-ID). */
  patchIndex: number;
  patchMessageId: string | null;
  patchSubject: string;
  findingIds: string[];
  /** The whole RFC 5322 message, LF line endings, UTF-8. */
  text: string;
}

const PROSE_WIDTH = 72;
const CONTEXT_BEFORE = 3; // hunk lines quoted above a flagged line
const SIGNATURE_REACH = 15; // how far up to look for the function's first line

/** Findings that belong in a reply: introduced by the patch, not suppressed, not triaged away. */
export function replyableFindings(findings: readonly Finding[], skip?: ReadonlySet<string>): Finding[] {
  return findings.filter((f) => f.introduced && findingCounts(f) && !(skip?.has(f.id) ?? false));
}

/** All replies for a report: one per patch with findings (or every patch with replyClean). */
export function renderReplies(seriesList: readonly Series[], report: Report, opts: ReplyOptions): EmailReply[] {
  const byPatch = new Map<Patch, Finding[]>();
  const reportedBefore = new Set<Patch>();
  for (const f of replyableFindings(report.findings)) {
    const patch = patchOf(seriesList, f);
    if (!patch) continue;
    if (opts.skipFindingIds?.has(f.id)) {
      reportedBefore.add(patch);
      continue;
    }
    const list = byPatch.get(patch) ?? [];
    list.push(f);
    byPatch.set(patch, list);
  }
  const replies: EmailReply[] = [];
  for (const series of seriesList) {
    for (const patch of series.patches) {
      const findings = byPatch.get(patch) ?? [];
      // A patch whose findings were all reported on an earlier revision gets no reply at all: a
      // "nothing found" note would read as if the problem had been fixed.
      if (!findings.length && (!opts.replyClean || reportedBefore.has(patch))) continue;
      replies.push(renderReply(patch, findings, opts));
    }
  }
  return replies;
}

/** The reply to one patch. */
export function renderReply(patch: Patch, findings: readonly Finding[], opts: ReplyOptions): EmailReply {
  const sorted = [...findings].sort((a, b) => byCodeUnit(a.file, b.file) || a.line - b.line || byCodeUnit(a.ruleId, b.ruleId));
  const findingIds = sorted.map((f) => f.id);
  const messageId = replyMessageId(patch, findingIds, opts.msgidDomain);
  const subject = /^re:/i.test(patch.rawSubject) ? patch.rawSubject : `Re: ${patch.rawSubject || patch.subject}`;
  const { to, cc } = recipients(patch, opts);
  const references = patch.messageId ? [...patch.references.filter((r) => r !== patch.messageId), patch.messageId] : [];
  const body = sorted.length ? reviewBody(patch, sorted, opts) : cleanBody(patch, opts);
  const headers: Array<[string, string]> = [
    ['From', formatAddressList([opts.from])],
    ['To', formatAddressList(to)],
  ];
  if (cc.length) headers.push(['Cc', formatAddressList(cc)]);
  headers.push(['Subject', encodeUnstructured(subject)]);
  headers.push(['Date', rfc5322Date(opts.date)]);
  headers.push(['Message-ID', `<${messageId}>`]);
  if (patch.messageId) {
    headers.push(['In-Reply-To', `<${patch.messageId}>`]);
    headers.push(['References', references.map((r) => `<${r}>`).join(' ')]);
  }
  headers.push(['MIME-Version', '1.0']);
  headers.push(['Content-Type', 'text/plain; charset=utf-8']);
  headers.push(['Content-Transfer-Encoding', '8bit']);
  headers.push(['X-Mailer', `lockreview ${opts.version}`]);
  const text = headers.map(([k, v]) => foldHeader(`${k}: ${v}`)).join('\n') + '\n\n' + body;
  return {
    messageId,
    inReplyTo: patch.messageId,
    references,
    from: opts.from,
    to,
    cc,
    subject,
    date: opts.date,
    patchIndex: patch.index,
    patchMessageId: patch.messageId,
    patchSubject: patch.subject,
    findingIds,
    text,
  };
}

/** mboxrd: a From_ line before each message, body lines starting with (>*)From get one more '>'. */
export function formatMbox(replies: readonly EmailReply[]): string {
  return replies
    .map((r) => {
      const envelope = `From ${addressOf(r.from) || 'lockreview'} ${asctime(r.date)}`;
      const text = r.text.endsWith('\n') ? r.text : r.text + '\n';
      return `${envelope}\n${text.replace(/^(>*From )/gm, '>$1')}\n`;
    })
    .join('');
}

/** Bare address of "Name <a@b>" or "a@b". */
export function addressOf(mailbox: string): string {
  const m = /<([^<>]*)>\s*$/.exec(mailbox);
  return (m ? m[1]! : mailbox).trim();
}

// ---------------------------------------------------------------------------------------------
// Body

function reviewBody(patch: Patch, findings: readonly Finding[], opts: ReplyOptions): string {
  const out: string[] = [];
  const attribution = attributionLine(patch);
  if (attribution) out.push(attribution);
  let lastFile: FileDiff | null = null;
  let lastHunk: Hunk | null = null;
  let lastQuoted = -1; // index in lastHunk of the last quoted line; -1: only its header so far
  for (const f of findings) {
    const loc = locate(patch, f);
    if (out.length && out[out.length - 1] !== '') out.push('');
    if (!loc) {
      // The flagged line is not in the patch text (whole-file mode mapped it elsewhere): say where.
      out.push(...wrap(`In ${f.file}:${f.line}${f.function ? `, ${f.function}()` : ''}:`));
      out.push('');
      out.push(...comment(f, opts));
      lastFile = null;
      lastHunk = null;
      continue;
    }
    const { file, hunk, index } = loc;
    if (file !== lastFile) {
      out.push(quote(`diff --git a/${file.oldPath ?? file.newPath} b/${file.newPath ?? file.oldPath}`));
      lastHunk = null;
    }
    if (hunk !== lastHunk) {
      if (lastHunk !== null) out.push('[ ... ]');
      out.push(quote(hunkHeader(hunk)));
      lastQuoted = -1;
    }
    const { start, signature } = quoteStart(hunk, index, f.function);
    let next = lastQuoted + 1; // the line that would follow the quote without a cut
    if (signature !== null && signature >= next) {
      if (signature > next) out.push('[ ... ]');
      out.push(quote(diffLine(hunk.lines[signature]!)));
      next = signature + 1;
    }
    const first = Math.max(start, next);
    if (first > next) out.push('[ ... ]');
    const last = lastIndexOf(hunk, f.endLine, index);
    for (let i = first; i <= last; i++) out.push(quote(diffLine(hunk.lines[i]!)));
    lastQuoted = Math.max(lastQuoted, last);
    lastFile = file;
    lastHunk = hunk;
    out.push('');
    out.push(...comment(f, opts));
  }
  out.push('');
  out.push(...footer(findings, opts));
  return out.join('\n') + '\n';
}

function cleanBody(patch: Patch, opts: ReplyOptions): string {
  const out: string[] = [];
  const attribution = attributionLine(patch);
  if (attribution) out.push(attribution, '');
  out.push(...wrap('lockreview looked at the locking in this patch and found nothing to report.'));
  out.push('');
  out.push(...footer([], opts));
  return out.join('\n') + '\n';
}

/** What a reviewer writes under the quoted line: the finding, the rule, then the reproduction. */
function comment(f: Finding, opts: ReplyOptions): string[] {
  const out: string[] = [];
  out.push(...wrap(/[.!?:]$/.test(f.message.trim()) ? f.message : `${f.message.trim()}.`));
  const meta = opts.checks?.find((c) => c.id === f.ruleId);
  if (meta?.help && !f.message.includes(meta.help)) {
    out.push('');
    out.push(...wrap(meta.help));
  }
  // Documentation references, unless the rule's text already points at them.
  const docs = meta?.docs.filter((d) => !meta.help.includes(d.split(' ')[0]!)) ?? [];
  if (docs.length) {
    out.push('');
    out.push(...wrap(`See ${docs.join(', ')}.`));
  }
  out.push(...reproduction(f));
  return out;
}

function reproduction(f: Finding): string[] {
  const r = f.reproduction;
  const out: string[] = [];
  if (r.interleaving) {
    const il = r.interleaving;
    out.push('');
    out.push(...wrap(`${capitalise(il.title || 'One interleaving that goes wrong')}:`));
    out.push('');
    out.push(...interleavingTable(il.cpus, il.steps));
    if (il.outcome) {
      out.push('');
      out.push(...wrap(il.outcome, PROSE_WIDTH - 2).map((l) => `  ${l}`));
    }
  }
  if (r.chain?.length) {
    out.push('');
    out.push('Call chain:');
    out.push('');
    r.chain.forEach((c, i) => out.push(`  ${'  '.repeat(i)}${c}`));
  }
  if (r.splat) {
    out.push('');
    out.push(...wrap(r.configs?.length ? `With ${r.configs.join(', ')} the kernel would print:` : 'The kernel would print:'));
    out.push('');
    out.push(...r.splat.trimEnd().split('\n').map((l) => `  ${l}`.trimEnd()));
  }
  if (r.litmus) {
    out.push('');
    if (r.verdict) {
      const v = r.verdict;
      const meaning = v.observation === 'Never' ? 'the outcome cannot happen' : v.observation === 'Always' ? 'the outcome always happens' : 'the outcome can happen';
      out.push(
        ...wrap(
          'The same as a litmus test for the Linux-kernel memory model; the "exists" clause is the bad outcome. ' +
            `Checked with ${v.model}: ${v.observation} (${v.positive} of ${v.positive + v.negative} executions), so ${meaning}` +
            `${v.dataRace ? ', and the test has a data race' : ''}.`,
        ),
      );
    } else {
      out.push(...wrap('The same as a litmus test for the Linux-kernel memory model; the "exists" clause is the bad outcome.'));
    }
    out.push('');
    out.push(...r.litmus.trimEnd().split('\n').map((l) => l.trimEnd()));
  }
  return out;
}

/** CPU columns side by side, the lockdep "possible unsafe locking scenario" layout. A step's note
 *  goes under it as a C comment, wrapped to the table's width. */
function interleavingTable(cpus: readonly string[], steps: readonly InterleavingStep[]): string[] {
  const TABLE_WIDTH = 75;
  const widths = cpus.map((c, i) => Math.max(c.length, ...steps.filter((s) => s.cpu === i).map((s) => s.action.length)));
  // Every column but the last is as wide as its longest action plus a gap (capped so that two
  // columns of ordinary kernel statements stay within 75 columns).
  const colWidth = (i: number) => Math.min(Math.max(widths[i]! + 4, 12), 40);
  const offset = (i: number) => 2 + cpus.slice(0, i).reduce((n, _c, j) => n + colWidth(j), 0);
  const row = (col: number, text: string) => (' '.repeat(offset(col)) + text).trimEnd();
  const out = [
    cpus.reduce((line, c, i) => line.padEnd(offset(i)) + c, '').trimEnd(),
    cpus.reduce((line, c, i) => line.padEnd(offset(i)) + '-'.repeat(c.length), '').trimEnd(),
  ];
  for (const st of steps) {
    out.push(row(st.cpu, st.action));
    if (st.note) {
      const room = Math.max(TABLE_WIDTH - offset(st.cpu) - 6, widths[st.cpu]! - 6, 24);
      const parts = wrap(st.note, room);
      parts.forEach((p, i) => {
        const open = i === 0 ? '/* ' : ' * ';
        const close = i === parts.length - 1 ? ' */' : '';
        out.push(row(st.cpu, `${open}${p}${close}`));
      });
    }
  }
  return out;
}

function footer(findings: readonly Finding[], opts: ReplyOptions): string[] {
  const rules = [...new Set(findings.map((f) => f.ruleId))];
  const lines = ['-- '];
  lines.push(
    ...wrap(
      `Generated by lockreview ${opts.version}, an automated locking review` +
        (rules.length ? ` (${rules.join(', ')}).` : '.') +
        (findings.length ? ' If a finding is wrong, reply with "false positive" and the rule name, and say why.' : ''),
    ),
  );
  const models = [...new Set(findings.map((f) => f.wordedBy).filter(Boolean))];
  if (models.length) lines.push(...wrap(`Wording of the comments assisted by ${models.join(', ')}; the findings and reproductions are lockreview's own.`));
  return lines;
}

function attributionLine(patch: Patch): string | null {
  if (!patch.from) return null;
  const who = patch.from.name || patch.from.email;
  const when = patch.date ? new Date(patch.date) : null;
  const date = when && !Number.isNaN(when.getTime()) ? `On ${rfc5322Date(when)}, ` : 'On ';
  return wrap(`${date}${who} wrote:`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Locating and quoting hunk lines

interface Location {
  file: FileDiff;
  hunk: Hunk;
  index: number; // index in hunk.lines of the flagged post-image line
}

function patchOf(seriesList: readonly Series[], f: Finding): Patch | null {
  const candidates = seriesList.flatMap((s) => s.patches).filter((p) => f.patch === null || p.index === f.patch);
  return candidates.find((p) => locate(p, f) !== null) ?? candidates.find((p) => p.files.some((x) => x.newPath === f.file)) ?? candidates[0] ?? null;
}

function locate(patch: Patch, f: Finding): Location | null {
  for (const file of patch.files) {
    if (file.newPath !== f.file) continue;
    for (const hunk of file.hunks) {
      const index = hunk.lines.findIndex((l) => l.newLine === f.line && l.kind !== 'del');
      if (index >= 0) return { file, hunk, index };
    }
  }
  return null;
}

function lastIndexOf(hunk: Hunk, endLine: number, start: number): number {
  let end = start;
  for (let i = start + 1; i < hunk.lines.length; i++) {
    const l = hunk.lines[i]!;
    if (l.newLine !== null && l.newLine > endLine) break;
    if (l.newLine !== null) end = i;
  }
  return end;
}

/** First quoted line: a few lines above the flagged one; plus the function's first line if near. */
function quoteStart(hunk: Hunk, index: number, fn: string | null): { start: number; signature: number | null } {
  let start = Math.max(0, index - CONTEXT_BEFORE);
  // Do not open the quote on blank lines.
  while (start < index && hunk.lines[start]!.text.trim() === '') start++;
  let signature: number | null = null;
  if (fn) {
    const re = new RegExp(`\\b${fn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(`);
    for (let i = index - 1; i >= Math.max(0, index - SIGNATURE_REACH); i--) {
      const l = hunk.lines[i]!;
      if (l.kind !== 'del' && re.test(l.text) && !/;\s*$/.test(l.text)) {
        signature = i;
        break;
      }
    }
  }
  if (signature !== null && signature >= start) signature = null;
  if (signature !== null && signature + 1 >= start) {
    start = signature;
    signature = null;
  }
  return { start, signature };
}

function hunkHeader(h: Hunk): string {
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@${h.header ? ` ${h.header}` : ''}`;
}

function diffLine(l: DiffLine): string {
  return (l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ') + l.text;
}

function quote(line: string): string {
  return `> ${line}`.trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/** Greedy word wrap of one paragraph (blank-line separated paragraphs kept). */
export function wrap(text: string, width = PROSE_WIDTH): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n\s*\n/)) {
    if (out.length) out.push('');
    const words = para.split(/\s+/).filter(Boolean);
    let line = '';
    for (const w of words) {
      if (!line) line = w;
      else if (line.length + 1 + w.length <= width) line += ' ' + w;
      else {
        out.push(line);
        line = w;
      }
    }
    if (line) out.push(line);
  }
  return out;
}

function capitalise(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/** Deterministic: the same patch and the same findings always give the same id. */
function replyMessageId(patch: Patch, findingIds: readonly string[], domain: string): string {
  const h = createHash('sha256')
    .update(patch.messageId ?? `${patch.subject}\n${patch.diffText}`)
    .update('\0')
    .update(findingIds.join(','))
    .digest('hex')
    .slice(0, 20);
  return `lockreview-${h}@${domain}`;
}

function recipients(patch: Patch, opts: ReplyOptions): { to: string[]; cc: string[] } {
  if (opts.toOverride?.length) return { to: [...opts.toOverride], cc: [] };
  const self = addressOf(opts.from).toLowerCase();
  const seen = new Set<string>([self]);
  const take = (list: readonly string[]) => {
    const out: string[] = [];
    for (const m of list) {
      const a = addressOf(m).toLowerCase();
      if (!a || !a.includes('@') || seen.has(a)) continue;
      seen.add(a);
      out.push(m.trim());
    }
    return out;
  };
  const author = patch.from ? [formatPerson(patch.from.name, patch.from.email)] : [];
  const to = take(author);
  const sender = patch.messageId ? opts.senders?.get(patch.messageId) : undefined;
  const original = opts.ccOriginal === false ? [] : [...(sender ? [sender] : []), ...patch.to, ...patch.cc];
  const cc = take([...original, ...(opts.cc ?? [])]);
  if (!to.length && cc.length) return { to: [cc[0]!], cc: cc.slice(1) };
  return { to, cc };
}

function formatPerson(name: string, email: string): string {
  return name ? `${name} <${email}>` : email;
}

const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;

/** One mailbox for a header: non-ASCII display names become RFC 2047 words, specials get quoted. */
function formatMailbox(mailbox: string): string {
  const m = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(mailbox);
  if (!m) return mailbox.trim();
  let name = m[1]!.replace(/^"(.*)"$/, '$1').replace(/\\(.)/g, '$1');
  const addr = m[2]!.trim();
  if (!name) return `<${addr}>`;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(name)) name = encodeWord(name);
  else if (!ATEXT_PHRASE.test(name)) name = `"${name.replace(/(["\\])/g, '\\$1')}"`;
  return `${name} <${addr}>`;
}

function formatAddressList(list: readonly string[]): string {
  return list.map(formatMailbox).join(', ');
}

/** Subject and other free text: RFC 2047 only when needed. */
function encodeUnstructured(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(s)) return s;
  // Encode word by word so that folding can break between encoded words; a space between two
  // encoded words would vanish when decoded, so it travels inside the second one.
  const words = s.split(' ');
  const out: string[] = [];
  // eslint-disable-next-line no-control-regex
  const needs = (w: string) => /[^\x00-\x7f]/.test(w);
  words.forEach((w, i) => {
    if (!needs(w)) out.push(w);
    else out.push(encodeWord(i > 0 && needs(words[i - 1]!) ? ` ${w}` : w));
  });
  return out.join(' ');
}

/** Base64 encoded-words of at most 75 characters, never splitting a UTF-8 sequence. */
function encodeWord(s: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch) > 42) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** Fold so header lines stay under 78 columns where the text allows: address lists after a
 *  comma, other headers at a space. */
function foldHeader(line: string): string {
  if (line.length <= 76) return line;
  const colon = line.indexOf(':');
  const name = line.slice(0, colon).toLowerCase();
  const list = ['from', 'to', 'cc', 'references'].includes(name);
  const out: string[] = [];
  let rest = line;
  while (rest.length > 76) {
    const sep = list && name !== 'references' ? ', ' : ' ';
    let cut = rest.lastIndexOf(sep, 76 - sep.length + 1);
    if (cut <= (out.length ? 0 : colon + 1)) cut = rest.indexOf(sep, 77);
    if (cut < 0) break;
    const keep = sep === ', ' ? cut + 1 : cut;
    out.push(rest.slice(0, keep));
    rest = ' ' + rest.slice(cut + sep.length);
  }
  out.push(rest);
  return out.join('\n');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 date in UTC: "Sun, 22 Nov 2026 02:30:00 +0000". */
export function rfc5322Date(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

function asctime(d: Date): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}
