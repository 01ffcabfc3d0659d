// The GitHub Action door (action.yml runs the esbuild bundle of this file). Thin: it reads the
// inputs and the event, turns the pull request into a Series (ingest/github-pr.ts), reviews it with
// the same pipeline as the CLI over the checked-out tree, and hands the report to the renderers and
// to post/github.ts. It talks to the runner through its documented files and commands only:
// INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and `::error file=...::` annotations.
//
// Modes: review (one PR review per run), sarif (write SARIF, no posting), both, and post: the
// second stage of the fork-safe two-stage workflow (a workflow_run job that never checks out PR
// code posts the review from the report file the pull_request job uploaded; the file is checked
// against the PR's head as GitHub reports it, and the diff lines are re-read from the API). When
// the token cannot post (403/404: a fork's pull_request run has a read-only token) the run does
// not fail on that: it writes SARIF, the job summary and annotations, and exits per fail-on.
// The token is given to octokit and nowhere else; API errors are printed as status + endpoint.
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { InputError, UnsupportedError, EXIT } from '../errors.js';
import { z } from 'zod';
import type { FailOn, Finding, FindingClass, Report, SourceProvider } from '../model/index.js';
import { FINDING_CLASSES, SEVERITY_RANK, byCodeUnit } from '../model/index.js';
import { reviewSeries } from '../pipeline.js';
import { loadConfigFor } from '../config/load.js';
import type { Config } from '../config/index.js';
import { renderText } from '../render/text.js';
import { renderSarif } from '../render/sarif.js';
import { activeFindings, planReview, type ReviewPlan } from '../render/github-review.js';
import { api, createGitHubClient, GitHubApiError, postReview, readPriorReviews, type GitHubClient, type PostOutcome, type PullRequestRef } from '../post/github.js';
import { checkoutSources, commentableLines, hasCommits, mergeBaseIn, readPullRequest, seriesFromPullRequest, type PrFile } from '../ingest/github-pr.js';
import { VERSION } from '../version.js';

type Mode = 'review' | 'sarif' | 'both' | 'post';
type Env = Record<string, string | undefined>;

interface ActionInputs {
  token: string;
  failOn: FailOn | null; // null: the config's
  mode: Mode;
  sarifFile: string;
  reportFile: string | null;
  configPath: string | null;
  llmUrl: string | null;
  llmModel: string | null;
  llmApiKey: string | null;
}

/** `core.getInput` semantics: INPUT_<NAME upper-cased, spaces as _>, trimmed, '' when unset. */
export function getInput(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export function readInputs(env: Env): ActionInputs {
  const failOn = getInput(env, 'fail-on');
  if (failOn && !['error', 'warning', 'info', 'never'].includes(failOn)) {
    throw new InputError('fail-on', `unknown level '${failOn}' (error, warning, info, never)`);
  }
  const mode = getInput(env, 'mode') || 'review';
  if (mode !== 'review' && mode !== 'sarif' && mode !== 'both' && mode !== 'post') {
    throw new InputError('mode', `unknown mode '${mode}' (review, sarif, both, post)`);
  }
  return {
    token: getInput(env, 'github-token') || env.GITHUB_TOKEN || '',
    failOn: (failOn || null) as FailOn | null,
    mode,
    sarifFile: getInput(env, 'sarif-file') || 'lockreview.sarif',
    reportFile: getInput(env, 'report-file') || null,
    configPath: getInput(env, 'config') || null,
    llmUrl: getInput(env, 'llm-url') || null,
    llmModel: getInput(env, 'llm-model') || null,
    llmApiKey: getInput(env, 'llm-api-key') || null,
  };
}

// ---------------------------------------------------------------------------------------------
// Runner protocol: workflow commands, outputs, job summary.

function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** GitHub shows at most 10 annotations of each type per step; the rest are counted in the summary. */
export const ANNOTATIONS_PER_TYPE = 10;

export function annotations(findings: Finding[]): { lines: string[]; omitted: number } {
  const kind = (f: Finding) => (f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'notice');
  const used: Record<string, number> = { error: 0, warning: 0, notice: 0 };
  const lines: string[] = [];
  let omitted = 0;
  const ordered = [...findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || byCodeUnit(a.file, b.file) || a.line - b.line);
  for (const f of ordered) {
    const k = kind(f);
    if (used[k]! >= ANNOTATIONS_PER_TYPE) {
      omitted++;
      continue;
    }
    used[k]!++;
    const props = [`file=${escapeProperty(f.file)}`, `line=${f.line}`];
    if (f.endLine > f.line) props.push(`endLine=${f.endLine}`);
    props.push(`title=${escapeProperty(`lockreview/${f.ruleId}`)}`);
    lines.push(`::${k} ${props.join(',')}::${escapeData(f.message)}`);
  }
  return { lines, omitted };
}

function setOutput(env: Env, name: string, value: string): void {
  if (!env.GITHUB_OUTPUT) return;
  const delim = `lockreview_${randomBytes(8).toString('hex')}`;
  appendFileSync(env.GITHUB_OUTPUT, `${name}<<${delim}\n${value}\n${delim}\n`);
}

function appendSummary(env: Env, markdown: string): void {
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, markdown.endsWith('\n') ? markdown : markdown + '\n');
}

/** Written whole or not at all. */
function writeAtomically(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

// ---------------------------------------------------------------------------------------------
// The event.

interface PullRequestEvent {
  pr: PullRequestRef;
  title: string;
  body: string | null;
  baseSha: string;
  headSha: string;
}

export function readEvent(env: Env): PullRequestEvent {
  const name = env.GITHUB_EVENT_NAME ?? '';
  if (name !== 'pull_request') {
    throw new InputError('GITHUB_EVENT_NAME', `lockreview reviews pull_request events, not '${name || '(unset)'}' (on workflow_run, use mode: post; see docs/github-action.md)`);
  }
  const path = env.GITHUB_EVENT_PATH;
  if (!path) throw new InputError('GITHUB_EVENT_PATH', 'not set: run inside a GitHub Actions job');
  let event: Record<string, any>;
  try {
    event = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(path, `cannot read the event: ${(err as Error).message}`);
  }
  const pr = event.pull_request;
  const sha = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
  if (!pr || typeof pr.number !== 'number' || !sha.test(pr.head?.sha ?? '') || !sha.test(pr.base?.sha ?? '')) {
    throw new InputError(path, 'not a pull_request event payload (pull_request.number, head.sha, base.sha)');
  }
  const full: string = event.repository?.full_name ?? pr.base?.repo?.full_name ?? env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo) throw new InputError(path, 'no repository owner/name in the event');
  return { pr: { owner, repo, number: pr.number }, title: String(pr.title ?? ''), body: pr.body ?? null, baseSha: pr.base.sha, headSha: pr.head.sha };
}

// ---------------------------------------------------------------------------------------------

export async function runAction(env: Env = process.env): Promise<number> {
  const inputs = readInputs(env);
  if (!inputs.token && inputs.mode !== 'sarif') throw new InputError('github-token', 'no token: pass github-token (defaults to the workflow token)');
  const client = createGitHubClient({
    token: inputs.token,
    baseUrl: env.GITHUB_API_URL || 'https://api.github.com',
    userAgent: `lockreview/${VERSION}`,
    log: (line) => process.stderr.write(line + '\n'),
  });
  return inputs.mode === 'post' ? postStage(env, inputs, client) : reviewStage(env, inputs, client);
}

const log = (line: string) => process.stdout.write(line + '\n');

/** pull_request: review the PR from the checkout; post, or write SARIF, or both. */
async function reviewStage(env: Env, inputs: ActionInputs, client: GitHubClient): Promise<number> {
  const event = readEvent(env);
  const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const config = await loadConfigFor({ configPath: inputs.configPath ? resolve(workspace, inputs.configPath) : undefined, repoRoot: workspace });
  applyLlmInputs(config, inputs, env);
  const failOn: FailOn = inputs.failOn ?? config.failOn;

  const data = await readPullRequest(client, event.pr, event);
  const mergeBase = (await mergeBaseIn(workspace, event.baseSha, event.headSha)) ?? data.commits[0]?.parents[0] ?? event.baseSha;
  const pr = seriesFromPullRequest(data, mergeBase);
  const notes = [...pr.notes];
  let sources: SourceProvider | undefined;
  if (await hasCommits(workspace, [mergeBase, ...pr.shas])) sources = checkoutSources(workspace, mergeBase, pr.shas);
  else notes.push(`${workspace}: the checkout lacks the pull request's commits (check out with fetch-depth: 0); analysing the diff hunks only`);
  const report = await reviewSeries([pr.series], { sources, config }, notes);
  process.stdout.write(renderText(report));

  const active = activeFindings(report);
  setOutput(env, 'findings', String(active.length));
  if (inputs.reportFile) {
    const path = resolve(workspace, inputs.reportFile);
    const handoff: Handoff = { lockreviewHandoff: 1, repository: `${event.pr.owner}/${event.pr.repo}`, number: event.pr.number, headSha: event.headSha, failOn, report };
    writeAtomically(path, JSON.stringify(handoff, null, 2) + '\n');
    setOutput(env, 'report-file', path);
    log(`lockreview: report for the posting stage written to ${relative(workspace, path) || path}`);
  }
  return deliver(env, inputs, client, { pr: event.pr, headSha: event.headSha, report, commentable: pr.commentable, failOn, workspace });
}

/** workflow_run: post the review from the report file of the pull_request run. No checkout. */
async function postStage(env: Env, inputs: ActionInputs, client: GitHubClient): Promise<number> {
  if (env.GITHUB_EVENT_NAME !== 'workflow_run') {
    throw new InputError('mode', `mode 'post' runs on workflow_run (the second stage), not on '${env.GITHUB_EVENT_NAME ?? '(unset)'}'`);
  }
  if (!inputs.reportFile) throw new InputError('report-file', "mode 'post' needs the report file of the pull_request run");
  const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const event = readJsonFile(env.GITHUB_EVENT_PATH, 'GITHUB_EVENT_PATH') as { workflow_run?: { head_sha?: string }; repository?: { full_name?: string } };
  const runHead = event.workflow_run?.head_sha ?? '';
  const repository = event.repository?.full_name ?? env.GITHUB_REPOSITORY ?? '';
  const path = resolve(workspace, inputs.reportFile);
  const handoff = parseHandoff(readJsonFile(path, path), path);
  // The file came from a run of PR code: trust nothing in it that GitHub can tell us itself.
  if (handoff.headSha !== runHead) throw new InputError(path, `report is for ${handoff.headSha.slice(0, 12)}, but the workflow run was for ${runHead.slice(0, 12) || '(none)'}`);
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) throw new InputError('GITHUB_EVENT_PATH', 'no repository in the workflow_run event');
  const pr: PullRequestRef = { owner, repo, number: handoff.number };
  const live = await api(() => client.rest.pulls.get({ owner, repo, pull_number: pr.number }));
  if (live.data.head.sha !== runHead) {
    // Pushed again since: the run for the new head will post. Not an error of this run.
    log(`lockreview: pull request #${pr.number} is at ${live.data.head.sha.slice(0, 12)}, not at the reviewed ${runHead.slice(0, 12)}: nothing posted`);
    return EXIT.ok;
  }
  const files = (await api(() => client.paginate(client.rest.pulls.listFiles, { owner, repo, pull_number: pr.number, per_page: 100 }))) as PrFile[];
  const failOn = inputs.failOn ?? handoff.failOn;
  process.stdout.write(renderText(handoff.report));
  setOutput(env, 'findings', String(activeFindings(handoff.report).length));
  return deliver(env, { ...inputs, mode: 'review' }, client, { pr, headSha: runHead, report: handoff.report, commentable: commentableLines(files), failOn, workspace });
}

interface Delivery {
  pr: PullRequestRef;
  headSha: string;
  report: Report;
  commentable: Map<string, Set<number>>;
  failOn: FailOn;
  workspace: string;
}

/** SARIF, the one review (or the fallback), annotations, job summary; returns the exit status. */
async function deliver(env: Env, inputs: ActionInputs, client: GitHubClient, d: Delivery): Promise<number> {
  const { report, workspace } = d;
  const active = activeFindings(report);
  const sarifPath = isAbsolute(inputs.sarifFile) ? inputs.sarifFile : join(workspace, inputs.sarifFile);
  const shownSarif = relative(workspace, sarifPath) || sarifPath;
  let sarifWritten = false;
  const writeSarif = () => {
    if (sarifWritten) return;
    writeAtomically(sarifPath, renderSarif(report));
    sarifWritten = true;
    setOutput(env, 'sarif-file', sarifPath);
    log(`lockreview: SARIF written to ${shownSarif}`);
  };
  if (inputs.mode === 'sarif' || inputs.mode === 'both') writeSarif();

  let annotate = inputs.mode === 'sarif';
  let plan: ReviewPlan | null = null;
  let fallbackNote = '';
  if (inputs.mode !== 'sarif') {
    const prior = await readPriorReviews(client, d.pr);
    plan = planReview({ report, headSha: d.headSha, commentable: d.commentable, prior, sarifFile: inputs.mode === 'both' ? shownSarif : null });
    if (!plan.post) {
      log(
        prior.states.length
          ? `lockreview: nothing new to post (head ${d.headSha.slice(0, 12)} already reviewed with the same findings)`
          : 'lockreview: no findings and no earlier review: nothing to post',
      );
    } else {
      let outcome = await postReviewOr422(client, d.pr, d.headSha, plan);
      if (outcome === 'unprocessable') {
        // GitHub refused a comment anchor (a diff it truncated, a line it does not show): post the
        // same review with every finding in the summary rather than lose it.
        process.stderr.write('lockreview: GitHub refused an inline comment position (422); posting the findings in the summary only\n');
        plan = planReview({ report, headSha: d.headSha, commentable: new Map(), prior, sarifFile: inputs.mode === 'both' ? shownSarif : null });
        outcome = await postReviewOr422(client, d.pr, d.headSha, plan);
        if (outcome === 'unprocessable') throw new GitHubApiError(422, `POST /repos/${d.pr.owner}/${d.pr.repo}/pulls/${d.pr.number}/reviews`, 'Unprocessable Entity');
      }
      if (outcome.posted) {
        log(`lockreview: posted review ${outcome.id} with ${plan.comments.length} inline comment${plan.comments.length === 1 ? '' : 's'}`);
        setOutput(env, 'review-id', String(outcome.id));
      } else {
        // A read-only token (fork PR on pull_request): report through the runner instead.
        fallbackNote = `Could not post the review (${outcome.error.status} ${outcome.error.endpoint}): the token is read-only, as on a pull request from a fork. Findings are reported as annotations and SARIF; see docs/github-action.md for the two-stage workflow that posts reviews for forks.`;
        process.stderr.write(`lockreview: ${fallbackNote}\n`);
        writeSarif();
        annotate = true;
      }
    }
  }

  const summary = plan?.summary ?? planReview({ report, headSha: d.headSha, commentable: d.commentable, prior: { states: [], commented: new Set() }, sarifFile: shownSarif }).summary;
  let tail = fallbackNote ? `\n> ${fallbackNote}\n` : '';
  if (annotate && active.length) {
    const a = annotations(active);
    for (const line of a.lines) process.stdout.write(line + '\n');
    if (a.omitted) tail += `\n${a.omitted} more finding${a.omitted === 1 ? ' is' : 's are'} not annotated (GitHub shows ${ANNOTATIONS_PER_TYPE} per type per step); all are in the SARIF file.\n`;
  }
  appendSummary(env, summary + tail);
  return exitStatus(report, d.failOn);
}

async function postReviewOr422(client: GitHubClient, pr: PullRequestRef, headSha: string, plan: ReviewPlan): Promise<PostOutcome | 'unprocessable'> {
  try {
    return await postReview(client, pr, { commitId: headSha, body: plan.body, comments: plan.comments });
  } catch (err) {
    if (err instanceof GitHubApiError && err.status === 422 && plan.comments.length) return 'unprocessable';
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// The report file handed from the pull_request run to the workflow_run run.

interface Handoff {
  lockreviewHandoff: 1;
  repository: string;
  number: number;
  headSha: string;
  failOn: FailOn;
  report: Report;
}

const nullableString = z.string().nullable();
const findingSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/),
  ruleId: z.string().regex(/^[a-z0-9-]{1,100}$/),
  class: z.enum(FINDING_CLASSES as [FindingClass, ...FindingClass[]]),
  severity: z.enum(['error', 'warning', 'info']),
  file: z.string().min(1).max(1000),
  line: z.number().int().positive(),
  endLine: z.number().int().positive(),
  function: nullableString,
  patch: z.number().int().nullable(),
  introduced: z.boolean(),
  message: z.string().max(4000),
  reproduction: z.object({
    interleaving: z
      .object({
        title: z.string(),
        cpus: z.array(z.string()).min(1).max(8),
        steps: z.array(z.object({ cpu: z.number().int().min(0), action: z.string(), file: z.string().optional(), line: z.number().int().optional(), note: z.string().optional() })),
        outcome: z.string(),
      })
      .nullable(),
    litmus: nullableString,
    verdict: z
      .object({ observation: z.enum(['Never', 'Sometimes', 'Always']), positive: z.number(), negative: z.number(), dataRace: z.boolean(), model: z.string() })
      .nullable(),
    chain: z.array(z.string()).nullable(),
    splat: nullableString,
    configs: z.array(z.string()).nullable(),
  }),
  suppressed: z.object({ reason: z.string(), line: z.number().int() }).optional(),
  triage: z.object({ outcome: z.enum(['keep', 'downgrade', 'drop']), reason: z.string(), model: z.string() }).optional(),
});
const handoffSchema = z.object({
  lockreviewHandoff: z.literal(1),
  repository: z.string(),
  number: z.number().int().positive(),
  headSha: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/),
  failOn: z.enum(['error', 'warning', 'info', 'never']),
  report: z.object({
    tool: z.object({ name: z.literal('lockreview'), version: z.string() }),
    series: z.array(
      z.object({
        subject: z.string(),
        messageId: nullableString,
        version: z.number(),
        notes: z.array(z.string()),
        patches: z.array(z.object({ index: z.number().int(), total: z.number().int(), subject: z.string(), messageId: nullableString, files: z.array(z.string()) })),
      }),
    ),
    findings: z.array(findingSchema).max(1000),
    stats: z.object({ patches: z.number(), files: z.number(), functions: z.number(), ms: z.number() }),
    notes: z.array(z.string()),
  }),
});

function parseHandoff(value: unknown, path: string): Handoff {
  const r = handoffSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(path, `not a lockreview report file: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'bad shape'}`);
  }
  return r.data as unknown as Handoff;
}

function readJsonFile(path: string | undefined, name: string): unknown {
  if (!path) throw new InputError(name, 'not set: run inside a GitHub Actions job');
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(name, `cannot read ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function exitStatus(report: Report, failOn: FailOn): number {
  if (failOn === 'never') return EXIT.ok;
  const floor = SEVERITY_RANK[failOn];
  return activeFindings(report).some((f) => SEVERITY_RANK[f.severity] >= floor) ? EXIT.findings : EXIT.ok;
}

function applyLlmInputs(config: Config, inputs: ActionInputs, env: Env): void {
  // Off unless a URL is given. The key travels by environment variable name, never in the config.
  if (!inputs.llmUrl) return;
  config.llm.url = inputs.llmUrl;
  if (inputs.llmModel) config.llm.model = inputs.llmModel;
  if (inputs.llmApiKey) {
    env.LOCKREVIEW_LLM_API_KEY = inputs.llmApiKey;
    process.env.LOCKREVIEW_LLM_API_KEY = inputs.llmApiKey;
    config.llm.keyEnv = 'LOCKREVIEW_LLM_API_KEY';
  }
}

/** Typed errors -> one line (as a workflow error command too) and an exit code; no stack. */
export function reportFailure(err: unknown, token: string): number {
  const clean = (s: string) => (token ? s.split(token).join('***') : s);
  let line: string;
  let code: number;
  if (err instanceof InputError) {
    line = `lockreview: ${err.toString()}`;
    code = EXIT.badInput;
  } else if (err instanceof UnsupportedError) {
    line = `lockreview: ${err.message}`;
    code = EXIT.badInput;
  } else if (err instanceof GitHubApiError) {
    line = `lockreview: GitHub API error: ${err.status} ${err.endpoint}${err.detail ? `: ${err.detail}` : ''}`;
    code = EXIT.internal;
  } else {
    line = `lockreview: internal error: ${err instanceof Error ? err.message : String(err)}`;
    code = EXIT.internal;
  }
  line = clean(line);
  process.stderr.write(line + '\n');
  process.stdout.write(`::error::${escapeData(line)}\n`);
  return code;
}

// Entry point when run as the bundle (or directly with tsx).
const isMain = !!process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  runAction(process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = reportFailure(err, readInputsSafe(process.env).token);
    },
  );
}

function readInputsSafe(env: Env): { token: string } {
  return { token: getInput(env, 'github-token') || env.GITHUB_TOKEN || '' };
}
