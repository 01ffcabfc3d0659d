// Diffs: parse unified diffs into the model; whole files of a series from git objects
// (blob-source.ts). The temporary-worktree fallback of --tree (tree.ts, openTree) is imported from
// its own module, lazily by the pipeline: it loads simple-git, which a hunk-only check never needs.
export { parseDiff, looksLikeDiff, type ParseDiffOptions } from './parse.js';
export { openBlobSource, gitRepositoryAround, type BlobSource, type BlobSourceOptions } from './blob-source.js';
