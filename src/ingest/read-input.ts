// Opening one input and telling what it is: gzip (magic bytes, decompressed as a stream), binary
// (NUL bytes: refused), mbox / format-patch (`From ` first line, streamed message by message),
// a single mail (a header block), or a diff (`git diff`, `diff -u`, `git show`).

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors.js';

export type InputKind = 'mbox' | 'mail' | 'diff';

const SNIFF = 8192;

/** An async byte source with its first bytes already read, so it can be sniffed and replayed. */
export interface PeekedSource {
  head: Buffer;
  chunks: AsyncIterable<Buffer>; // the whole content, head included
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'cannot read: permission denied';
    case 'EISDIR': return 'is a directory';
    case 'Z_DATA_ERROR': case 'Z_BUF_ERROR': return 'corrupt gzip data';
    default: return `cannot read: ${e?.message ?? String(err)}`;
  }
}

/** Wraps a stream so read/decompress errors become InputErrors naming the input. */
async function* guarded(src: AsyncIterable<Buffer | string>, name: string): AsyncGenerator<Buffer> {
  try {
    for await (const c of src) yield typeof c === 'string' ? Buffer.from(c) : c;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(name, describe(err));
  }
}

async function peek(src: AsyncIterable<Buffer>, min: number): Promise<PeekedSource> {
  const it = src[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < min) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    got.push(r.value);
    size += r.value.length;
  }
  const head = Buffer.concat(got);
  async function* replay(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { head, chunks: replay() };
}

/** Open a byte source: gunzip when it starts with the gzip magic, then sniff. */
export async function openSource(src: AsyncIterable<Buffer | string>, name: string): Promise<PeekedSource> {
  let peeked = await peek(guarded(src, name), SNIFF);
  if (peeked.head.length >= 2 && peeked.head[0] === 0x1f && peeked.head[1] === 0x8b) {
    const gunzip = createGunzip();
    const compressed = Readable.from(peeked.chunks);
    compressed.on('error', (e) => gunzip.destroy(e));
    compressed.pipe(gunzip);
    peeked = await peek(guarded(gunzip, name), SNIFF);
  }
  if (peeked.head.length === 0 || /^\s*$/.test(peeked.head.toString('latin1')) && peeked.head.length < SNIFF) {
    throw new InputError(name, 'empty input');
  }
  if (peeked.head.includes(0)) throw new InputError(name, 'binary file: not a patch, mail or mbox');
  return peeked;
}

export function openFile(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>;
}

const MAIL_HEADERS = /^(?:from|to|cc|subject|date|message-id|received|return-path|mime-version|delivered-to|x-[\w-]+|in-reply-to|references|content-type|reply-to|sender|list-id|arc-[\w-]+|dkim-signature|authentication-results|x-original-to):/i;

export function detectKind(head: Buffer): InputKind {
  const text = head.toString('latin1').replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  if (/^From \S/.test(firstLine)) return 'mbox';
  if (MAIL_HEADERS.test(firstLine)) return 'mail';
  // Any other RFC 5322 header line (but not an svn `Index:` diff preamble) starts a mail too.
  if (/^[A-Za-z0-9][A-Za-z0-9-]*:[ \t]/.test(firstLine) && !/^Index:/.test(firstLine)) return 'mail';
  return 'diff';
}

export async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}
