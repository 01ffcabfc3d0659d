// One mail message as the ingestion stage sees it: the threading headers, the plain-text body and
// any patch-like attachments. parseMessage is synchronous so the mbox stream, the mail door and the
// public-inbox reader can all call it per message.

import { addressParser } from 'postal-mime';
import type { Person } from '../model/index.js';
import { decodeHeaderValue, header, isPatchAttachment, splitHeaders, walkParts } from './mime.js';

export interface MailAttachment {
  filename: string | null;
  mimeType: string;
  /** Decoded text of the attachment. */
  text: string;
}

export interface MailMessage {
  messageId: string | null; // without angle brackets
  inReplyTo: string | null; // without angle brackets
  references: string[]; // without angle brackets, oldest first
  subject: string; // decoded, as sent (prefixes included)
  from: Person | null;
  to: string[];
  cc: string[];
  date: string | null; // ISO 8601 when parseable, else as written
  /** The plain-text body (inline text/plain parts joined), CRLF normalised to LF. */
  text: string;
  /** Patch-like attachments: text/x-patch, text/x-diff, *.patch / *.diff files. */
  attachments: MailAttachment[];
  /** The mbox `From ` separator line, when the message came from an mbox or format-patch file. */
  fromLine: string | null;
  /** Line (0-based) of the body's first line within the raw message when the body is not
   *  transfer-encoded; null otherwise. Lets diff errors name a real line. */
  bodyLine: number | null;
}

const ANGLE_ID = /<([^<>\s]+)>/g;

function ids(value: string | null): string[] {
  if (!value) return [];
  const found = [...value.matchAll(ANGLE_ID)].map((m) => m[1]!);
  if (found.length) return found;
  const bare = value.trim();
  return bare && !/\s/.test(bare) ? [bare] : [];
}

function addresses(value: string | null): string[] {
  if (!value) return [];
  try {
    const out: string[] = [];
    for (const a of addressParser(utf8Header(value), { flatten: true })) {
      if (!a.address) continue;
      out.push(a.name ? `${a.name} <${a.address}>` : a.address);
    }
    return out;
  } catch {
    return [];
  }
}

function person(value: string | null): Person | null {
  if (!value) return null;
  try {
    const [a] = addressParser(utf8Header(value), { flatten: true });
    if (a && a.address) return { name: a.name || '', email: a.address };
  } catch { /* fall through */ }
  return null;
}

/** Raw 8-bit header bytes as UTF-8 when valid; encoded words are left to addressParser, which
 *  decodes them after splitting (a decoded name may hold a comma). */
function utf8Header(value: string): string {
  const s = Buffer.from(value, 'latin1').toString('utf8');
  return s.includes('\uFFFD') ? value : s;
}

function isoDate(value: string | null): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(t) ? value : new Date(t).toISOString();
}

/** Parse one raw RFC 5322 message (an mbox `From ` line in front is accepted and kept). */
export function parseMessage(raw: Buffer, input = 'message'): MailMessage {
  let fromLine: string | null = null;
  let offsetLines = 0;
  if (raw.subarray(0, 5).toString('latin1') === 'From ') {
    let nl = raw.indexOf(0x0a);
    if (nl < 0) nl = raw.length;
    fromLine = raw.subarray(0, nl).toString('latin1').replace(/\r$/, '');
    raw = raw.subarray(nl + 1);
    offsetLines = 1;
  }
  const { headers, headerLines } = splitHeaders(raw);
  const parts = walkParts(raw, input);
  const texts: string[] = [];
  const attachments: MailAttachment[] = [];
  let identity = true;
  for (const p of parts) {
    if (p.text === null) continue;
    const attached = p.disposition === 'attachment' || p.filename !== null;
    if (isPatchAttachment(p) || (attached && p.contentType === 'text/plain' && /^(?:diff --git |--- \S)/m.test(p.text))) {
      attachments.push({ filename: p.filename, mimeType: p.contentType, text: normalize(p.text) });
    } else if (p.contentType === 'text/plain' && !attached) {
      if (!p.identity || texts.length) identity = false;
      texts.push(normalize(p.text));
    }
  }
  const single = parts.length === 1;
  const references = ids(header(headers, 'references'));
  const inReplyTo = ids(header(headers, 'in-reply-to'))[0] ?? null;
  return {
    messageId: ids(header(headers, 'message-id'))[0] ?? null,
    inReplyTo,
    references,
    subject: decodeHeaderValue(header(headers, 'subject') ?? '').replace(/\s+/g, ' ').trim(),
    from: person(header(headers, 'from')),
    to: addresses(header(headers, 'to')),
    cc: addresses(header(headers, 'cc')),
    date: isoDate(header(headers, 'date')),
    text: texts.join('\n'),
    attachments,
    fromLine,
    bodyLine: single && identity ? offsetLines + headerLines : null,
  };
}

function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
