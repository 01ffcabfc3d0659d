// A GitHub pull request -> one Series. The PR's commits and their diffs come from the REST API
// (paginated); when the commits form a straight line on top of the merge base, each commit is one
// patch, else (merge commits, a history that does not chain) the PR's combined diff is one patch.
// Whole files come from the checked-out repository through git (base = the merge base, patch k =
// commit k), so the Action needs `fetch-depth: 0` for per-commit files; without the objects the
// provider answers null and analysis falls back to hunk-only for that file.
// Also returns the lines GitHub accepts inline comments on: the new-side lines of the combined
// diff's hunks (added and context lines).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import type { FileDiff, FileStatus, Hunk, Patch, Series, SourceProvider } from '../model/index.js';
import type { GitHubClient, PullRequestRef } from '../post/github.js';
import { api } from '../post/github.js';

/** The parts of a PR's commit the series needs (as the REST API returns them). */
export interface PrCommit {
  sha: string;
  parents: string[];
  message: string;
  author: { name: string; email: string; date: string | null } | null;
}

/** One file of a commit's or the PR's diff (REST shape: `patch` holds the hunks only). */
export interface PrFile {
  filename: string;
  previous_filename?: string;
  status: string; // added | removed | modified | renamed | copied | changed | unchanged
  patch?: string;
}

export interface PullRequestData {
  pr: PullRequestRef;
  title: string;
  body: string | null;
  baseSha: string;
  headSha: string;
  commits: PrCommit[];
  /** Files of each commit, by sha. */
  commitFiles: Map<string, PrFile[]>;
  /** The PR's combined diff against the merge base. */
  files: PrFile[];
}

export async function readPullRequest(
  client: GitHubClient,
  pr: PullRequestRef,
  meta: { title: string; body: string | null; baseSha: string; headSha: string },
): Promise<PullRequestData> {
  const base = { owner: pr.owner, repo: pr.repo };
  const rawCommits = await api(() => client.paginate(client.rest.pulls.listCommits, { ...base, pull_number: pr.number, per_page: 100 }));
  const commits: PrCommit[] = rawCommits.map((c) => ({
    sha: c.sha,
    parents: (c.parents ?? []).map((p) => p.sha),
    message: c.commit.message,
    author: c.commit.author ? { name: c.commit.author.name ?? '', email: c.commit.author.email ?? '', date: c.commit.author.date ?? null } : null,
  }));
  const files = (await api(() => client.paginate(client.rest.pulls.listFiles, { ...base, pull_number: pr.number, per_page: 100 }))) as PrFile[];
  const commitFiles = new Map<string, PrFile[]>();
  if (isLinear(commits)) {
    for (const c of commits) {
      // A commit's files come 300 per page (GitHub stops at 3000); not a list endpoint, so no paginate().
      const all: PrFile[] = [];
      for (let page = 1; page <= 10; page++) {
        const res = await api(() => client.rest.repos.getCommit({ ...base, ref: c.sha, per_page: 300, page }));
        const files = (res.data.files ?? []) as PrFile[];
        all.push(...files);
        if (files.length < 300) break;
      }
      commitFiles.set(c.sha, all);
    }
  }
  return { pr, ...meta, commits, commitFiles, files };
}

/** True when every commit has one parent and each builds on the one before. */
export function isLinear(commits: PrCommit[]): boolean {
  if (!commits.length) return false;
  return commits.every((c, i) => c.parents.length === 1 && (i === 0 || c.parents[0] === commits[i - 1]!.sha));
}

export interface PullRequestSeries {
  series: Series;
  /** Commit after each patch (patch k -> shas[k-1]); the merge base is patch 0. */
  shas: string[];
  linear: boolean;
  commentable: Map<string, Set<number>>;
  notes: string[];
}

export function seriesFromPullRequest(data: PullRequestData, mergeBase: string): PullRequestSeries {
  const notes: string[] = [];
  let linear = isLinear(data.commits) && data.commits.every((c) => data.commitFiles.has(c.sha));
  if (linear && data.commits[0]!.parents[0] !== mergeBase) {
    // The branch starts below the merge base (the base branch was merged in some other way):
    // per-commit diffs would not line up with the tree at the merge base.
    linear = false;
  }
  const source = `github:${data.pr.owner}/${data.pr.repo}#${data.pr.number}`;
  let patches: Patch[];
  let shas: string[];
  if (linear) {
    const total = data.commits.length;
    patches = data.commits.map((c, i) => patchOf(c.message, data.commitFiles.get(c.sha) ?? [], i + 1, total, c.sha, c.author));
    shas = data.commits.map((c) => c.sha);
  } else {
    notes.push(`${source}: commits are not a straight line on the merge base; reviewing the combined diff as one patch`);
    const message = `${data.title}\n\n${data.body ?? ''}`;
    patches = [patchOf(message, data.files, 1, 1, data.headSha, null)];
    shas = [data.headSha];
  }
  const series: Series = {
    subject: data.title,
    messageId: null,
    version: 1,
    prefixes: [],
    cover: data.body,
    baseCommit: mergeBase,
    patches,
    missing: [],
    notes,
    source,
  };
  return { series, shas, linear, commentable: commentableLines(data.files), notes };
}

function patchOf(message: string, files: PrFile[], index: number, total: number, sha: string, author: PrCommit['author']): Patch {
  const [subjectLine = '', ...rest] = message.split('\n');
  const diffs = files.map(fileDiffOf);
  return {
    index,
    total,
    subject: subjectLine.trim(),
    rawSubject: subjectLine.trim(),
    messageId: null,
    inReplyTo: null,
    references: [],
    from: author ? { name: author.name, email: author.email } : null,
    date: author?.date ?? null,
    to: [],
    cc: [],
    description: rest.join('\n').trim(),
    commit: sha,
    files: diffs,
    diffText: files.map(gitDiffText).join(''),
  };
}

const STATUS: Record<string, FileStatus> = {
  added: 'added',
  removed: 'deleted',
  modified: 'modified',
  changed: 'modified',
  unchanged: 'modified',
  renamed: 'renamed',
  copied: 'copied',
};

export function fileDiffOf(f: PrFile): FileDiff {
  const status = STATUS[f.status] ?? 'modified';
  const oldPath = status === 'added' ? null : (f.previous_filename ?? f.filename);
  const newPath = status === 'deleted' ? null : f.filename;
  if (f.patch === undefined) {
    const changed = status === 'modified' || status === 'added';
    return {
      oldPath,
      newPath,
      status: changed ? 'binary' : status,
      hunks: [],
      note: changed ? 'no textual diff from GitHub (binary, or too large for the API)' : null,
      oldBlob: null,
      newBlob: null,
    };
  }
  // The REST `patch` field carries no `index` line: the Action reads its own checkout instead.
  return { oldPath, newPath, status, hunks: parseHunks(f.patch), note: null, oldBlob: null, newBlob: null };
}

/** Hunks of a diff body that starts at its first `@@` line (the REST `patch` field). */
export function parseHunks(patch: string): Hunk[] {
  const hunks: Hunk[] = [];
  let cur: Hunk | null = null;
  let oldLine = 0;
  let newLine = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const raw of patch.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const h = line.match(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/);
    if (h) {
      cur = {
        oldStart: Number(h[1]),
        oldLines: h[2] === undefined ? 1 : Number(h[2]),
        newStart: Number(h[3]),
        newLines: h[4] === undefined ? 1 : Number(h[4]),
        header: (h[5] ?? '').trim(),
        lines: [],
      };
      hunks.push(cur);
      oldLine = cur.oldStart;
      newLine = cur.newStart;
      oldLeft = cur.oldLines;
      newLeft = cur.newLines;
      continue;
    }
    // Outside a hunk, past its counts, or "\ No newline at end of file": not a diff line.
    if (!cur || line.startsWith('\\') || (oldLeft <= 0 && newLeft <= 0)) continue;
    if (line.startsWith('+')) {
      cur.lines.push({ kind: 'add', text: line.slice(1), oldLine: null, newLine: newLine++ });
      newLeft--;
    } else if (line.startsWith('-')) {
      cur.lines.push({ kind: 'del', text: line.slice(1), oldLine: oldLine++, newLine: null });
      oldLeft--;
    } else {
      // ' ' context, or an empty line whose leading space was lost in transit.
      cur.lines.push({ kind: 'ctx', text: line.slice(1), oldLine: oldLine++, newLine: newLine++ });
      oldLeft--;
      newLeft--;
    }
  }
  return hunks;
}

/** New-side lines of the hunks, per path: where GitHub takes a RIGHT-side review comment. */
export function commentableLines(files: PrFile[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const f of files) {
    if (f.patch === undefined || f.status === 'removed') continue;
    const set = new Set<number>();
    for (const h of parseHunks(f.patch)) for (const l of h.lines) if (l.newLine !== null) set.add(l.newLine);
    out.set(f.filename, set);
  }
  return out;
}

function gitDiffText(f: PrFile): string {
  if (f.patch === undefined) return '';
  const oldPath = f.previous_filename ?? f.filename;
  const a = f.status === 'added' ? '/dev/null' : `a/${oldPath}`;
  const b = f.status === 'removed' ? '/dev/null' : `b/${f.filename}`;
  const head = [`diff --git a/${oldPath} b/${f.filename}`];
  if (f.status === 'added') head.push('new file mode 100644');
  if (f.status === 'removed') head.push('deleted file mode 100644');
  if (f.status === 'renamed') head.push(`rename from ${oldPath}`, `rename to ${f.filename}`);
  head.push(`--- ${a}`, `+++ ${b}`);
  const body = f.patch.endsWith('\n') ? f.patch : f.patch + '\n';
  return head.join('\n') + '\n' + body;
}

// ---------------------------------------------------------------------------------------------
// Whole files from the checkout.

/** The merge base of the PR's base and head in the checkout, or null when git cannot tell. */
export async function mergeBaseIn(workspace: string, baseSha: string, headSha: string): Promise<string | null> {
  try {
    const out = await simpleGit(workspace).raw(['merge-base', baseSha, headSha]);
    return out.trim() || null;
  } catch {
    return null;
  }
}

/** True when the checkout has every commit object (a shallow merge-ref checkout does not). */
export async function hasCommits(workspace: string, shas: string[]): Promise<boolean> {
  const git = simpleGit(workspace);
  try {
    for (const sha of shas) await git.raw(['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Files of the checked-out repository: afterPatch 0 = the merge base, k = the commit after patch
 * k. Reads git objects (the work tree may be the merge commit GitHub checks out by default); the
 * work tree itself is used only for the head when HEAD is the PR head.
 */
export function checkoutSources(workspace: string, mergeBase: string, shas: string[]): SourceProvider {
  const git = simpleGit(workspace);
  let headChecked: Promise<boolean> | null = null;
  const headIsCheckedOut = () =>
    (headChecked ??= git
      .revparse(['HEAD'])
      .then((h) => h.trim() === shas.at(-1))
      .catch(() => false));
  return {
    description: `checkout at ${workspace} (merge base ${mergeBase.slice(0, 12)})`,
    async file(path: string, afterPatch: number): Promise<string | null> {
      const rev = afterPatch <= 0 ? mergeBase : shas[Math.min(afterPatch, shas.length) - 1]!;
      try {
        return await git.show([`${rev}:${path}`]);
      } catch {
        if (afterPatch >= shas.length && (await headIsCheckedOut())) {
          try {
            return await readFile(join(workspace, path), 'utf8');
          } catch {
            return null;
          }
        }
        return null;
      }
    },
  };
}
