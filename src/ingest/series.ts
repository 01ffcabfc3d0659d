// Classified mails -> Series: thread them, group the patches of one posting, pick the newest
// complete revision when several are present, report missing patches.
//
// Grouping: a posting is (thread root, version, N) for threaded mail, (version, N, prefixes) for
// unthreaded numbered patches (format-patch files), the input for unnumbered patches of one
// directory, and one posting per lone patch otherwise. Postings are revisions of one series when
// they share a patch or cover subject, or share a thread root with a different version.
// Blind spots: a v2 whose every subject changed and that is not threaded to v1 is kept as its own
// series; the 'newest' revision is the highest vN (a RESEND of the same vN wins by date).

import type { Patch, Series } from '../model/index.js';
import type { ClassifiedMail } from './patch-mail.js';

export interface AssembleOptions {
  /** Inputs that were directories of format-patch files: unnumbered patches form one series. */
  directories?: Set<string>;
}

export interface Assembled {
  series: Series[];
  notes: string[];
}

interface Posting {
  key: string;
  version: number;
  total: number;
  prefixes: string[];
  root: string | null;
  cover: ClassifiedMail | null;
  patches: Map<number, ClassifiedMail>;
  firstSeq: number;
  duplicates: number;
}

/** Thread root of a mail: follow In-Reply-To / References through known mails; loop-safe. */
function threadRoot(m: ClassifiedMail, byId: Map<string, ClassifiedMail>): string | null {
  const seen = new Set<string>();
  let cur = m;
  for (;;) {
    if (cur.mail.messageId) seen.add(cur.mail.messageId);
    const parentId = cur.mail.inReplyTo ?? cur.mail.references[cur.mail.references.length - 1] ?? null;
    if (!parentId) break;
    // A loop in the headers: every member of it must get the same root, so take the least id.
    if (seen.has(parentId)) return [...seen].sort()[0]!;
    const parent = byId.get(parentId);
    if (!parent) {
      // The thread's first message is references[0] even when it is not in the input.
      return cur.mail.references[0] ?? parentId;
    }
    cur = parent;
  }
  if (cur === m && !m.mail.inReplyTo && m.mail.references.length === 0) return m.mail.messageId;
  return cur.mail.messageId ?? cur.mail.references[0] ?? null;
}

function norm(subject: string): string {
  return subject.toLowerCase().replace(/\s+/g, ' ').trim();
}

function ranges(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    out.push(i === j ? `${nums[i]}` : `${nums[i]}-${nums[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function later(a: ClassifiedMail, b: ClassifiedMail): ClassifiedMail {
  const ta = a.mail.date ? Date.parse(a.mail.date) : NaN;
  const tb = b.mail.date ? Date.parse(b.mail.date) : NaN;
  if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return tb > ta ? b : a;
  return b.seq > a.seq ? b : a;
}

function newestDate(p: Posting): number {
  let t = -Infinity;
  for (const m of [p.cover, ...p.patches.values()]) {
    const d = m?.mail.date ? Date.parse(m.mail.date) : NaN;
    if (!Number.isNaN(d) && d > t) t = d;
  }
  return t;
}

function missingOf(p: Posting): number[] {
  if (p.total <= 1) return [];
  const out: number[] = [];
  for (let i = 1; i <= p.total; i++) if (!p.patches.has(i)) out.push(i);
  return out;
}

export function assembleSeries(mails: ClassifiedMail[], opts: AssembleOptions = {}): Assembled {
  const notes: string[] = [];
  const byId = new Map<string, ClassifiedMail>();
  for (const m of mails) if (m.mail.messageId && !byId.has(m.mail.messageId)) byId.set(m.mail.messageId, m);

  let patchMails = mails.filter((m) => m.kind === 'patch' && !m.info.reply);
  const replyPatches = mails.filter((m) => m.kind === 'patch' && m.info.reply);
  if (patchMails.length === 0 && replyPatches.length) {
    patchMails = replyPatches;
    notes.push(`no patch mail found; using the diff${replyPatches.length > 1 ? 's' : ''} sent in ${replyPatches.length} repl${replyPatches.length > 1 ? 'ies' : 'y'}`);
  } else if (replyPatches.length) {
    notes.push(`skipped ${replyPatches.length} repl${replyPatches.length > 1 ? 'ies' : 'y'} carrying a diff (review suggestions, not part of the series)`);
  }
  const others = mails.filter((m) => m.kind === 'other').length;
  if (others) notes.push(`skipped ${others} mail${others > 1 ? 's' : ''} without a patch (replies, reviews, trailers)`);

  // Dedupe by Message-ID: the same mail given twice (two inputs, or mbox + its .eml).
  const seenIds = new Set<string>();
  const units = [...mails.filter((m) => m.kind === 'cover' && !m.info.reply), ...patchMails]
    .sort((a, b) => a.seq - b.seq)
    .filter((m) => {
      if (!m.mail.messageId) return true;
      if (seenIds.has(m.mail.messageId)) return false;
      seenIds.add(m.mail.messageId);
      return true;
    });

  const postings = new Map<string, Posting>();
  const dirCounters = new Map<string, number>();
  // A mail is threaded when it replies to something or something in the input replies to it.
  const roots = new Map<ClassifiedMail, string | null>();
  const repliedTo = new Set<string>();
  for (const m of units) {
    const hasParent = !!(m.mail.inReplyTo || m.mail.references.length);
    roots.set(m, hasParent || m.kind === 'cover' ? threadRoot(m, byId) : m.mail.messageId);
    if (hasParent) {
      const r = roots.get(m);
      if (r) repliedTo.add(r);
    }
  }
  for (const m of units) {
    const hasParent = !!(m.mail.inReplyTo || m.mail.references.length);
    const threaded = hasParent || m.kind === 'cover' || (!!m.mail.messageId && repliedTo.has(m.mail.messageId));
    const root = threaded ? roots.get(m) ?? null : null;
    const total = m.info.total ?? 1;
    const numbered = m.info.index !== null && total > 1;
    const prefixes = m.info.prefixes.filter((p) => p !== 'RESEND');
    let key: string;
    let index = m.info.index ?? 1;
    if (numbered || m.kind === 'cover') {
      key = root ? `t|${root}|v${m.info.version}|${total}` : `u|v${m.info.version}|${total}|${prefixes.join(' ')}`;
    } else if (opts.directories?.has(m.source)) {
      key = `d|${m.source}|v${m.info.version}`;
      index = (dirCounters.get(key) ?? 0) + 1;
      dirCounters.set(key, index);
    } else {
      key = `l|${m.seq}`;
    }
    let p = postings.get(key);
    if (!p) {
      p = { key, version: m.info.version, total, prefixes, root, cover: null, patches: new Map(), firstSeq: m.seq, duplicates: 0 };
      postings.set(key, p);
    }
    if (m.kind === 'cover') {
      p.cover = p.cover ? later(p.cover, m) : m;
      continue;
    }
    if (key.startsWith('d|')) {
      m.patch!.index = index;
      p.total = index;
    }
    const had = p.patches.get(index);
    if (had) p.duplicates++;
    p.patches.set(index, had ? later(had, m) : m);
  }
  for (const p of postings.values()) {
    if (p.key.startsWith('d|')) for (const m of p.patches.values()) m.patch!.total = p.total;
  }

  // Families of postings that are revisions of one series (union-find).
  const list = [...postings.values()].filter((p) => p.patches.size > 0 || p.cover);
  const parent = list.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const union = (a: number, b: number): void => {
    parent[find(a)] = find(b);
  };
  const bySubject = new Map<string, number>();
  const byRoot = new Map<string, number[]>();
  list.forEach((p, i) => {
    // Same subject for the same target tree: `[PATCH 5.15 ...]` and `[PATCH 6.1 ...]` backports of one
    // fix are two series, `[RFC PATCH]` and `[PATCH v2]` are revisions of one.
    const tree = p.prefixes.filter((x) => x !== 'RFC').join(' ').toLowerCase();
    const subjects = [...p.patches.values()].map((m) => `${tree}|${norm(m.info.subject)}`);
    if (p.cover) subjects.push(`${tree}|cover:${norm(p.cover.info.subject)}`);
    for (const s of subjects) {
      if (s.endsWith('|') || s.endsWith('|cover:')) continue;
      const j = bySubject.get(s);
      if (j === undefined) bySubject.set(s, i);
      else union(i, j);
    }
    if (p.root) {
      for (const j of byRoot.get(p.root) ?? []) if (list[j]!.version !== p.version) union(i, j);
      (byRoot.get(p.root) ?? byRoot.set(p.root, []).get(p.root)!).push(i);
    }
  });
  const families = new Map<number, Posting[]>();
  list.forEach((p, i) => {
    const f = find(i);
    (families.get(f) ?? families.set(f, []).get(f)!).push(p);
  });

  const chosen: Array<{ posting: Posting; notes: string[] }> = [];
  for (const fam of families.values()) {
    const withPatches = fam.filter((p) => p.patches.size > 0);
    if (withPatches.length === 0) continue; // a cover letter alone: nothing to review
    const rank = (p: Posting): number[] => [missingOf(p).length === 0 ? 1 : 0, p.version, newestDate(p), p.firstSeq];
    const cmp = (a: Posting, b: Posting): number => {
      const ra = rank(a);
      const rb = rank(b);
      for (let k = 0; k < ra.length; k++) if (ra[k] !== rb[k]) return rb[k]! - ra[k]!;
      return 0;
    };
    const sorted = [...withPatches].sort(cmp);
    const pick = sorted[0]!;
    const famNotes: string[] = [];
    if (sorted.length > 1) {
      const skipped = sorted.slice(1).map((p) => `v${p.version}${p.prefixes.length ? ' ' + p.prefixes.join(' ') : ''} (${p.patches.size} patch${p.patches.size > 1 ? 'es' : ''}${missingOf(p).length ? ', incomplete' : ''})`);
      const newerIncomplete = sorted.slice(1).some((p) => p.version > pick.version);
      famNotes.push(
        `several revisions found: reviewing v${pick.version}${missingOf(pick).length ? '' : ' (newest complete)'}${newerIncomplete ? ' because newer ones are incomplete' : ''}; skipped ${skipped.join(', ')}`,
      );
    }
    chosen.push({ posting: pick, notes: famNotes });
  }
  chosen.sort((a, b) => a.posting.firstSeq - b.posting.firstSeq);

  const series: Series[] = chosen.map(({ posting: p, notes: famNotes }) => {
    const ordered = [...p.patches.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m);
    const patches: Patch[] = ordered.map((m) => m.patch!);
    const first = ordered[0]!;
    const missing = missingOf(p);
    const sNotes = [...famNotes];
    if (missing.length) sNotes.push(`patch${missing.length > 1 ? 'es' : ''} ${ranges(missing)} of ${p.total} missing from the input; reviewing the ${patches.length} present`);
    sNotes.push(...skippedFileNotes(patches));
    if (p.duplicates) sNotes.push(`${p.duplicates} duplicate patch mail${p.duplicates > 1 ? 's' : ''} (resends) replaced by the latest`);
    // An unedited format-patch cover letter names no subject: the first patch's is better.
    const head = p.cover && !/^\*\*\* SUBJECT HERE \*\*\*$/.test(p.cover.info.subject) ? p.cover : first;
    const baseCommit = p.cover?.baseCommit ?? ordered.find((m) => m.baseCommit)?.baseCommit ?? null;
    const sources = [...new Set([p.cover, ...ordered].filter((m): m is ClassifiedMail => !!m).map((m) => m.source))];
    return {
      subject: head.info.subject,
      messageId: (p.cover ?? first).mail.messageId,
      version: p.version,
      prefixes: (p.cover ?? first).info.prefixes,
      cover: p.cover ? p.cover.mail.text : null,
      baseCommit,
      patches,
      missing,
      notes: sNotes,
      source: sources.join(', '),
    };
  });
  return { series, notes };
}

/** "patch 2/3: binary file skipped: a.png, b.png" — files the analysis will not see, per patch. */
function skippedFileNotes(patches: Patch[]): string[] {
  const out: string[] = [];
  for (const p of patches) {
    const byNote = new Map<string, string[]>();
    for (const f of p.files) {
      if (!f.note || f.hunks.length) continue;
      const list = byNote.get(f.note) ?? byNote.set(f.note, []).get(f.note)!;
      list.push(f.newPath ?? f.oldPath ?? '?');
    }
    for (const [note, paths] of byNote) {
      const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? ` and ${paths.length - 5} more` : '');
      out.push(`patch ${p.index}/${p.total}: ${note}: ${shown}`);
    }
  }
  return out;
}
