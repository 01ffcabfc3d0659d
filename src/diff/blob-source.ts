// Whole files of a mailed series from git objects, without a worktree (`check --tree`, and `check`
// run inside a repository that holds the series' pre-images).
//
// Approach: a git-generated diff names each file's pre- and post-image blobs (`index <old>..<new>`,
// abbreviated ids). One `git cat-file --batch` process (git-batch.ts) reads the pre-image of every C
// file the series touches by that id. Then, patch by patch, the file after the patch is the
// post-image blob when the repository holds it, else the patch's hunks applied in memory to the
// content before it, each context and removed line compared exactly at the line its hunk header
// names, and kept only when the result's git blob id (sha1 of "blob <len>\0" + bytes) starts with
// the post-image id. Content before a patch must likewise hash to that patch's pre-image id. So every
// content served is a blob the author had; nothing is guessed, and a file whose content cannot be
// established is declined (file() answers null: the engine analyses its hunks and notes it).
// Lines are handled as bytes (unchanged lines keep the blob's exact bytes; the diff's lines are
// UTF-8 encoded, as `git am` receives them from tree.ts) and served as UTF-8 text, like tree.ts and
// GitObjectSource. An abbreviated id that names several objects prefers the blob
// (core.disambiguate=blob); when several blobs share it, the candidates are listed
// (`git rev-parse --disambiguate`) and the one the hunks turn into the post-image is chosen.
// A rename or copy without change names no blob: its file is read by path at the series'
// base-commit, else HEAD (where the worktree would apply the series).
// Blind spots: diffs without `index` lines (plain diff -u, quilt, GitHub's API) are not served;
// a hunk must sit exactly where its header says (`git apply` would search for an offset, but the
// pre-image blob is the very file the diff was made from); the parsed diff keeps no
// "\ No newline at end of file" marker, so both endings are tried against the post-image id;
// CRLF files only through their post-image blobs (the parser drops the CR of diff lines).

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FileDiff, Hunk, Series, SourceProvider } from '../model/index.js';
import { GitBatchReader, gitRead, type CatFileReply } from './git-batch.js';

export interface BlobSource extends SourceProvider {
  /** Why files were declined, for the report ("patch 2/3: f.c: ..."). */
  notes: string[];
  /** Number of (file, patch) contents the analysis will ask for, and how many are served. */
  requested: number;
  served: number;
  dispose(): Promise<void>;
}

export interface BlobSourceOptions {
  /** 'every-file': null unless every C file the analysis asks for is served (`--tree`, which has
   *  the worktree to fall back on). 'any-file': served when the repository holds at least one of
   *  the series' blobs and some file is served; the others fall back to hunks (the automatic mode
   *  of a plain `check`: a partial tree still sees more than hunks). */
  need: 'every-file' | 'any-file';
  /** When the source is declined, why (one line each). */
  declined?: string[];
}

/** The top of the git repository around `dir` (a `.git` directory or file in it or above), or
 *  null. A file-system walk, not `git rev-parse`: a check outside any repository must not start a
 *  process to learn that. GIT_DIR in the environment counts as a repository at `dir`. */
export function gitRepositoryAround(dir: string): string | null {
  if (process.env.GIT_DIR) return resolve(dir);
  let d = resolve(dir);
  for (;;) {
    if (existsSync(join(d, '.git'))) return d;
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

/** What a path holds at one point of the series: bytes (`fromRepo`: read from, or derived from, a
 *  blob of the repository rather than built from the diff alone), absent (deleted / not yet
 *  added), or unknown (with why). */
type Content = { kind: 'bytes'; bytes: Buffer; fromRepo: boolean } | { kind: 'absent' } | { kind: 'unknown'; why: string };

const ABSENT: Content = { kind: 'absent' };

/** The git blob id of some bytes. */
export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

const isC = (path: string | null): path is string => !!path && /\.(c|h)$/.test(path);

/** The files of a patch this source follows: C sources and headers, on either side. */
function followed(f: FileDiff): boolean {
  return isC(f.oldPath) || isC(f.newPath);
}

/** Whether the engine asks for this file's content after its patch (src/engine analyzeSeries). */
function analysed(f: FileDiff): boolean {
  return isC(f.newPath) && f.status !== 'deleted' && !f.note;
}

export async function openBlobSource(repoDir: string, series: Series, opts: BlobSourceOptions): Promise<BlobSource | null> {
  const decline = (why: string): null => {
    opts.declined?.push(why);
    return null;
  };
  const files = series.patches.flatMap((p) => p.files.filter(followed));
  if (!files.some(analysed)) return decline('the series changes no C file');
  if (!files.some((f) => f.oldBlob || f.newBlob)) return decline('the patches carry no `index` lines (blob ids)');

  const objects = new GitBatchReader(repoDir, ['core.disambiguate=blob']);
  // Every id the series names is asked for at once: the batch process answers them in order while
  // the replies are consumed patch by patch.
  const replies = new Map<string, Promise<CatFileReply | null>>();
  const lookup = (id: string) => {
    let r = replies.get(id);
    if (!r) replies.set(id, (r = objects.read(id)));
    return r;
  };
  for (const f of files) for (const id of [f.oldBlob, f.newBlob]) if (id) void lookup(id);

  const notes: string[] = [];
  const base = new Map<string, Content>(); // path -> content before patch 1
  const current = new Map<string, Content>();
  const after: Array<{ index: number; changed: Map<string, Content> }> = [];
  let requested = 0;
  let served = 0;
  let repoContributed = false;
  let gitFailed = false;

  /** A blob by id: its bytes, 'missing' or 'ambiguous' (several blobs share the abbreviation). */
  const blob = async (id: string): Promise<Buffer | 'missing' | 'ambiguous'> => {
    const r = await lookup(id);
    if (!r) {
      gitFailed = true;
      return 'missing';
    }
    if (r.status !== 'found') return r.status;
    return r.type === 'blob' ? r.body : 'missing';
  };
  /** Every blob whose id starts with `id` (the rare case of an ambiguous abbreviation). */
  const candidates = async (id: string): Promise<Buffer[]> => {
    const names = await gitLines(repoDir, ['rev-parse', `--disambiguate=${id}`]);
    const out: Buffer[] = [];
    for (const name of names) {
      const b = await blob(name);
      if (Buffer.isBuffer(b)) out.push(b);
    }
    return out;
  };

  for (const patch of series.patches) {
    const changed = new Map<string, Content>();
    const label = `patch ${patch.index}/${patch.total}`;
    for (const f of patch.files.filter(followed)) {
      // A mode change (no index line, no hunk) leaves the content as it is.
      if (f.status === 'modified' && !f.hunks.length) continue;
      const path = f.newPath ?? f.oldPath!;
      let before: Content;
      if (f.status === 'added') before = ABSENT;
      else {
        const from = f.oldPath!;
        before = current.get(from) ?? (await firstSight(f));
        if (!current.has(from) && !base.has(from)) base.set(from, before);
        if (before.kind === 'bytes' && f.oldBlob && !gitBlobId(before.bytes).startsWith(f.oldBlob)) {
          before = { kind: 'unknown', why: `its pre-image ${f.oldBlob} is not the file earlier patches produced` };
        }
      }
      const next = await afterFile(f, before);
      if (f.status === 'renamed' && f.oldPath) {
        current.set(f.oldPath, ABSENT);
        changed.set(f.oldPath, ABSENT);
      }
      if (f.status === 'deleted') {
        current.set(f.oldPath!, ABSENT);
        changed.set(f.oldPath!, ABSENT);
      } else {
        current.set(path, next);
        changed.set(path, next);
      }
      if (analysed(f)) {
        requested++;
        if (next.kind === 'bytes') {
          served++;
          if (next.fromRepo) repoContributed = true;
        } else if (next.kind === 'unknown') notes.push(`${label}: ${path}: no whole file from git objects: ${next.why}`);
      }
    }
    after.push({ index: patch.index, changed });
  }

  /** The content of a path the series has not touched before: its pre-image blob. */
  async function firstSight(f: FileDiff): Promise<Content> {
    if (!f.oldBlob && !f.hunks.length && f.oldPath) {
      // A rename or copy without change names no blob: the file by its path where `git am` would
      // apply the series (base-commit, else HEAD), as the worktree would have it.
      for (const rev of [series.baseCommit, 'HEAD']) {
        if (!rev) continue;
        const r = await objects.read(`${rev}:${f.oldPath}`);
        if (r?.status === 'found' && r.type === 'blob') return textOrUnknown(r.body, true);
      }
      return { kind: 'unknown', why: `${f.oldPath} is not in the repository's ${series.baseCommit ? 'base-commit or ' : ''}HEAD` };
    }
    if (!f.oldBlob) return { kind: 'unknown', why: 'no pre-image blob id (no `index` line)' };
    const b = await blob(f.oldBlob);
    if (Buffer.isBuffer(b)) return textOrUnknown(b, true);
    if (b === 'missing') return { kind: 'unknown', why: `pre-image blob ${f.oldBlob} is not in the repository` };
    // Several blobs share the abbreviation: the one the hunks turn into the post-image.
    const fitting: Buffer[] = [];
    for (const c of await candidates(f.oldBlob)) {
      if (f.newBlob && Buffer.isBuffer(applyHunks(c, f.hunks, f.newBlob))) fitting.push(c);
    }
    if (fitting.length === 1) return textOrUnknown(fitting[0]!, true);
    return { kind: 'unknown', why: `pre-image blob id ${f.oldBlob} is ambiguous in the repository` };
  }

  /** The content after file diff `f`, given the content before it. */
  async function afterFile(f: FileDiff, before: Content): Promise<Content> {
    if (f.status === 'deleted') return ABSENT;
    if (f.status === 'binary') return { kind: 'unknown', why: 'binary file' };
    if (!f.hunks.length) {
      // Rename or copy without change, mode change: the content carries over.
      if (f.newBlob && before.kind === 'bytes' && !gitBlobId(before.bytes).startsWith(f.newBlob)) return { kind: 'unknown', why: `post-image ${f.newBlob} differs from the pre-image but no hunk changes it` };
      return before.kind === 'absent' ? { kind: 'unknown', why: 'the file does not exist before this patch' } : before;
    }
    if (!f.newBlob) return { kind: 'unknown', why: 'no post-image blob id (no `index` line)' };
    const post = await blob(f.newBlob);
    if (Buffer.isBuffer(post)) return textOrUnknown(post, true);
    if (before.kind === 'unknown') return before;
    const applied = applyHunks(before.kind === 'bytes' ? before.bytes : Buffer.alloc(0), f.hunks, f.newBlob);
    if (typeof applied === 'string') return { kind: 'unknown', why: applied };
    return textOrUnknown(applied, before.kind === 'bytes' && before.fromRepo);
  }

  // The batch process is no longer needed, whether the source is kept or declined: every content
  // is in memory.
  await objects.dispose();
  if (gitFailed) return decline(`git cannot read objects in ${repoDir}`);
  if (opts.need === 'every-file' && served < requested) return decline(notes[0] ?? 'not every file could be read');
  if (opts.need === 'any-file' && (!served || !repoContributed)) {
    return decline(repoContributed ? notes[0] ?? 'no file could be read' : `the repository holds none of the series' blobs`);
  }

  const texts = new Map<Buffer, string>();
  const text = (c: Content | undefined): string | null => {
    if (!c || c.kind !== 'bytes') return null;
    let t = texts.get(c.bytes);
    if (t === undefined) texts.set(c.bytes, (t = c.bytes.toString('utf8')));
    return t;
  };
  return {
    description: `git objects in ${repoDir} (pre-image blobs of the series${served < requested ? `; ${served} of ${requested} files` : ''})`,
    notes,
    requested,
    served,
    async file(path: string, afterPatch: number): Promise<string | null> {
      if (!Number.isInteger(afterPatch) || afterPatch < 0) return null;
      // The latest patch at or before `afterPatch` that changed the path; else its base content.
      for (let i = after.length - 1; i >= 0; i--) {
        const step = after[i]!;
        if (step.index > afterPatch) continue;
        const c = step.changed.get(path);
        if (c) return text(c);
      }
      return text(base.get(path));
    },
    dispose: () => Promise.resolve(),
  };
}

function textOrUnknown(bytes: Buffer, fromRepo: boolean): Content {
  // NUL bytes: a binary blob, which the C parser cannot use (GitObjectSource declines them too).
  if (bytes.includes(0)) return { kind: 'unknown', why: 'binary content' };
  return { kind: 'bytes', bytes, fromRepo };
}

/**
 * Applies a file's hunks to its content in memory. Each hunk must sit exactly at its header's old
 * line, every context and removed line equal to the file's line; the result is kept only when its
 * git blob id starts with `postImage`. Returns the bytes, or why not.
 */
export function applyHunks(before: Buffer, hunks: readonly Hunk[], postImage: string): Buffer | string {
  const lines = splitLines(before);
  const endsWithNewline = before.length > 0 && before[before.length - 1] === 10;
  const out: Buffer[] = [];
  let at = 0; // index of the next old line to copy
  let reachedEnd = false;
  for (const h of hunks) {
    // An empty old side (`-12,0`) inserts after line 12, i.e. before index 12.
    const start = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    if (start < at || start > lines.length) return `hunk @@ -${h.oldStart},${h.oldLines} @@ lies outside the file or overlaps the previous one`;
    for (let i = at; i < start; i++) out.push(lines[i]!);
    at = start;
    for (const l of h.lines) {
      if (l.kind === 'add') {
        out.push(Buffer.from(l.text, 'utf8'));
        continue;
      }
      const have = lines[at];
      if (!have || !have.equals(Buffer.from(l.text, 'utf8'))) return `hunk @@ -${h.oldStart},${h.oldLines} @@ does not match the pre-image at line ${at + 1}`;
      if (l.kind === 'ctx') out.push(have);
      at++;
    }
    if (at === lines.length) reachedEnd = true;
  }
  for (let i = at; i < lines.length; i++) out.push(lines[i]!);
  // The parsed diff does not say whether the new last line ends with a newline when a hunk reaches
  // the end of the file: the post-image id decides (the unchanged ending is tried first).
  const endings = reachedEnd || !lines.length ? [endsWithNewline || !lines.length, !(endsWithNewline || !lines.length)] : [endsWithNewline];
  for (const newline of endings) {
    const bytes = joinLines(out, newline);
    if (gitBlobId(bytes).startsWith(postImage)) return bytes;
  }
  return `the hunks applied to the pre-image do not give the post-image ${postImage}`;
}

/** Lines without their '\n' (a final line without one included). */
function splitLines(bytes: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let from = 0;
  while (from < bytes.length) {
    const nl = bytes.indexOf(10, from);
    if (nl < 0) {
      lines.push(bytes.subarray(from));
      break;
    }
    lines.push(bytes.subarray(from, nl));
    from = nl + 1;
  }
  return lines;
}

function joinLines(lines: Buffer[], finalNewline: boolean): Buffer {
  if (!lines.length) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  const NL = Buffer.from('\n');
  lines.forEach((l, i) => {
    parts.push(l);
    if (i < lines.length - 1 || finalNewline) parts.push(NL);
  });
  return Buffer.concat(parts);
}

/** Runs a read-only git command; its stdout lines, or none when it fails. */
async function gitLines(cwd: string, args: string[]): Promise<string[]> {
  const r = await gitRead(cwd, args);
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [];
}
