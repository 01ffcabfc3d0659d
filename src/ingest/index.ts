// Ingestion: any patch input -> Series. Inputs are auto-detected (mbox, t.mbox.gz, .eml,
// format-patch file or directory, bare or git diff, `-` for stdin); mail is threaded into series
// (src/ingest/series.ts). Every bad input ends in an InputError naming it.

import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Person, Series } from '../model/index.js';
import { InputError } from '../errors.js';
import { looksLikeDiff, parseDiff } from '../diff/index.js';
import { parseMessage, type MailMessage } from './mail.js';
import { splitMbox } from './mbox.js';
import { classifyMail, type ClassifiedMail } from './patch-mail.js';
import { detectKind, openFile, openSource, readAll } from './read-input.js';
import { assembleSeries } from './series.js';
import { splitHeaders, header, prepareCharsets } from './mime.js';
import { parseSubject } from './subject.js';

export type { MailMessage, MailAttachment } from './mail.js';
export { parseMessage } from './mail.js';
export { parseSubject, type SubjectInfo } from './subject.js';

export interface IngestResult {
  series: Series[];
  notes: string[];
}

/** Collects classified mails across inputs; keeps only what assembly needs of non-patch mail. */
class Collector {
  readonly mails: ClassifiedMail[] = [];
  readonly directories = new Set<string>();
  readonly notes: string[] = [];
  private seq = 0;

  nextSeq(): number {
    return this.seq++;
  }

  add(mail: MailMessage, input: string, source: string): ClassifiedMail {
    const split = splitAttachedSeries(mail, this.seq);
    if (split) {
      // The carrier becomes the cover letter, each attached patch a patch of its series.
      for (const m of split.patches) this.addOne(m, input, source);
      return this.addOne(split.cover, input, source);
    }
    return this.addOne(mail, input, source);
  }

  private addOne(mail: MailMessage, input: string, source: string): ClassifiedMail {
    let c: ClassifiedMail;
    try {
      c = classifyMail(mail, input, this.nextSeq());
    } catch (err) {
      // A broken diff in a reply (a reviewer's sketch) is not the series: skip it, say so.
      if (err instanceof InputError && parseSubject(mail.subject).reply) {
        this.notes.push(`skipped a reply with an unreadable diff (${err.message})`);
        return this.slim({ kind: 'other', mail, info: parseSubject(mail.subject), patch: null, baseCommit: null, seq: this.seq, source });
      }
      throw err;
    }
    c.source = source;
    return this.slim(c);
  }

  private slim(c: ClassifiedMail): ClassifiedMail {
    // Replies and reviews only matter for threading: drop their bodies (bounded memory).
    if (c.kind === 'other') c.mail = { ...c.mail, text: '', attachments: [] };
    this.mails.push(c);
    return c;
  }
}

/**
 * A mail carrying two or more patch attachments (and no diff in its body) is a series: returns
 * a cover made of the carrier and one message per attachment, numbered in attachment order. An
 * attachment that is itself a format-patch mail gives its own subject, author and message.
 */
function splitAttachedSeries(mail: MailMessage, seq: number): { cover: MailMessage; patches: MailMessage[] } | null {
  if (looksLikeDiff(mail.text)) return null;
  const atts = mail.attachments.filter((a) => looksLikeDiff(a.text));
  if (atts.length < 2) return null;
  const outer = parseSubject(mail.subject);
  if (outer.reply) return null; // a reviewer's attached sketches are not the series
  const v = outer.version > 1 ? `v${outer.version} ` : '';
  const tags = outer.prefixes.length ? outer.prefixes.join(' ') + ' ' : '';
  const n = atts.length;
  const coverId = mail.messageId ?? `attachments-${seq}@lockreview`;
  const cover: MailMessage = { ...mail, messageId: coverId, subject: `[PATCH ${tags}${v}0/${n}] ${outer.subject}`, attachments: [] };
  const patches = atts.map((a, k): MailMessage => {
    const asMail = /^(?:From \S+ |[A-Za-z-]+: )/.test(a.text) ? parseMessage(Buffer.from(a.text, 'utf8'), a.filename ?? 'attachment') : null;
    const inner = asMail && looksLikeDiff(asMail.text) ? asMail : null;
    const title = inner ? parseSubject(inner.subject).subject : (a.filename ?? `attachment ${k + 1}`).replace(/^\d{4}-/, '').replace(/\.(?:patch|diff)$/i, '');
    return {
      ...mail,
      messageId: `${coverId}/${k + 1}`,
      inReplyTo: coverId,
      references: [...mail.references, coverId],
      subject: `[PATCH ${tags}${v}${k + 1}/${n}] ${title}`,
      from: inner?.from ?? mail.from,
      date: inner?.date ?? mail.date,
      text: inner ? inner.text : a.text,
      attachments: [],
      fromLine: inner?.fromLine ?? null,
      bodyLine: null,
    };
  });
  return { cover, patches };
}

function asInputError(err: unknown, name: string): InputError {
  if (err instanceof InputError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new InputError(name, `cannot parse: ${msg}`);
}

/** A `git show` / `git log -p` header in front of a diff: commit id, author, date, message. */
function gitShowHeader(text: string): { commit: string | null; subject: string | null; description: string; from: Person | null; date: string | null } {
  const m = text.match(/^commit ([0-9a-f]{40})\b[^\n]*\n((?:[A-Za-z]+:[^\n]*\n)*)\n((?: {4}[^\n]*\n|\n)*)/);
  if (!m) return { commit: null, subject: null, description: '', from: null, date: null };
  const body = m[3]!.split('\n').map((l) => l.replace(/^ {4}/, '')).join('\n').trim();
  const author = m[2]!.match(/^Author:\s*(.*?)\s*<([^>]*)>/m);
  const date = m[2]!.match(/^(?:Author)?Date:\s*(.*)$/m);
  const t = date ? Date.parse(date[1]!) : NaN;
  const lines = body.split('\n');
  return {
    commit: m[1]!,
    subject: lines[0] ?? null,
    description: lines.slice(1).join('\n').trim() ? lines.slice(1).join('\n').trim() + '\n' : '',
    from: author ? { name: author[1]!, email: author[2]! } : null,
    date: Number.isNaN(t) ? null : new Date(t).toISOString(),
  };
}

/** Diff text (bare, `git diff`, `git show`, `git log -p`) -> patch mails; `git log -p` output with
 *  several commits becomes a series, oldest commit first. */
function diffAsMail(buf: Buffer, name: string, c: Collector, source: string): number {
  const text = buf.toString('utf8').replace(/\r\n/g, '\n');
  const starts = [...text.matchAll(/^commit [0-9a-f]{40}\b/gm)].map((m) => m.index!);
  const blocks = starts.length >= 2 ? starts.map((at, k) => ({ at, text: text.slice(at, starts[k + 1] ?? text.length) })).reverse() : [{ at: 0, text }];
  const parsed = blocks.map((b) => ({
    show: gitShowHeader(b.text),
    ...parseDiff(b.text, { input: name, lineBase: text.slice(0, b.at).split('\n').length - 1 }),
  })).filter((b) => b.files.length);
  const n = parsed.length;
  parsed.forEach(({ show, files, diffText }, k) => {
    const subject = show.subject ?? basename(name);
    const id = n > 1 ? `${name}#${k + 1}@lockreview` : null;
    const refs = n > 1 ? [`${name}#log@lockreview`] : [];
    const mail: MailMessage = {
      messageId: id, inReplyTo: null, references: refs, subject, from: show.from, to: [], cc: [], date: show.date,
      text, attachments: [], fromLine: null, bodyLine: 0,
    };
    const info = parseSubject('');
    info.subject = subject;
    if (n > 1) {
      info.index = k + 1;
      info.total = n;
    }
    c.mails.push({
      kind: 'patch', mail, info, seq: c.nextSeq(), source, baseCommit: null,
      patch: {
        index: k + 1, total: n, subject, rawSubject: subject, messageId: id, inReplyTo: null, references: refs, from: show.from,
        date: show.date, to: [], cc: [], description: show.description, commit: show.commit, files, diffText,
      },
    });
  });
  return n;
}

/** Ingest one opened byte stream; returns how many patch or cover mails it held. */
async function ingestStream(src: AsyncIterable<Buffer | string>, name: string, c: Collector, source = name): Promise<number> {
  const { head, chunks } = await openSource(src, name);
  const kind = detectKind(head);
  let found = 0;
  try {
    if (kind === 'mbox') {
      for await (const { raw, line } of splitMbox(chunks)) {
        const where = `${name}:${line + 1}`;
        let mail: MailMessage;
        try {
          await prepareCharsets(raw);
          mail = parseMessage(raw, where);
        } catch (err) {
          const e = asInputError(err, where);
          const { headers } = splitHeaders(raw.subarray(raw.indexOf(0x0a) + 1));
          if (parseSubject(header(headers, 'subject') ?? '').reply) {
            c.notes.push(`skipped an unreadable reply at ${where} (${e.message})`);
            continue;
          }
          throw e;
        }
        if (mail.bodyLine !== null) mail.bodyLine += line;
        const cm = c.add(mail, name, source);
        if (cm.kind !== 'other') found++;
      }
    } else if (kind === 'mail') {
      const whole = await readAll(chunks);
      await prepareCharsets(whole);
      const cm = c.add(parseMessage(whole, name), name, source);
      if (cm.kind !== 'other') found++;
    } else {
      found += diffAsMail(await readAll(chunks), name, c, source);
    }
  } catch (err) {
    throw asInputError(err, name);
  }
  return found;
}

const PATCH_FILE = /\.(?:patch|diff|eml|mbox|mbx|gz|txt)$/i;

async function ingestPath(input: string, c: Collector): Promise<void> {
  if (input === '-') {
    if (!(await ingestStream(process.stdin, 'stdin', c))) throw new InputError('stdin', 'no patch found');
    return;
  }
  let st;
  try {
    st = await stat(input);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(input, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'cannot read: permission denied' : `cannot read: ${(err as Error).message}`);
  }
  if (st.isDirectory()) {
    let names: string[];
    try {
      names = (await readdir(input)).filter((n) => !n.startsWith('.') && PATCH_FILE.test(n)).sort();
    } catch (err) {
      throw new InputError(input, `cannot read directory: ${(err as Error).message}`);
    }
    c.directories.add(input);
    let found = 0;
    for (const n of names) {
      const p = join(input, n);
      if (!(await stat(p)).isFile()) continue;
      found += await ingestStream(openFile(p), p, c, input);
    }
    if (!found) throw new InputError(input, 'no patch found');
    return;
  }
  // Regular files, and pipes or devices such as /dev/stdin or a process substitution.
  if (st.isSocket()) throw new InputError(input, 'not a regular file');
  if (!(await ingestStream(openFile(input), input, c))) throw new InputError(input, 'no patch found');
}

function finish(c: Collector, what: string): IngestResult {
  const { series, notes } = assembleSeries(c.mails, { directories: c.directories });
  if (!series.length) throw new InputError(what, 'no patch found');
  return { series, notes: [...c.notes, ...notes] };
}

/** Read every input (`-` = stdin) and assemble the series they hold. */
export async function ingestInputs(inputs: string[]): Promise<IngestResult> {
  if (!inputs.length) throw new InputError('', 'no input given');
  const c = new Collector();
  for (const input of inputs) await ingestPath(input, c);
  return finish(c, inputs.join(' '));
}

/** Ingest bytes already in memory (e.g. a lore t.mbox.gz the fetcher downloaded). */
export async function ingestBuffer(buf: Buffer, name: string): Promise<IngestResult> {
  const c = new Collector();
  // Fed in slices so an mbox is still split as a stream and the buffer is not copied whole.
  async function* slices(): AsyncGenerator<Buffer> {
    for (let i = 0; i < buf.length; i += 1 << 16) yield buf.subarray(i, i + (1 << 16));
  }
  if (!(await ingestStream(slices(), name, c))) throw new InputError(name, 'no patch found');
  return finish(c, name);
}

/** Assemble series from messages another door already parsed (public-inbox, SMTP). */
export function ingestMessages(msgs: MailMessage[], source: string): IngestResult {
  const c = new Collector();
  for (const m of msgs) {
    try {
      c.add(m, source, source);
    } catch (err) {
      throw asInputError(err, source);
    }
  }
  return finish(c, source);
}
