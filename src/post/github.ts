// GitHub side effects: the REST client (paginated, retried on 5xx, throttled with the secondary
// rate limit honoured per retry-after), reading what earlier lockreview runs left on a pull
// request, and posting the one review of a run. No formatting here: bodies come from
// render/github-review.ts. The token is handed to octokit and never logged; API failures become
// GitHubApiError, whose message names the status and the endpoint only.
import { Octokit } from 'octokit';
import type { PriorReviews, ReviewComment, ReviewState } from '../render/github-review.js';
import { decodeMarker, findingIdOfComment } from '../render/github-review.js';

export type GitHubClient = InstanceType<typeof Octokit>;

export interface PullRequestRef {
  owner: string;
  repo: string;
  number: number;
}

export interface ClientOptions {
  token: string;
  baseUrl?: string;
  userAgent?: string;
  /** Where retries and rate-limit waits are reported (one line each). */
  log?: (line: string) => void;
}

/** An API call that failed for good: status and endpoint, never headers or the token. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    readonly endpoint: string,
    readonly detail: string,
  ) {
    super(`GitHub API ${endpoint} failed: ${status}${detail ? ` ${detail}` : ''}`);
    this.name = 'GitHubApiError';
  }
}

export function createGitHubClient(opts: ClientOptions): GitHubClient {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const quiet = () => {};
  const MAX_RATE_LIMIT_RETRIES = 2;
  return new Octokit({
    auth: opts.token,
    baseUrl: (opts.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'lockreview',
    log: { debug: quiet, info: quiet, warn: (m: string) => log(redact(m, opts.token)), error: (m: string) => log(redact(m, opts.token)) },
    retry: { retries: 3 },
    throttle: {
      onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log(`lockreview: GitHub API rate limit on ${options.method} ${options.url}: waiting ${retryAfter} s`);
        return retryCount < MAX_RATE_LIMIT_RETRIES;
      },
      onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
        log(`lockreview: GitHub API secondary rate limit on ${options.method} ${options.url}: waiting ${retryAfter} s`);
        return retryCount < MAX_RATE_LIMIT_RETRIES;
      },
    },
  });
}

function redact(s: string, token: string): string {
  return token ? s.split(token).join('***') : s;
}

/** Turns octokit's RequestError into GitHubApiError; anything else passes through. */
export function apiError(err: unknown): unknown {
  const e = err as { status?: unknown; request?: { method?: string; url?: string }; response?: { data?: unknown } };
  if (typeof e?.status !== 'number' || !e.request) return err;
  const method = e.request.method ?? 'GET';
  let path = e.request.url ?? '';
  try {
    path = new URL(path).pathname;
  } catch {
    /* already a path */
  }
  const data = e.response?.data as { message?: unknown } | string | undefined;
  const detail = typeof data === 'object' && data && typeof data.message === 'string' ? data.message : typeof data === 'string' ? data.slice(0, 200) : '';
  return new GitHubApiError(e.status, `${method} ${path}`, detail);
}

/** Runs an API call; failures come back as GitHubApiError. */
export async function api<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw apiError(err);
  }
}

/** The states of earlier lockreview reviews and the finding ids that have inline comments. */
export async function readPriorReviews(client: GitHubClient, pr: PullRequestRef): Promise<PriorReviews> {
  const params = { owner: pr.owner, repo: pr.repo, pull_number: pr.number, per_page: 100 };
  const reviews = await api(() => client.paginate(client.rest.pulls.listReviews, params));
  const states: ReviewState[] = [];
  for (const r of [...reviews].sort((a, b) => a.id - b.id)) {
    const s = decodeMarker(r.body);
    if (s) states.push(s);
  }
  const comments = await api(() => client.paginate(client.rest.pulls.listReviewComments, params));
  const commented = new Set<string>();
  for (const c of comments) {
    const id = findingIdOfComment(c.body);
    if (id) commented.add(id);
  }
  return { states, commented };
}

export type PostOutcome = { posted: true; id: number; url: string | null } | { posted: false; error: GitHubApiError };

/**
 * Posts one review (event COMMENT; the job's exit status is what gates a merge). A 403/404 is
 * what a read-only token gets (a fork's pull_request run): returned, not thrown, so the door can
 * fall back to annotations. Other failures throw GitHubApiError.
 */
export async function postReview(
  client: GitHubClient,
  pr: PullRequestRef,
  review: { commitId: string; body: string; comments: ReviewComment[] },
): Promise<PostOutcome> {
  try {
    const res = await api(() =>
      client.rest.pulls.createReview({
        owner: pr.owner,
        repo: pr.repo,
        pull_number: pr.number,
        commit_id: review.commitId,
        body: review.body,
        event: 'COMMENT',
        comments: review.comments.map((c) => ({ ...c })),
      }),
    );
    return { posted: true, id: res.data.id, url: res.data.html_url ?? null };
  } catch (err) {
    if (err instanceof GitHubApiError && (err.status === 403 || err.status === 404)) return { posted: false, error: err };
    throw err;
  }
}
