// Diffs: parse unified diffs into the model, and apply a series in a temporary git worktree for
// whole-file access (--tree).
export { parseDiff, looksLikeDiff, type ParseDiffOptions } from './parse.js';
export { openTree, type TreeSession } from './tree.js';
