// Fetching a thread from a public-inbox server (lore.kernel.org or a mirror): `<base><msgid>/t.mbox.gz`.
// undici with connect/header/body timeouts, bounded retries with exponential backoff on 5xx and
// network errors (never on 4xx: a 404 will not heal), a size cap enforced while streaming, and the
// gzip inflated in memory with the same cap. Every failure is an InputError naming the msgid and
// the URL, so the door prints one line and exits 2.

import { gunzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { InputError } from '../errors.js';
import { VERSION } from '../version.js';
import type { Series } from '../model/index.js';
import { ingestBuffer, type IngestResult } from './index.js';

export const DEFAULT_LORE_URL = 'https://lore.kernel.org/all/';

export interface FetchThreadOptions {
  /** Base URL of the public-inbox (ends with the inbox name and a slash). */
  baseUrl?: string;
  /** Largest compressed or inflated size accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Attempts after the first on 5xx / network errors (default 3). */
  retries?: number;
  /** First backoff delay in ms; doubles on each retry (default 500). */
  backoffMs?: number;
  connectTimeoutMs?: number; // default 10 s
  /** Time allowed for the headers, and between two body chunks (default 30 s). */
  timeoutMs?: number;
}

export interface FetchedThread {
  msgid: string; // without angle brackets
  url: string;
  /** The inflated t.mbox. */
  mbox: Buffer;
  attempts: number;
}

/** `<msgid>` or `msgid` or a lore URL -> the bare Message-ID. */
export function normaliseMsgid(input: string): string {
  let s = input.trim();
  const url = /^https?:\/\/[^/]+\/(?:[^/]+\/)?([^/]+@[^/]+)\/?/.exec(s);
  if (url) s = decodeURIComponent(url[1]!);
  s = s.replace(/^<+/, '').replace(/>+$/, '').replace(/^id:/, '');
  return s;
}

/** The t.mbox.gz URL of the thread that holds `msgid`. */
export function threadUrl(baseUrl: string, msgid: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  // public-inbox keeps RFC 3986 sub-delims, ':' and '@' as they are in its message URLs and
  // percent-encodes the rest; encodeURIComponent escapes a few of those, so they are put back.
  const escaped = encodeURIComponent(msgid).replace(/%(24|26|2B|2C|3B|3D|3A|40)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return `${base}${escaped}/t.mbox.gz`;
}

class RetryableError extends Error {}

export async function fetchThread(msgidInput: string, opts: FetchThreadOptions = {}): Promise<FetchedThread> {
  const msgid = normaliseMsgid(msgidInput);
  const name = `--msgid ${msgid}`;
  if (!msgid || /\s/.test(msgid)) throw new InputError('--msgid', `not a Message-ID: '${msgidInput}'`);
  const baseUrl = opts.baseUrl ?? DEFAULT_LORE_URL;
  if (!/^https?:\/\//.test(baseUrl)) throw new InputError('--lore-url', `not an http(s) URL: '${baseUrl}'`);
  const url = threadUrl(baseUrl, msgid);
  const maxBytes = opts.maxBytes ?? 64 << 20;
  const retries = Math.max(0, Math.min(opts.retries ?? 3, 10));
  const backoff = opts.backoffMs ?? 500;
  const timeout = opts.timeoutMs ?? 30_000;
  // undici is loaded here, not at module load: `check` on a file never fetches.
  const { Agent, interceptors, request } = await import('undici');
  const agent = new Agent({ connect: { timeout: opts.connectTimeoutMs ?? 10_000 }, headersTimeout: timeout, bodyTimeout: timeout });
  const dispatcher = agent.compose(interceptors.redirect({ maxRedirections: 3 }));
  try {
    let lastProblem = '';
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      try {
        const gz = await download(url, dispatcher, maxBytes, name);
        return { msgid, url, mbox: inflate(gz, maxBytes, name, url), attempts: attempt };
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        lastProblem = err.message;
        if (attempt <= retries) await sleep(backoff * 2 ** (attempt - 1));
      }
    }
    throw new InputError(name, `${lastProblem} (${url}, gave up after ${retries + 1} attempts)`);
  } finally {
    await agent.close().catch(() => undefined);
  }
}

async function download(url: string, dispatcher: Dispatcher, maxBytes: number, name: string): Promise<Buffer> {
  const { request } = await import('undici');
  let res;
  try {
    res = await request(url, {
      dispatcher,
      method: 'GET',
      headers: { 'user-agent': `lockreview/${VERSION}`, accept: 'application/gzip, */*' },
    });
  } catch (err) {
    throw new RetryableError(networkProblem(err));
  }
  const status = res.statusCode;
  if (status >= 500 || status === 429) {
    await res.body.dump().catch(() => undefined);
    throw new RetryableError(status === 429 ? 'rate limited (HTTP 429)' : `server error HTTP ${status}`);
  }
  if (status === 404 || status === 410) {
    await res.body.dump().catch(() => undefined);
    throw new InputError(name, `no such message on the server (HTTP ${status} for ${url})`);
  }
  if (status !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new InputError(name, `unexpected HTTP ${status} for ${url}`);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body.dump().catch(() => undefined);
    throw new InputError(name, `thread is ${declared} bytes, over the ${maxBytes}-byte limit (${url})`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new InputError(name, `thread is over the ${maxBytes}-byte limit (${url})`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new RetryableError(networkProblem(err));
  }
  return Buffer.concat(chunks);
}

function inflate(gz: Buffer, maxBytes: number, name: string, url: string): Buffer {
  // A server may hand out the plain mbox (a mirror behind a decompressing proxy): accept it.
  if (gz.length < 2 || gz[0] !== 0x1f || gz[1] !== 0x8b) {
    if (/^From /.test(gz.subarray(0, 5).toString('latin1'))) return gz;
    throw new InputError(name, `not a gzip-compressed mbox (${url})`);
  }
  try {
    return gunzipSync(gz, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new InputError(name, `inflated thread is over the ${maxBytes}-byte limit (${url})`);
    const why = code === 'Z_BUF_ERROR' ? 'truncated' : 'corrupt';
    throw new InputError(name, `${why} gzip data from ${url}`);
  }
}

function networkProblem(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'cannot resolve the server (offline?)';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'server stopped answering (timeout)';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  return `network error: ${code ?? e.message ?? String(err)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `check --msgid`: fetch the thread and assemble its series. A thread can hold several postings
 * (a v2 sent in reply to v1): the series that contains the asked-for message is kept.
 */
export async function ingestThread(msgidInput: string, opts: FetchThreadOptions = {}): Promise<IngestResult & { url: string }> {
  const thread = await fetchThread(msgidInput, opts);
  const ingested = await ingestBuffer(thread.mbox, thread.url);
  const holds = (s: Series) => s.messageId === thread.msgid || s.patches.some((p) => p.messageId === thread.msgid || p.inReplyTo === thread.msgid);
  const chosen = ingested.series.length > 1 && ingested.series.some(holds) ? ingested.series.filter(holds) : ingested.series;
  const notes = [...ingested.notes];
  if (chosen.length < ingested.series.length) notes.push(`thread ${thread.url}: reviewing the series that holds <${thread.msgid}>, ${ingested.series.length - chosen.length} other posting(s) left out`);
  return { series: chosen, notes, url: thread.url };
}
