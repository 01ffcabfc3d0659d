// A revision range of the user's own repository -> Series, and a SourceProvider that reads whole
// files from git objects at each commit (`presend`).
//
// Approach: one `git log -p` over the range gives every commit's metadata and diff (the diff is
// parsed by src/diff's parser, like any other patch input); whole files come from one long-lived
// `git cat-file --batch` process (src/diff/git-batch.ts), on demand, only for the files the
// analysis asks for. Nothing is checked out and nothing is written: no work tree, index, stash or
// branch change (git also takes no optional index lock: GIT_OPTIONAL_LOCKS=0). The cost follows
// the range's diff, not the tree.
// Blind spots: merge commits are skipped (noted); with --worktree, untracked files are included
// only when they are C sources/headers (*.c, *.h) not ignored by .gitignore.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Patch, Person, Series, SourceProvider } from '../model/index.js';
import { InputError } from '../errors.js';
import { parseDiff } from '../diff/index.js';
import { GitBatchReader, gitRead } from '../diff/git-batch.js';

export interface GitRangeOptions {
  /** A revision range (`A..B`, `A...B`) or one revision R (= R..HEAD, as git format-patch reads it);
   *  absent: @{upstream}..HEAD, else the commits since the merge base with the default branch. */
  range?: string;
  /** Add the uncommitted changes (work tree + index against HEAD) as a last patch. */
  worktree?: boolean;
}

export interface GitRangeSeries {
  series: Series;
  sources: GitObjectSource;
  /** The resolved range, e.g. "origin/main..HEAD". */
  range: string;
}

/** Reads the range of the repository at `root` (its top level). */
export async function seriesFromGitRange(root: string, opts: GitRangeOptions = {}): Promise<GitRangeSeries> {
  const notes: string[] = [];
  const range = opts.range ? explicitRange(opts.range, notes) : await defaultRange(root, notes);
  await verifyRange(root, range);
  const merges = (await git(root, ['rev-list', '--count', '--merges', range, '--'])).trim();
  if (merges !== '0') notes.push(`${merges} merge commit${merges === '1' ? '' : 's'} in ${range} skipped`);
  const commits = await commitsOf(root, range);
  const revs: Array<string | null> = [commits.length ? await baseOf(root, commits[0]!.sha) : await git(root, ['rev-parse', '--verify', 'HEAD^{commit}']).then((s) => s.trim(), () => null)];
  for (const c of commits) revs.push(c.sha);
  const patches: Patch[] = commits.map((c) => c.patch);
  let worktreeIndex: number | null = null;
  if (opts.worktree) {
    const wt = await worktreePatch(root);
    if (wt.untrackedSkipped) notes.push(`${wt.untrackedSkipped} untracked file${wt.untrackedSkipped === 1 ? '' : 's'} other than *.c/*.h not included`);
    if (wt.patch.files.length) {
      patches.push(wt.patch);
      worktreeIndex = patches.length;
    } else notes.push('--worktree: no uncommitted changes');
  }
  const total = patches.length;
  patches.forEach((p, i) => {
    p.index = i + 1;
    p.total = total;
    p.rawSubject = total > 1 ? `[PATCH ${i + 1}/${total}] ${p.subject}` : `[PATCH] ${p.subject}`;
  });
  if (!commits.length) notes.push(`no commits in ${range}`);
  const series: Series = {
    subject: patches[0]?.subject ?? `empty range ${range}`,
    messageId: null,
    version: 1,
    prefixes: [],
    cover: null,
    baseCommit: revs[0] ?? null,
    patches,
    missing: [],
    notes,
    source: `git ${range}${worktreeIndex ? ' + work tree' : ''} in ${root}`,
  };
  const sources = new GitObjectSource(root, revs, worktreeIndex);
  return { series, sources, range };
}

// ---------------------------------------------------------------------------------------------
// The range.

function explicitRange(arg: string, notes: string[]): string {
  if (arg.startsWith('-')) throw new InputError(arg, 'not a revision range (give e.g. origin/main..HEAD)');
  if (arg.includes('..')) return arg;
  notes.push(`reviewing ${arg}..HEAD (one revision means the commits after it, as git format-patch reads it)`);
  return `${arg}..HEAD`;
}

async function defaultRange(root: string, notes: string[]): Promise<string> {
  const upstream = await git(root, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']).then((s) => s.trim(), () => null);
  if (upstream) {
    notes.push(`reviewing @{upstream}..HEAD (upstream ${upstream})`);
    return '@{upstream}..HEAD';
  }
  const candidates: string[] = [];
  const originHead = await git(root, ['symbolic-ref', '-q', '--short', 'refs/remotes/origin/HEAD']).then((s) => s.trim(), () => null);
  if (originHead) candidates.push(originHead);
  candidates.push('main', 'master', 'origin/main', 'origin/master');
  for (const branch of candidates) {
    const ok = await git(root, ['rev-parse', '--verify', '-q', `${branch}^{commit}`]).then(() => true, () => false);
    if (!ok) continue;
    const base = await git(root, ['merge-base', branch, 'HEAD']).then((s) => s.trim(), () => null);
    if (!base) continue;
    notes.push(`no upstream branch: reviewing the commits since the merge base with ${branch} (${base.slice(0, 12)})`);
    return `${base}..HEAD`;
  }
  throw new InputError('presend', 'no upstream branch and no default branch (origin/HEAD, main, master) to compare with: give a revision range, e.g. origin/main..HEAD');
}

async function verifyRange(root: string, range: string): Promise<void> {
  const ends = range.split(/\.\.\.?/).filter(Boolean);
  for (const rev of ends.length ? ends : [range]) {
    const ok = await git(root, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]).then(() => true, () => false);
    if (!ok) throw new InputError(range, `unknown revision '${rev}'`);
  }
}

/** The tree a series starts from: the first commit's first parent (null for a root commit). */
async function baseOf(root: string, firstSha: string): Promise<string | null> {
  return git(root, ['rev-parse', '--verify', '-q', `${firstSha}^1`]).then((s) => s.trim() || null, () => null);
}

// ---------------------------------------------------------------------------------------------
// Commits -> patches.

// Fields are NUL-separated and each commit starts with NUL, SOH, NUL: NUL cannot occur in commit
// metadata or in a text diff (binary files show as "Binary files ... differ"), and no field starts
// with SOH.
const COMMIT_START = '\0\x01\0';
const FORMAT = '%x00%x01%x00%H%x00%an%x00%ae%x00%aI%x00%s%x00%b%x00';

async function commitsOf(root: string, range: string): Promise<Array<{ sha: string; patch: Patch }>> {
  const out = await git(root, [
    '-c', 'core.quotePath=true',
    'log', '--reverse', '--no-merges', '--no-color', '--no-ext-diff', '--no-textconv', '--no-relative',
    '--no-notes', '--no-show-signature', '--encoding=UTF-8', '-M', '-U3', '--src-prefix=a/', '--dst-prefix=b/',
    '-p', `--format=${FORMAT}`, range, '--',
  ]);
  const commits: Array<{ sha: string; patch: Patch }> = [];
  for (const chunk of out.split(COMMIT_START).slice(1)) {
    const [sha = '', name = '', email = '', date = '', subject = '', body = '', ...rest] = chunk.split('\0');
    const diff = rest.join('\0').replace(/^\n/, '');
    const parsed = parseDiff(diff, { input: `commit ${sha.slice(0, 12)}` });
    commits.push({
      sha,
      patch: makePatch({ subject, body, from: { name, email }, date, commit: sha, files: parsed.files, diffText: parsed.diffText }),
    });
  }
  return commits;
}

function makePatch(p: { subject: string; body: string; from: Person | null; date: string | null; commit: string | null; files: Patch['files']; diffText: string }): Patch {
  return {
    index: 0,
    total: 0,
    subject: p.subject,
    rawSubject: p.subject,
    messageId: null,
    inReplyTo: null,
    references: [],
    from: p.from,
    date: p.date,
    to: [],
    cc: [],
    description: p.body.trimEnd(),
    commit: p.commit,
    files: p.files,
    diffText: p.diffText,
  };
}

// ---------------------------------------------------------------------------------------------
// The work tree as a last patch.

async function worktreePatch(root: string): Promise<{ patch: Patch; untrackedSkipped: number }> {
  const tracked = await git(root, [
    '-c', 'core.quotePath=true',
    'diff', 'HEAD', '--no-color', '--no-ext-diff', '--no-textconv', '--no-relative', '-M', '-U3', '--src-prefix=a/', '--dst-prefix=b/', '--',
  ]);
  const untracked = (await git(root, ['ls-files', '-z', '--others', '--exclude-standard'])).split('\0').filter(Boolean);
  const sources = untracked.filter((p) => /\.[ch]$/.test(p));
  let text = tracked;
  for (const path of sources) text += await newFileDiff(root, path);
  const parsed = text.trim() ? parseDiff(text, { input: 'work tree' }) : { files: [], diffText: '' };
  const patch = makePatch({ subject: 'uncommitted changes (work tree)', body: '', from: null, date: null, commit: null, files: parsed.files, diffText: parsed.diffText });
  return { patch, untrackedSkipped: untracked.length - sources.length };
}

/** A `git diff`-shaped creation diff for an untracked file (git would need the index for it). */
async function newFileDiff(root: string, path: string): Promise<string> {
  const content = await readFile(join(root, path), 'utf8').catch(() => null);
  if (content === null || content.includes('\0')) return '';
  const lines = content.split('\n');
  const missingNewline = lines[lines.length - 1] !== '';
  if (!missingNewline) lines.pop();
  if (!lines.length) return '';
  const q = /[\s"\\]/.test(path) ? JSON.stringify : (s: string) => s;
  let out = `diff --git ${q(`a/${path}`)} ${q(`b/${path}`)}\nnew file mode 100644\n--- /dev/null\n+++ ${q(`b/${path}`)}\n@@ -0,0 +1,${lines.length} @@\n`;
  out += lines.map((l) => `+${l}\n`).join('');
  if (missingNewline) out += '\\ No newline at end of file\n';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole files from git objects.

/**
 * file(path, k): the file in the tree of the k-th commit of the series (0 = the range's base); the
 * work-tree patch, when present, reads the file from disk. One `git cat-file --batch` process
 * serves every read; call dispose() when done (it is also unref'd so it never keeps Node alive).
 */
export class GitObjectSource implements SourceProvider {
  readonly description: string;
  private objects: GitBatchReader;
  private cache = new Map<string, Promise<string | null>>();

  constructor(
    readonly root: string,
    /** revs[k] = the commit whose tree is "after patch k"; revs[0] the base (null: empty tree). */
    readonly revs: ReadonlyArray<string | null>,
    /** Patch index of the work-tree patch, if any. */
    readonly worktreeIndex: number | null,
  ) {
    const head = revs[revs.length - 1];
    this.description = `git objects of ${root}${head ? ` at ${head.slice(0, 12)}` : ''}${worktreeIndex ? ' + work tree' : ''}`;
    this.objects = new GitBatchReader(root);
  }

  file(path: string, afterPatch: number): Promise<string | null> {
    const key = `${afterPatch}\0${path}`;
    let got = this.cache.get(key);
    if (!got) {
      got = this.read(path, afterPatch);
      this.cache.set(key, got);
    }
    return got;
  }

  private async read(path: string, k: number): Promise<string | null> {
    if (path.includes('\n') || k < 0) return null;
    if (this.worktreeIndex !== null && k >= this.worktreeIndex) {
      const text = await readFile(join(this.root, path), 'utf8').catch(() => null);
      return text === null || text.includes('\0') ? null : text;
    }
    const rev = this.revs[Math.min(k, this.revs.length - 1)];
    if (!rev) return null;
    const obj = await this.objects.read(`${rev}:${path}`);
    if (obj?.status !== 'found' || obj.type !== 'blob' || obj.body.includes(0)) return null;
    return obj.body.toString('utf8');
  }

  dispose(): Promise<void> {
    return this.objects.dispose();
  }
}

// ---------------------------------------------------------------------------------------------

/** Runs git in `cwd`; rejects with an InputError carrying git's first stderr line. */
export async function git(cwd: string, args: string[]): Promise<string> {
  const r = await gitRead(cwd, args);
  if (r.error === null) return r.stdout;
  throw new InputError(`git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''}`.trim(), (r.stderr || r.error).trim().split('\n')[0] ?? 'failed');
}
