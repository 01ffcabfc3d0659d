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
  /** To and Cc addresses. parseMessage parses them on first read (see Recipients). */
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

/**
 * The To and Cc of a parsed message, each parsed from its raw header on first read and then kept.
 * Why lazily: only a reply (src/render/email.ts) and its delivery read them, and address-parsing
 * the long Cc lists of kernel mail took a third of parseMessage's time. A message from
 * parseMessage reads and assigns its `to` and `cc` through one of these; a patch made from the
 * message copies them on its own first read (recipientsOf), so a check never parses them.
 */
export class Recipients {
  private toList: string[] | null = null;
  private ccList: string[] | null = null;

  constructor(private toHeader: string | null, private ccHeader: string | null) {}

  get to(): string[] {
    if (this.toList === null) {
      this.toList = addresses(this.toHeader);
      this.toHeader = null;
    }
    return this.toList;
  }

  set to(list: string[]) {
    this.toList = list;
    this.toHeader = null;
  }

  get cc(): string[] {
    if (this.ccList === null) {
      this.ccList = addresses(this.ccHeader);
      this.ccHeader = null;
    }
    return this.ccList;
  }

  set cc(list: string[]) {
    this.ccList = list;
    this.ccHeader = null;
  }
}

// Messages built by parseMessage -> their lazy To/Cc. A copy made by spreading a message reads
// the lists (spreading calls the accessors) and holds plain arrays.
const lazyRecipients = new WeakMap<MailMessage, Recipients>();

/** The To and Cc of a message without reading them yet: for a message from parseMessage its
 *  lazy lists; for any other message, its lists as they are. */
export function recipientsOf(mail: MailMessage): { readonly to: string[]; readonly cc: string[] } {
  return lazyRecipients.get(mail) ?? { to: mail.to, cc: mail.cc };
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
  if (raw[0] === 0x46 /* F */ && raw.toString('latin1', 0, 5) === 'From ') {
    let nl = raw.indexOf(0x0a);
    if (nl < 0) nl = raw.length;
    fromLine = raw.toString('latin1', 0, nl).replace(/\r$/, '');
    raw = raw.subarray(nl + 1);
    offsetLines = 1;
  }
  const split = splitHeaders(raw);
  const { headers, headerLines } = split;
  const parts = walkParts(raw, input, split);
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
  const recipients = new Recipients(header(headers, 'to'), header(headers, 'cc'));
  // `to` and `cc` are accessors of the object itself (own, enumerable), so spreading, JSON and
  // structuredClone see plain arrays, in the field order of the interface.
  const message: MailMessage = {
    messageId: ids(header(headers, 'message-id'))[0] ?? null,
    inReplyTo,
    references,
    subject: decodeHeaderValue(header(headers, 'subject') ?? '').replace(/\s+/g, ' ').trim(),
    from: person(header(headers, 'from')),
    get to() { return recipients.to; },
    set to(list: string[]) { recipients.to = list; },
    get cc() { return recipients.cc; },
    set cc(list: string[]) { recipients.cc = list; },
    date: isoDate(header(headers, 'date')),
    text: texts.join('\n'),
    attachments,
    fromLine,
    bodyLine: single && identity ? offsetLines + headerLines : null,
  };
  lazyRecipients.set(message, recipients);
  return message;
}

function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n');
}
