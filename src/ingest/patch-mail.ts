// One mail -> what it is for series assembly: a patch (it carries a diff), a cover letter
// ([PATCH 0/N] without a diff), or anything else (replies, reviews, trailers-only mails).

import { addressParser } from 'postal-mime';
import type { Patch, Person } from '../model/index.js';
import { looksLikeDiff, parseDiff } from '../diff/index.js';
import { recipientsOf, type MailMessage } from './mail.js';
import { parseSubject, type SubjectInfo } from './subject.js';

export interface ClassifiedMail {
  kind: 'patch' | 'cover' | 'other';
  mail: MailMessage;
  info: SubjectInfo;
  patch: Patch | null;
  baseCommit: string | null;
  /** Position of the mail in the input, for stable ordering. */
  seq: number;
  source: string;
}

const DIFF_START = /^(?:diff --git |diff --cc |--- (?!-)\S.*\n\+\+\+ \S|Index: \S.*\n={20,})/m;
const BASE_COMMIT = /^base-commit:\s*([0-9a-f]{7,40})\s*$/m;
const COMMIT_FROM_LINE = /^From ([0-9a-f]{40}) /;

/** Split a body at its diff: the commit message part (up to a `---` line) and the rest. */
export function splitBody(text: string): { description: string; diffAt: number } {
  const m = DIFF_START.exec(text);
  const diffAt = m ? m.index : text.length;
  let head = text.slice(0, diffAt);
  const sep = /^---[ \t]*$/m.exec(head);
  if (sep) head = head.slice(0, sep.index);
  return { description: head.replace(/\s+$/, '') + (head.trim() ? '\n' : ''), diffAt };
}

/** Classify one message; throws InputError only for a diff that is present but corrupt. */
export function classifyMail(mail: MailMessage, input: string, seq: number): ClassifiedMail {
  const info = parseSubject(mail.subject);
  const out: ClassifiedMail = { kind: 'other', mail, info, patch: null, baseCommit: null, seq, source: input };
  const base = BASE_COMMIT.exec(mail.text);
  if (base) out.baseCommit = base[1]!;
  // The diff is in the body, else in a patch attachment (which may itself be a format-patch mail).
  let diffSource: string | null = null;
  let description = '';
  let lineBase: number | null = mail.bodyLine;
  if (looksLikeDiff(mail.text)) {
    diffSource = mail.text;
    description = splitBody(mail.text).description;
  } else {
    const att = mail.attachments.find((a) => looksLikeDiff(a.text));
    if (att) {
      diffSource = att.text;
      lineBase = null;
      const inner = splitBody(att.text);
      const own = splitBody(mail.text).description;
      description = own.trim() ? own : stripMailHeaders(inner.description);
      const ab = BASE_COMMIT.exec(att.text);
      if (ab && !out.baseCommit) out.baseCommit = ab[1]!;
    }
  }
  // git send-email writes the author (and sometimes subject/date) at the top of the body when the
  // sender is not the author: those win over the mail's own headers, and are not description.
  const inBody = inBodyHeaders(description);
  if (inBody) description = inBody.rest;
  if (diffSource !== null) {
    const where = mail.messageId ? `${input} <${mail.messageId}>` : input;
    const { files, diffText } = parseDiff(diffSource, { input: where, lineBase: lineBase ?? 0 });
    if (files.length) {
      out.kind = 'patch';
      const commit = mail.fromLine?.match(COMMIT_FROM_LINE)?.[1] ?? null;
      // To and Cc stay unparsed until read (only a reply reads them; see Recipients in mail.ts).
      // The patch keeps its own lists from its first read on, as a copied field would.
      const recipients = recipientsOf(mail);
      let to: string[] | null = null;
      let cc: string[] | null = null;
      out.patch = {
        index: info.index ?? 1,
        total: info.total ?? 1,
        subject: inBody?.subject ? parseSubject(inBody.subject).subject : info.subject,
        rawSubject: mail.subject,
        messageId: mail.messageId,
        inReplyTo: mail.inReplyTo,
        references: mail.references,
        from: inBody?.from ?? mail.from,
        date: inBody?.date ?? mail.date,
        get to() { return (to ??= recipients.to); },
        set to(list: string[]) { to = list; },
        get cc() { return (cc ??= recipients.cc); },
        set cc(list: string[]) { cc = list; },
        description,
        commit,
        files,
        diffText,
      };
      return out;
    }
  }
  if (!info.reply && info.index === 0) out.kind = 'cover';
  return out;
}

function inBodyHeaders(text: string): { from: Person | null; subject: string | null; date: string | null; rest: string } | null {
  const m = text.match(/^((?:(?:From|Subject|Date): [^\n]*\n)+)\n/);
  if (!m) return null;
  let from: Person | null = null;
  let subject: string | null = null;
  let date: string | null = null;
  for (const line of m[1]!.split('\n')) {
    const h = line.match(/^(From|Subject|Date): (.*)$/);
    if (!h) continue;
    if (h[1] === 'From') {
      try {
        const [a] = addressParser(h[2]!, { flatten: true });
        if (a?.address) from = { name: a.name || '', email: a.address };
      } catch { /* keep the mail's From */ }
    } else if (h[1] === 'Subject') subject = h[2]!.trim();
    else {
      const t = Date.parse(h[2]!);
      if (!Number.isNaN(t)) date = new Date(t).toISOString();
    }
  }
  return { from, subject, date, rest: text.slice(m[0].length) };
}

/** A patch attached as a whole format-patch file: drop its From/Subject/Date header block. */
function stripMailHeaders(text: string): string {
  const lines = text.split('\n');
  let i = 0;
  if (lines[0]?.startsWith('From ')) i++;
  let sawHeader = false;
  while (i < lines.length && (/^[A-Za-z-]+: /.test(lines[i]!) || (sawHeader && /^[ \t]/.test(lines[i]!)))) {
    sawHeader = true;
    i++;
  }
  if (!sawHeader) return text;
  while (i < lines.length && lines[i] === '') i++;
  return lines.slice(i).join('\n');
}
