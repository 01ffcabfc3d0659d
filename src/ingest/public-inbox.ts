// Reading a public-inbox archive as `git clone` of a lore list gives it, and grouping its patch
// mail into series. v2 layout: <dir>/git/<N>.git, one repository per epoch, each commit adds one
// message as the blob `m` (a commit removing a message has `d` instead and is skipped). A single
// epoch repository (bare or not) is accepted too. Reading goes through simple-git: the commits
// after the last one seen (`git log --reverse <last>..HEAD`), then `<commit>:m` as bytes.
//
// Grouping is by threading, the way git send-email threads a series: every patch of one posting
// answers the cover letter (shallow) or the previous patch (deep), and carries the same vN and N.
// Blind spots: a series posted without threading headers is grouped by author, version and count
// only; a series whose patches were sent under different M/N counts is several series.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from '../errors.js';

export interface InboxEpoch {
  /** '0', '1', ... for v2 epochs; '.' for a single repository. */
  key: string;
  gitDir: string;
}

/** The epochs of an inbox directory, oldest first. */
export function listEpochs(dir: string): InboxEpoch[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(dir, 'not a directory');
  const v2 = join(dir, 'git');
  if (existsSync(v2) && statSync(v2).isDirectory()) {
    const epochs = readdirSync(v2)
      .map((name) => /^(\d+)\.git$/.exec(name))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ key: m[1]!, gitDir: join(v2, m[0]) }))
      .sort((a, b) => Number(a.key) - Number(b.key));
    if (!epochs.length) throw new InputError(dir, 'public-inbox v2 layout without any git/N.git epoch');
    return epochs;
  }
  if (existsSync(join(dir, '.git')) || (existsSync(join(dir, 'HEAD')) && existsSync(join(dir, 'objects')))) {
    return [{ key: '.', gitDir: dir }];
  }
  throw new InputError(dir, 'not a public-inbox archive (no git/N.git epochs and not a git repository)');
}

/** Commits added to an epoch after `since` (all of them when null), oldest first. */
export async function commitsSince(epoch: InboxEpoch, since: string | null): Promise<string[]> {
  const git = gitOf(epoch);
  let head: string;
  try {
    head = (await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch {
    return []; // an empty epoch (no commit yet)
  }
  if (!head || head === since) return [];
  const range = since && (await isCommit(git, since)) ? `${since}..${head}` : head;
  const out = await git.raw(['log', '--reverse', '--format=%H', range]);
  return out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
}

/** The message a commit added, as bytes; null for a commit without `m` (a removal). */
export async function messageAt(epoch: InboxEpoch, commit: string): Promise<Buffer | null> {
  try {
    return await gitOf(epoch).binaryCatFile(['blob', `${commit}:m`]);
  } catch {
    return null;
  }
}

function gitOf(epoch: InboxEpoch): SimpleGit {
  return simpleGit({ baseDir: epoch.gitDir, maxConcurrentProcesses: 4 });
}

async function isCommit(git: SimpleGit, id: string): Promise<boolean> {
  try {
    await git.raw(['cat-file', '-e', `${id}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Headers: just what grouping needs (the full parse is ingestion's job).

export interface PatchMailInfo {
  messageId: string;
  subject: string; // without the bracketed prefix
  author: string; // lower-case address
  inReplyTo: string | null;
  references: string[];
  version: number;
  index: number; // 0 = cover letter
  total: number;
}

/** Patch or cover letter -> its series coordinates; null for replies and other mail. */
export function patchMailInfo(raw: Buffer): PatchMailInfo | null {
  const headers = readHeaders(raw);
  const subject = decodeWords(headers.get('subject') ?? '').replace(/\s+/g, ' ').trim();
  const messageId = firstId(headers.get('message-id') ?? '');
  if (!messageId) return null;
  const tag = parseSubjectTag(subject);
  if (!tag) return null;
  const from = decodeWords(headers.get('from') ?? '');
  const author = (/<([^<>]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();
  return {
    messageId,
    subject: tag.subject,
    author,
    inReplyTo: firstId(headers.get('in-reply-to') ?? ''),
    references: allIds(headers.get('references') ?? ''),
    version: tag.version,
    index: tag.index,
    total: tag.total,
  };
}

/** The decoded From header of a mail ("Name <addr>"), for answering its sender. */
export function senderOf(raw: Buffer): string | null {
  const from = decodeWords(readHeaders(raw).get('from') ?? '').replace(/\s+/g, ' ').trim();
  return from || null;
}

/** `[RFC PATCH net-next v2 3/7] foo: bar` -> version 2, 3 of 7. Null unless it is a patch posting. */
export function parseSubjectTag(subject: string): { version: number; index: number; total: number; subject: string } | null {
  if (/^\s*(re|aw|fwd?|antw)\s*:/i.test(subject)) return null;
  const m = /^\s*\[([^\]]*)\]\s*(.*)$/.exec(subject);
  if (!m) return null;
  const tokens = m[1]!.split(/\s+/).filter(Boolean);
  if (!tokens.some((t) => /^(patch|rfc)$/i.test(t))) return null;
  let version = 1;
  let index = 1;
  let total = 1;
  for (const t of tokens) {
    const v = /^v(\d+)$/i.exec(t);
    if (v) version = Number(v[1]);
    const n = /^(\d+)\/(\d+)$/.exec(t);
    if (n) {
      index = Number(n[1]);
      total = Number(n[2]);
    }
  }
  if (total < 1 || index > total) return null;
  return { version, index, total, subject: m[2]!.trim() };
}

function readHeaders(raw: Buffer): Map<string, string> {
  const text = raw.subarray(0, Math.min(raw.length, 256 * 1024)).toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const out = new Map<string, string>();
  for (const line of block.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):\s*(.*)$/.exec(line);
    if (m && !out.has(m[1]!.toLowerCase())) out.set(m[1]!.toLowerCase(), m[2]!);
  }
  return out;
}

/** RFC 2047 words in a header read as latin1 bytes -> text. */
function decodeWords(latin1: string): string {
  const utf8 = Buffer.from(latin1, 'latin1').toString('utf8');
  return utf8.replace(/=\?([^?]+)\?([bqBQ])\?([^?]*)\?=(\s+(?==\?))?/g, (_all, _charset: string, enc: string, data: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return bytes.toString('utf8');
  });
}

function allIds(v: string): string[] {
  return [...v.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
}

function firstId(v: string): string | null {
  return allIds(v)[0] ?? (v.trim() && !/\s/.test(v.trim()) ? v.trim() : null);
}

// ---------------------------------------------------------------------------------------------
// Series grouping

export interface GroupableMessage {
  messageId: string;
  author: string;
  inReplyTo: string | null;
  references: string[];
  version: number;
  index: number;
  total: number;
  /** Set for messages already filed under a series (reviewed earlier). */
  seriesKey?: string | null;
}

export interface SeriesGroup {
  key: string;
  version: number;
  total: number;
  author: string;
  messages: GroupableMessage[];
  /** Indexes 1..total all present. */
  complete: boolean;
  missing: number[];
}

/**
 * Groups patch mail into series. `known` holds messages filed earlier (their seriesKey set), so a
 * patch arriving after its series was reviewed lands in that series' key, not a new one.
 */
export type KnownMessage = Pick<GroupableMessage, 'messageId' | 'version' | 'total' | 'index' | 'seriesKey'>;

export function groupSeries(pending: readonly GroupableMessage[], known: ReadonlyMap<string, KnownMessage> = new Map()): SeriesGroup[] {
  const byId = new Map<string, GroupableMessage>();
  for (const m of pending) byId.set(m.messageId, m);
  const keyOf = new Map<string, string>();
  const resolve = (m: GroupableMessage, depth: number): string => {
    const cached = keyOf.get(m.messageId);
    if (cached) return cached;
    if (m.seriesKey) return m.seriesKey;
    let key: string | null = null;
    if (m.index === 0) key = m.messageId;
    else {
      const parents = [m.inReplyTo, ...[...m.references].reverse()].filter((p): p is string => !!p && p !== m.messageId);
      for (const p of parents) {
        const q = byId.get(p);
        const k = q ? null : known.get(p);
        const hit = q ?? k;
        if (!hit || hit.version !== m.version || hit.total !== m.total || depth > 64) continue;
        if (hit.index !== 0 && hit.index >= m.index) continue; // threads run forward within a posting
        if (q) key = resolve(q, depth + 1);
        else if (k?.seriesKey) key = k.seriesKey;
        else continue;
        break;
      }
      if (!key) key = m.index === 1 ? m.messageId : `loose:${m.author}:v${m.version}:${m.total}`;
    }
    keyOf.set(m.messageId, key);
    return key;
  };
  const groups = new Map<string, SeriesGroup>();
  for (const m of pending) {
    const key = resolve(m, 0);
    let g = groups.get(key);
    if (!g) {
      g = { key, version: m.version, total: m.total, author: m.author, messages: [], complete: false, missing: [] };
      groups.set(key, g);
    }
    g.messages.push(m);
  }
  // Unthreaded patches join the one threaded posting of the same author, version and count.
  for (const [key, g] of [...groups]) {
    if (!key.startsWith('loose:')) continue;
    const homes = [...groups.values()].filter((h) => !h.key.startsWith('loose:') && h.author === g.author && h.version === g.version && h.total === g.total);
    if (homes.length === 1) {
      homes[0]!.messages.push(...g.messages);
      groups.delete(key);
    }
  }
  for (const g of groups.values()) {
    const have = new Set(g.messages.map((m) => m.index));
    g.missing = [];
    for (let i = 1; i <= g.total; i++) if (!have.has(i)) g.missing.push(i);
    g.complete = g.missing.length === 0;
    g.messages.sort((a, b) => a.index - b.index);
  }
  return [...groups.values()];
}
