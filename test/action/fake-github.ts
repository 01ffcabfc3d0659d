// A GitHub REST server for the Action's end-to-end tests: it plays the endpoints the Action uses
// (PR commits and files, commit files, reviews, review comments, review creation) over data the
// test gives it, records every request, paginates like GitHub (Link headers, with a small page
// size to force several pages), and can be told to fail a request the way GitHub does.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: any;
  at: number; // ms since the server started
}

export interface FakeFile {
  filename: string;
  status: string;
  patch?: string;
  previous_filename?: string;
}

export interface FakeCommit {
  sha: string;
  parents: string[];
  message: string;
  files: FakeFile[];
}

export interface FakePull {
  owner: string;
  repo: string;
  number: number;
  commits: FakeCommit[];
  files: FakeFile[];
}

/** A scripted failure: the next `times` requests matching method+path get this answer. */
export interface Fault {
  method: string;
  path: RegExp;
  times: number;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

export interface StoredReview {
  id: number;
  body: string;
  commit_id: string;
  event: string;
  comments: any[];
}

export class FakeGitHub {
  readonly requests: RecordedRequest[] = [];
  readonly reviews: StoredReview[] = [];
  readonly reviewComments: any[] = [];
  faults: Fault[] = [];
  pageSize = 2;
  private server: Server | null = null;
  private started = 0;
  private nextId = 1000;

  constructor(public pull: FakePull) {}

  async start(): Promise<string> {
    this.started = Date.now();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  requestsTo(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body: any = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw;
    }
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, body, at: Date.now() - this.started };
    this.requests.push(rec);
    const fault = this.faults.find((f) => f.times > 0 && f.method === rec.method && f.path.test(rec.path));
    if (fault) {
      fault.times--;
      return send(res, fault.status, fault.body, fault.headers);
    }
    const p = this.pull;
    const base = `/repos/${p.owner}/${p.repo}`;
    const route = rec.path;
    if (rec.method === 'GET' && route === `${base}/pulls/${p.number}/commits`) {
      return this.page(res, url, p.commits.map((c) => ({ sha: c.sha, parents: c.parents.map((s) => ({ sha: s })), commit: { message: c.message, author: { name: 'A U Thor', email: 'author@example.org', date: '2024-08-09T12:00:00Z' } } })));
    }
    if (rec.method === 'GET' && route === `${base}/pulls/${p.number}`) {
      const head = p.commits.at(-1)?.sha ?? '';
      return send(res, 200, { number: p.number, state: 'open', head: { sha: head }, base: { sha: p.commits[0]?.parents[0] ?? '' } });
    }
    if (rec.method === 'GET' && route === `${base}/pulls/${p.number}/files`) return this.page(res, url, p.files);
    const commit = route.match(new RegExp(`^${base}/commits/([0-9a-f]{40})$`));
    if (rec.method === 'GET' && commit) {
      const c = p.commits.find((x) => x.sha === commit[1]);
      if (!c) return send(res, 404, { message: 'Not Found' });
      return send(res, 200, { sha: c.sha, parents: c.parents.map((s) => ({ sha: s })), commit: { message: c.message }, files: c.files });
    }
    if (rec.method === 'GET' && route === `${base}/pulls/${p.number}/reviews`) return this.page(res, url, this.reviews.map((r) => ({ id: r.id, body: r.body, commit_id: r.commit_id, state: 'COMMENTED', user: { login: 'github-actions[bot]' } })));
    if (rec.method === 'GET' && route === `${base}/pulls/${p.number}/comments`) return this.page(res, url, this.reviewComments);
    if (rec.method === 'POST' && route === `${base}/pulls/${p.number}/reviews`) {
      const problems = validateReview(body);
      if (problems.length) return send(res, 422, { message: 'Unprocessable Entity', errors: problems });
      const id = this.nextId++;
      this.reviews.push({ id, body: body.body, commit_id: body.commit_id, event: body.event, comments: body.comments ?? [] });
      for (const c of body.comments ?? []) this.reviewComments.push({ id: this.nextId++, pull_request_review_id: id, commit_id: body.commit_id, ...c });
      return send(res, 200, { id, html_url: `https://github.example/${p.owner}/${p.repo}/pull/${p.number}#pullrequestreview-${id}` });
    }
    send(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  }

  private page(res: ServerResponse, url: URL, items: unknown[]): void {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), this.pageSize);
    const page = Number(url.searchParams.get('page') ?? 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(url.toString());
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${(this.server && `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`) + next.pathname + next.search}>; rel="next"`;
    }
    send(res, 200, slice, headers);
  }
}

/** What GitHub would refuse: the deprecated `position`, a missing line/side, a bad event. */
function validateReview(body: any): string[] {
  const problems: string[] = [];
  if (!body || typeof body.body !== 'string') problems.push('body');
  if (!/^[0-9a-f]{40}$/.test(body?.commit_id ?? '')) problems.push('commit_id');
  if (!['COMMENT', 'APPROVE', 'REQUEST_CHANGES'].includes(body?.event)) problems.push('event');
  for (const c of body?.comments ?? []) {
    if ('position' in c) problems.push('position is deprecated');
    if (typeof c.path !== 'string' || !Number.isInteger(c.line) || c.side !== 'RIGHT') problems.push(`comment ${JSON.stringify(c).slice(0, 80)}`);
    if (c.start_line !== undefined && !(Number.isInteger(c.start_line) && c.start_line < c.line)) problems.push('start_line');
  }
  return problems;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
