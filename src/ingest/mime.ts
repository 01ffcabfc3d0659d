// MIME structure and content decoding for one raw message: header unfolding, multipart walking,
// quoted-printable / base64 / 8bit bodies, charset conversion and format=flowed.
//
// Why not PostalMime.parse for the structure: it is asynchronous only, and parseMessage must be
// synchronous (the mail door and the mbox stream call it per message). postal-mime's synchronous
// helpers do the header-word decoding (RFC 2047) and address parsing; charsets TextDecoder lacks
// go through iconv-lite (loaded only when such a charset appears). Blind spots: message/rfc822 parts are not descended into (a forwarded
// patch is not found); uuencoded bodies are not decoded.

import { createRequire } from 'node:module';
import { decodeWords } from 'postal-mime';
import { InputError } from '../errors.js';

export interface RawHeader {
  key: string; // lower case
  value: string; // unfolded, not word-decoded
}

export interface MimePart {
  contentType: string; // lower case type/subtype
  params: Record<string, string>;
  disposition: string | null;
  filename: string | null;
  /** Decoded text for text parts (charset applied); null for non-text parts. */
  text: string | null;
  /** Transfer-decoded bytes for non-text parts that may still be patches (octet-stream). */
  bytes: Buffer | null;
  /** True when the body bytes are the raw message bytes (no transfer encoding changed lines). */
  identity: boolean;
}

const MAX_DEPTH = 32;

/** Split a raw message (or part) into unfolded headers and the body offset. */
export function splitHeaders(raw: Buffer): { headers: RawHeader[]; bodyStart: number; headerLines: number } {
  let end = -1;
  let bodyStart = raw.length;
  // The header block ends at the first empty line (LF or CRLF): the earlier of the two native
  // searches (a byte loop here cost a 100-patch check ~5 ms).
  const lf = raw.indexOf('\n\n', 0, 'latin1');
  const crlf = raw.indexOf('\n\r\n', 0, 'latin1');
  if (lf >= 0 && (crlf < 0 || lf < crlf)) { end = lf; bodyStart = lf + 2; }
  else if (crlf >= 0) { end = crlf; bodyStart = crlf + 3; }
  if (raw[0] === 0x0a) { end = 0; bodyStart = 1; }
  else if (raw[0] === 0x0d && raw[1] === 0x0a) { end = 0; bodyStart = 2; }
  const headText = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  const headers: RawHeader[] = [];
  const physical = headText.split(/\r?\n/);
  for (const line of physical) {
    if (/^[ \t]/.test(line) && headers.length) {
      headers[headers.length - 1]!.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ key: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  const headerLines = end < 0 ? physical.length : physical.length + 1;
  return { headers, bodyStart, headerLines };
}

export function header(headers: RawHeader[], key: string): string | null {
  const h = headers.find((x) => x.key === key);
  return h ? h.value : null;
}

/** Header values are bytes: decode raw 8-bit UTF-8 first, then RFC 2047 words. */
export function decodeHeaderValue(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  const asUtf8 = bytes.toString('utf8');
  const text = asUtf8.includes('\uFFFD') ? value : asUtf8;
  try {
    return decodeWords(text);
  } catch {
    return text;
  }
}

/** `type/sub; a=b; c="d"` -> value and parameters (RFC 2231 continuations joined). */
export function parseStructured(value: string | null): { value: string; params: Record<string, string> } {
  if (!value) return { value: '', params: {} };
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') quoted = !quoted;
    else if (c === '\\' && quoted && i + 1 < value.length) { cur += value[++i]; continue; }
    if (c === ';' && !quoted) { parts.push(cur); cur = ''; continue; }
    if (c !== '"') cur += c;
  }
  parts.push(cur);
  const params: Record<string, string> = {};
  const continued: Record<string, string[]> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    const m = key.match(/^([^*]+)\*(\d+)?\*?$/);
    if (m) {
      if (key.endsWith('*')) {
        const ext = val.match(/^([^']*)'[^']*'(.*)$/);
        try {
          val = ext ? decodeURIComponent(ext[2]!) : decodeURIComponent(val);
        } catch { /* keep as written */ }
      }
      (continued[m[1]!] ??= [])[Number(m[2] ?? 0)] = val;
      continue;
    }
    params[key] = val;
  }
  for (const [k, vals] of Object.entries(continued)) params[k] ??= vals.join('');
  return { value: parts[0]!.trim().toLowerCase(), params };
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === 0x3d /* = */) {
      const a = body[i + 1];
      const b = body[i + 2];
      if (a === 0x0a) { i += 1; continue; } // soft line break
      if (a === 0x0d && b === 0x0a) { i += 2; continue; }
      const hex = a !== undefined && b !== undefined ? String.fromCharCode(a, b) : '';
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) { out[n++] = parseInt(hex, 16); i += 2; continue; }
      // A trailing "=   \n" soft break with whitespace before the newline.
      let k = i + 1;
      while (body[k] === 0x20 || body[k] === 0x09) k++;
      if (body[k] === 0x0a) { i = k; continue; }
      if (body[k] === 0x0d && body[k + 1] === 0x0a) { i = k + 1; continue; }
      out[n++] = c; // a lone '=' is kept, as lenient decoders do
      continue;
    }
    out[n++] = c;
  }
  return out.subarray(0, n);
}

function decodeTransfer(body: Buffer, encoding: string): { bytes: Buffer; identity: boolean } {
  switch (encoding) {
    case 'quoted-printable':
      return { bytes: decodeQuotedPrintable(body), identity: false };
    case 'base64':
      return { bytes: Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), identity: false };
    default:
      return { bytes: body, identity: true };
  }
}

const LENIENT_UTF8 = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii', 'unknown-8bit', 'x-unknown', 'unknown', 'default', 'ansi_x3.4-1968']);

/** Bytes -> text in the declared charset; an unknown charset is bad input. */
export function decodeCharset(bytes: Buffer, charset: string | undefined, input: string): string {
  const cs = (charset ?? '').trim().toLowerCase().replace(/^"|"$/g, '');
  if (LENIENT_UTF8.has(cs)) return bytes.toString('utf8');
  try {
    return new TextDecoder(cs).decode(bytes);
  } catch { /* not a WHATWG label */ }
  const conv = iconv ?? requireIconv();
  if (conv?.encodingExists(cs)) return conv.decode(bytes, cs);
  throw new InputError(input, `unknown charset "${cs}"`);
}

// iconv-lite is big (its code tables are most of what a one-patch check would otherwise compile)
// and almost never needed: WHATWG's TextDecoder covers the charsets kernel mail uses. It is loaded
// only for a message that declares a charset TextDecoder does not know, by prepareCharsets() on
// the async ingest paths; requireIconv() is the synchronous fallback for a message reached some
// other way (it needs node_modules, so inside the Action bundle such a charset stays unknown).
type Iconv = { encodingExists(cs: string): boolean; decode(bytes: Buffer, cs: string): string };
let iconv: Iconv | null = null;

function requireIconv(): Iconv | null {
  try {
    iconv = createRequire(import.meta.url)('iconv-lite') as Iconv;
  } catch {
    /* not installed beside this module */
  }
  return iconv;
}

function textDecoderKnows(cs: string): boolean {
  try {
    new TextDecoder(cs);
    return true;
  } catch {
    return false;
  }
}

/** Loads iconv-lite when `raw` declares a charset that TextDecoder lacks; call before parsing. */
export async function prepareCharsets(raw: Buffer): Promise<void> {
  if (iconv) return;
  const text = raw.toString('latin1');
  for (const m of text.matchAll(/charset\s*=\s*"?([A-Za-z0-9_.:+-]+)/gi)) {
    const cs = m[1]!.toLowerCase();
    if (LENIENT_UTF8.has(cs) || textDecoderKnows(cs)) continue;
    iconv = (await import('iconv-lite')).default as Iconv;
    return;
  }
}

/** RFC 3676: undo space-stuffing and join soft-broken lines. */
export function decodeFlowed(text: string, delsp: boolean): string {
  const out: string[] = [];
  let pending: string | null = null;
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const isSig = line === '-- ';
    if (!isSig && line.startsWith(' ')) line = line.slice(1);
    const soft = !isSig && line.endsWith(' ');
    if (soft && delsp) line = line.slice(0, -1);
    pending = pending === null ? line : pending + line;
    if (!soft) { out.push(pending); pending = null; }
  }
  if (pending !== null) out.push(pending);
  return out.join('\n');
}

const PATCH_NAME = /\.(?:patch|diff)$/i;
const PATCH_TYPES = new Set(['text/x-patch', 'text/x-diff', 'text/x-diff; charset=us-ascii', 'text/diff', 'text/patch', 'application/x-patch', 'application/x-diff']);

/** True when a part is a patch-like attachment by its type or file name. */
export function isPatchAttachment(p: MimePart): boolean {
  return PATCH_TYPES.has(p.contentType) || (p.filename !== null && PATCH_NAME.test(p.filename));
}

/** Walk the MIME tree and return its leaf parts in document order. */
export function walkParts(raw: Buffer, input: string, rawHeaders?: ReturnType<typeof splitHeaders>): MimePart[] {
  const out: MimePart[] = [];
  visit(raw, 0, null);
  return out;

  function visit(part: Buffer, depth: number, parentType: string | null): void {
    // The message's own header block may come split already (`rawHeaders`, by the caller).
    const { headers, bodyStart } = depth === 0 && part === raw && rawHeaders ? rawHeaders : splitHeaders(part);
    const ctRaw = header(headers, 'content-type');
    let { value: type, params } = parseStructured(ctRaw);
    if (!type || !type.includes('/')) type = parentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    const body = part.subarray(bodyStart);
    if (type.startsWith('multipart/') && params.boundary && depth < MAX_DEPTH) {
      for (const child of splitMultipart(body, params.boundary)) visit(child, depth + 1, type);
      return;
    }
    const disp = parseStructured(header(headers, 'content-disposition'));
    const filenameRaw = disp.params.filename ?? params.name ?? null;
    const filename = filenameRaw === null ? null : decodeHeaderValue(filenameRaw);
    const cte = (header(headers, 'content-transfer-encoding') ?? '').trim().toLowerCase();
    const { bytes, identity } = decodeTransfer(body, cte);
    const mp: MimePart = { contentType: type, params, disposition: disp.value || null, filename, text: null, bytes: null, identity };
    // Only parts that can carry the patch or its description are decoded: an HTML alternative or a
    // vCard in an odd charset must not make the mail unreadable.
    if (type === 'text/plain' || PATCH_TYPES.has(type) || (type.startsWith('text/') && filename !== null && PATCH_NAME.test(filename))) {
      let text = decodeCharset(bytes, params.charset, input);
      if (/^flowed$/i.test(params.format ?? '')) text = decodeFlowedKeepingDiffs(text, /^yes$/i.test(params.delsp ?? ''));
      mp.text = text;
    } else if (filename !== null && PATCH_NAME.test(filename)) {
      mp.bytes = bytes;
      mp.text = decodeCharset(bytes, params.charset, input);
    }
    out.push(mp);
  }
}

/** Flowed decoding joins any line ending in a space: diff lines often do (trailing whitespace,
 *  an empty context line " "). Only the part before the diff is unflowed; the diff is kept. */
function decodeFlowedKeepingDiffs(text: string, delsp: boolean): string {
  const m = /^(?:diff --git |--- \S|Index: )/m.exec(text);
  if (!m) return decodeFlowed(text, delsp);
  return decodeFlowed(text.slice(0, m.index), delsp) + (m.index > 0 ? '\n' : '') + text.slice(m.index);
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delim = '--' + boundary;
  const parts: Buffer[] = [];
  let pos = 0;
  let start = -1;
  while (pos <= text.length) {
    const idx = text.indexOf(delim, pos);
    if (idx < 0) break;
    const atLineStart = idx === 0 || text[idx - 1] === '\n';
    const after = text.slice(idx + delim.length, idx + delim.length + 2);
    if (!atLineStart) { pos = idx + delim.length; continue; }
    if (start >= 0) {
      let end = idx;
      if (text[end - 1] === '\n') end--;
      if (text[end - 1] === '\r') end--;
      parts.push(body.subarray(start, Math.max(start, end)));
    }
    if (after === '--') return parts;
    let nl = text.indexOf('\n', idx);
    if (nl < 0) nl = text.length;
    start = nl + 1;
    pos = start;
  }
  if (start >= 0 && start < text.length) parts.push(body.subarray(start)); // unterminated: keep it
  return parts;
}
