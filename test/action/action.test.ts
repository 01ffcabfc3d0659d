// End to end on the committed bundle: a fake GitHub REST server on 127.0.0.1, a real git checkout
// with a PR that releases a bit lock with a plain WRITE_ONCE() (the 2024 KVM rmap shape), and
// `node dist/action.js` run as the runner would. Asserts the review, its inline comments, SARIF,
// idempotence across re-runs and pushes, the fork fallback, retries and rate-limit waits.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FakeGitHub } from './fake-github.js';
import { makePrRepo, pullOf, lineOf, MMU_PATH, PR_V1, PR_SUPPRESSED, SUPPRESSION, BUGGY_UNLOCK, type PrRepo } from './pr-repo.js';
import { runBundle, pullRequestEvent, TOKEN, type ActionRun } from './run-bundle.js';
import { sarifValidator } from '../render/sarif-schema.js';

const OWNER = 'kvm-x86';
const REPO = 'linux';
const PR = 4242;
let repo: PrRepo;

before(async () => {
  repo = await makePrRepo();
});

async function serve(head: string): Promise<{ gh: FakeGitHub; url: string }> {
  const pull = await pullOf(repo, head);
  const gh = new FakeGitHub({ owner: OWNER, repo: REPO, number: PR, ...pull });
  const url = await gh.start();
  return { gh, url };
}

async function run(gh: FakeGitHub, url: string, head: string, inputs: Record<string, string>): Promise<ActionRun> {
  await repo.git.checkout(['-q', '--detach', head]);
  return runBundle({ apiUrl: url, workspace: repo.dir, event: pullRequestEvent(OWNER, REPO, PR, repo.base, head), inputs: { 'github-token': TOKEN, ...inputs } });
}

function noSecretsOrStacks(r: ActionRun): void {
  assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN) && !r.summary.includes(TOKEN), 'the token is never printed');
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, 'no stack trace');
}

const unlockLine = lineOf(PR_V1, BUGGY_UNLOCK);

test('a PR whose bit-lock release is a plain WRITE_ONCE gets one review, an inline comment on that line, and SARIF; a re-run adds nothing; a fixed push resolves it', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    const first = await run(gh, url, repo.v1, { mode: 'both', 'fail-on': 'info', 'sarif-file': 'out/lockreview.sarif' });
    noSecretsOrStacks(first);
    assert.equal(first.code, 1, `findings at or above fail-on=info exit 1\n${first.stdout}\n${first.stderr}`);
    assert.ok(gh.requests.every((r) => r.authorization === `token ${TOKEN}`), 'every request is authenticated');
    // Read through the API, paginated (the fake serves 2 items per page).
    assert.ok(gh.requestsTo('GET', /\/pulls\/4242\/commits$/).length >= 1);
    assert.ok(gh.requestsTo('GET', /\/pulls\/4242\/files$/).length >= 1);
    assert.ok(gh.requestsTo('GET', new RegExp(`/commits/${repo.v1}$`)).length === 1);

    const posts = gh.requestsTo('POST', /\/pulls\/4242\/reviews$/);
    assert.equal(posts.length, 1, 'one review per run');
    const review = posts[0]!.body;
    assert.equal(review.commit_id, repo.v1);
    assert.equal(review.event, 'COMMENT');
    assert.match(review.body, /^<!-- lockreview:review v1 head=[0-9a-f]{40} state=/);
    assert.match(review.body, /## lockreview: \d+ locking findings?/);
    assert.match(review.body, /\| bitlock \| \d+ \| \d+ \| 0 \| 0 \|/);
    assert.match(review.body, /<details><summary><code>bitlock-[a-z-]+<\/code> at <code>arch\/x86\/kvm\/mmu\/mmu\.c:\d+<\/code>/);
    assert.match(review.body, /```mermaid\nsequenceDiagram\n    participant P0 as CPU0\n    participant P1 as CPU1/);
    assert.match(review.body, /```c\nC [^\n]+\n[\s\S]*exists[\s\S]*```/);

    const onUnlock = review.comments.filter((c: any) => c.path === MMU_PATH && c.line === unlockLine);
    assert.equal(onUnlock.length, 1, `an inline comment on ${MMU_PATH}:${unlockLine}: ${JSON.stringify(review.comments.map((c: any) => [c.path, c.line]))}`);
    for (const c of review.comments) {
      assert.equal(c.side, 'RIGHT');
      assert.equal('position' in c, false);
      assert.match(c.body, /<!-- lockreview:finding id=[^\s]+ -->/);
    }
    assert.match(onUnlock[0].body, /\[`bitlock-[a-z-]+`\]/);
    const commentedId = onUnlock[0].body.match(/lockreview:finding id=([^\s]+) -->/)[1];

    // SARIF on disk, pointing at the same line with the finding id as fingerprint.
    const sarifPath = join(repo.dir, 'out/lockreview.sarif');
    assert.equal(first.outputs['sarif-file'], sarifPath);
    const sarif = JSON.parse(readFileSync(sarifPath, 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    const validate = sarifValidator();
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 3)));
    const result = sarif.runs[0].results.find((r: any) => r.partialFingerprints['lockreviewFindingId/v1'] === commentedId);
    assert.ok(result, 'the commented finding is in the SARIF');
    assert.match(result.ruleId, /^lockreview\/bitlock-/);
    assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, MMU_PATH);
    assert.equal(result.locations[0].physicalLocation.region.startLine, unlockLine);
    assert.equal(result.codeFlows[0].threadFlows.length, 2);
    assert.equal(Number(first.outputs.findings), sarif.runs[0].results.filter((r: any) => !r.suppressions).length);
    assert.match(first.summary, /## lockreview: /);

    // Same head again: reads, posts nothing.
    const again = await run(gh, url, repo.v1, { mode: 'both', 'fail-on': 'info', 'sarif-file': 'out/lockreview.sarif' });
    noSecretsOrStacks(again);
    assert.equal(gh.requestsTo('POST', /\/reviews$/).length, 1, 'a re-run on the same head posts nothing');
    assert.match(again.stdout, /nothing new to post/);

    // Force-push of v2 that releases with smp_store_release(): the finding is resolved.
    const v2 = await pullOf(repo, repo.v2);
    gh.pull.commits = v2.commits;
    gh.pull.files = v2.files;
    const fixed = await run(gh, url, repo.v2, { mode: 'review', 'fail-on': 'info' });
    noSecretsOrStacks(fixed);
    const posts2 = gh.requestsTo('POST', /\/reviews$/);
    assert.equal(posts2.length, 2);
    const second = posts2[1]!.body;
    assert.equal(second.commit_id, repo.v2);
    assert.match(second.body, /### Resolved since the previous review/);
    assert.match(second.body, new RegExp(`~~[a-z]+: \`bitlock-[a-z-]+\` at \`arch/x86/kvm/mmu/mmu\\.c:${unlockLine}\``));
    assert.ok(!second.comments.some((c: any) => c.body.includes(`id=${commentedId} `)), 'no duplicate comment for a surviving id');
    const bodyIds = gh.reviewComments.map((c) => c.body.match(/lockreview:finding id=([^\s]+) -->/)[1]);
    assert.equal(new Set(bodyIds).size, bodyIds.length, 'each finding has at most one inline comment');
  } finally {
    await gh.stop();
  }
});

test('a checkout without the PR commits (shallow merge ref) degrades to hunk-only analysis, still on the exact line', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    // Only the files, no git objects: what a depth-1 checkout of the merge ref looks like to us.
    const ws = mkdtempSync(join(tmpdir(), 'lockreview-shallow-'));
    mkdirSync(join(ws, 'arch/x86/kvm/mmu'), { recursive: true });
    writeFileSync(join(ws, MMU_PATH), PR_V1);
    const r = await runBundle({ apiUrl: url, workspace: ws, event: pullRequestEvent(OWNER, REPO, PR, repo.base, repo.v1), inputs: { 'github-token': TOKEN, mode: 'review', 'fail-on': 'never' } });
    noSecretsOrStacks(r);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /lacks the pull request's commits .*analysing the diff hunks only/);
    const posts = gh.requestsTo('POST', /\/reviews$/);
    assert.equal(posts.length, 1);
    assert.ok(posts[0]!.body.comments.some((c: any) => c.path === MMU_PATH && c.line === unlockLine && c.side === 'RIGHT'), JSON.stringify(posts[0]!.body.comments.map((c: any) => c.line)));
  } finally {
    await gh.stop();
  }
});

test('an in-code suppression with a reason: nothing posted, exit 0, SARIF carries the suppression', async () => {
  const { gh, url } = await serve(repo.v3);
  try {
    const r = await run(gh, url, repo.v3, { mode: 'both', 'fail-on': 'info' });
    noSecretsOrStacks(r);
    assert.equal(r.code, 0, `a suppressed finding does not fail the job\n${r.stdout}\n${r.stderr}`);
    assert.equal(r.outputs.findings, '0');
    assert.equal(gh.requestsTo('POST', /\/reviews$/).length, 0, 'nothing to say on the PR');
    const sarif = JSON.parse(readFileSync(join(repo.dir, 'lockreview.sarif'), 'utf8'));
    const line = lineOf(PR_SUPPRESSED, BUGGY_UNLOCK);
    const result = sarif.runs[0].results.find((x: any) => x.locations[0].physicalLocation.region.startLine === line);
    assert.ok(result, JSON.stringify(sarif.runs[0].results.map((x: any) => [x.ruleId, x.locations[0].physicalLocation.region.startLine])));
    assert.equal(result.suppressions[0].kind, 'inSource');
    assert.equal(result.suppressions[0].justification, 'x86-only: TSO orders the stores');
    assert.equal(result.suppressions[0].location.physicalLocation.region.startLine, lineOf(PR_SUPPRESSED, SUPPRESSION));
  } finally {
    await gh.stop();
  }
});

test('fork: 403 on review creation falls back to annotations, job summary and SARIF, and exits per fail-on', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    gh.faults.push({ method: 'POST', path: /\/reviews$/, times: 99, status: 403, body: { message: 'Resource not accessible by integration' } });
    const r = await run(gh, url, repo.v1, { mode: 'review', 'fail-on': 'info' });
    noSecretsOrStacks(r);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /403 POST \/repos\/kvm-x86\/linux\/pulls\/4242\/reviews/);
    const annotation = r.stdout.split('\n').find((l) => l.startsWith(`::`) && l.includes(`file=${MMU_PATH},line=${unlockLine},`));
    assert.ok(annotation, r.stdout);
    assert.match(annotation!, /^::(error|warning|notice) file=arch\/x86\/kvm\/mmu\/mmu\.c,line=\d+,title=lockreview\/bitlock-[a-z-]+::/);
    const annotations = r.stdout.split('\n').filter((l) => /^::(error|warning|notice) file=/.test(l));
    for (const kind of ['error', 'warning', 'notice']) assert.ok(annotations.filter((l) => l.startsWith(`::${kind} `)).length <= 10);
    assert.ok(existsSync(join(repo.dir, 'lockreview.sarif')), 'SARIF written on fallback');
    assert.equal(r.outputs['sarif-file'], join(repo.dir, 'lockreview.sarif'));
    assert.match(r.summary, /## lockreview: \d+ locking finding/);
    assert.match(r.summary, /Could not post the review \(403 POST \/repos\/kvm-x86\/linux\/pulls\/4242\/reviews\)/);
    assert.equal(gh.reviews.length, 0);

    const never = await run(gh, url, repo.v1, { mode: 'review', 'fail-on': 'never' });
    assert.equal(never.code, 0, 'fail-on never: the fallback does not fail the job');
  } finally {
    await gh.stop();
  }
});

test('a 502 on review creation is retried and the review is posted once', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    gh.faults.push({ method: 'POST', path: /\/reviews$/, times: 1, status: 502, body: { message: 'Server Error' } });
    const r = await run(gh, url, repo.v1, { mode: 'review', 'fail-on': 'never' });
    noSecretsOrStacks(r);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(gh.requestsTo('POST', /\/reviews$/).length, 2, 'retried after the 502');
    assert.equal(gh.reviews.length, 1);
  } finally {
    await gh.stop();
  }
});

test('a 422 on the inline comment positions re-posts the same review with every finding in the summary', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    gh.faults.push({ method: 'POST', path: /\/reviews$/, times: 1, status: 422, body: { message: 'Unprocessable Entity', errors: ['pull_request_review_thread.line must be part of the diff'] } });
    const r = await run(gh, url, repo.v1, { mode: 'review', 'fail-on': 'never' });
    noSecretsOrStacks(r);
    assert.equal(r.code, 0, r.stderr);
    const posts = gh.requestsTo('POST', /\/reviews$/);
    assert.equal(posts.length, 2);
    assert.ok(posts[0]!.body.comments.length >= 1);
    assert.equal(posts[1]!.body.comments.length, 0);
    assert.match(posts[1]!.body.body, new RegExp(`\`arch/x86/kvm/mmu/mmu\\.c:${unlockLine}\` \\(patch 1\\) — not on a diff line`));
    assert.equal(gh.reviews.length, 1);
  } finally {
    await gh.stop();
  }
});

test('secondary rate limits (403 and 429 with retry-after) are waited out per retry-after', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    const message = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
    gh.faults.push({ method: 'GET', path: /\/pulls\/4242\/files$/, times: 1, status: 429, headers: { 'retry-after': '1' }, body: { message } });
    gh.faults.push({ method: 'POST', path: /\/reviews$/, times: 1, status: 403, headers: { 'retry-after': '1' }, body: { message } });
    const r = await run(gh, url, repo.v1, { mode: 'review', 'fail-on': 'never' });
    noSecretsOrStacks(r);
    assert.equal(r.code, 0, r.stderr);
    for (const [method, path] of [['GET', /\/pulls\/4242\/files$/], ['POST', /\/reviews$/]] as const) {
      const tries = gh.requestsTo(method, path).filter((x) => x.query.get('page') === null || x.query.get('page') === '1');
      assert.equal(tries.length, 2, `${method} ${path} retried once`);
      assert.ok(tries[1]!.at - tries[0]!.at >= 950, `waited retry-after (1 s) before retrying ${method}: ${tries[1]!.at - tries[0]!.at} ms`);
    }
    assert.match(r.stderr, /secondary rate limit on POST .*: waiting 1 s/);
    assert.equal(gh.reviews.length, 1);
  } finally {
    await gh.stop();
  }
});

test('two-stage fork workflow: the pull_request run only writes files; the workflow_run run posts from the report file without a checkout', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    const stage1 = await run(gh, url, repo.v1, { mode: 'sarif', 'report-file': 'lockreview/review.json', 'sarif-file': 'lockreview/lockreview.sarif', 'fail-on': 'never' });
    noSecretsOrStacks(stage1);
    assert.equal(stage1.code, 0, stage1.stderr);
    assert.equal(gh.requestsTo('POST', /./).length, 0, 'the pull_request stage posts nothing');
    const reportPath = join(repo.dir, 'lockreview/review.json');
    assert.equal(stage1.outputs['report-file'], reportPath);
    assert.ok(existsSync(join(repo.dir, 'lockreview/lockreview.sarif')));
    assert.ok(stage1.stdout.split('\n').some((l) => l.includes(`file=${MMU_PATH},line=${unlockLine},`)), 'annotations in sarif mode');

    // Stage 2: a fresh workspace holding only the downloaded artifact.
    const ws = mkdtempSync(join(tmpdir(), 'lockreview-stage2-'));
    mkdirSync(join(ws, 'lockreview'));
    const handoff = JSON.parse(readFileSync(reportPath, 'utf8'));
    writeFileSync(join(ws, 'lockreview/review.json'), JSON.stringify(handoff));
    const runEvent = { action: 'completed', workflow_run: { id: 77, event: 'pull_request', head_sha: repo.v1 }, repository: { full_name: `${OWNER}/${REPO}` } };
    const stage2 = await runBundle({ apiUrl: url, workspace: ws, eventName: 'workflow_run', event: runEvent, inputs: { 'github-token': TOKEN, mode: 'post', 'report-file': 'lockreview/review.json', 'fail-on': 'never' } });
    noSecretsOrStacks(stage2);
    assert.equal(stage2.code, 0, stage2.stderr);
    assert.equal(gh.requestsTo('GET', /\/pulls\/4242$/).length, 1, 'the head is checked against the live PR');
    const posts = gh.requestsTo('POST', /\/reviews$/);
    assert.equal(posts.length, 1);
    assert.equal(posts[0]!.body.commit_id, repo.v1);
    assert.ok(posts[0]!.body.comments.some((c: any) => c.path === MMU_PATH && c.line === unlockLine && c.side === 'RIGHT'));

    // A report file that claims another head is refused, and nothing is posted.
    writeFileSync(join(ws, 'lockreview/review.json'), JSON.stringify({ ...handoff, headSha: repo.v2 }));
    const forged = await runBundle({ apiUrl: url, workspace: ws, eventName: 'workflow_run', event: runEvent, inputs: { 'github-token': TOKEN, mode: 'post', 'report-file': 'lockreview/review.json' } });
    assert.equal(forged.code, 2);
    assert.match(forged.stderr, /report is for [0-9a-f]{12}, but the workflow run was for [0-9a-f]{12}/);
    assert.equal(gh.requestsTo('POST', /\/reviews$/).length, 1);

    // The PR was pushed again before stage 2 ran: skip quietly, the newer run posts.
    writeFileSync(join(ws, 'lockreview/review.json'), JSON.stringify(handoff));
    gh.pull.commits = (await pullOf(repo, repo.v2)).commits;
    const stale = await runBundle({ apiUrl: url, workspace: ws, eventName: 'workflow_run', event: runEvent, inputs: { 'github-token': TOKEN, mode: 'post', 'report-file': 'lockreview/review.json' } });
    assert.equal(stale.code, 0, stale.stderr);
    assert.match(stale.stdout, /is at [0-9a-f]{12}, not at the reviewed [0-9a-f]{12}: nothing posted/);
    assert.equal(gh.requestsTo('POST', /\/reviews$/).length, 1);
  } finally {
    await gh.stop();
  }
});

test('the config input is honoured: severity override and fail-on from the file; a bad file exits 2 naming it', async () => {
  const { gh, url } = await serve(repo.v1);
  const dir = mkdtempSync(join(tmpdir(), 'lockreview-config-'));
  try {
    writeFileSync(join(dir, 'lockreview.toml'), 'failOn = "error"\n[severity]\nbitlock = "error"\n');
    const r = await run(gh, url, repo.v1, { mode: 'sarif', config: join(dir, 'lockreview.toml') });
    noSecretsOrStacks(r);
    assert.equal(r.code, 1, `bitlock raised to error reaches the file's failOn=error\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^::error file=arch/x86/kvm/mmu/mmu\\.c,line=${unlockLine},`, 'm'));
    writeFileSync(join(dir, 'bad.toml'), 'failOn = "sometimes"\n');
    const bad = await run(gh, url, repo.v1, { mode: 'sarif', config: join(dir, 'bad.toml') });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^lockreview: .*bad\.toml.*failOn/);
    assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line');
  } finally {
    await gh.stop();
  }
});

test('llm-* inputs switch on the LLM stage: the key goes to the LLM server only, the finding records the model', async () => {
  const { gh, url } = await serve(repo.v1);
  const seen: Array<{ authorization: string | undefined; schema: string }> = [];
  const llm = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw);
      const schema: string = body.response_format.json_schema.name;
      seen.push({ authorization: req.headers.authorization, schema });
      const data = JSON.parse(body.messages.at(-1).content).data;
      // Wording keeps the analyser's own words (nothing invented); triage keeps the finding.
      const answer = schema.includes('triage') ? { outcome: 'keep', reason: 'the unlock is a plain store' } : { message: data.message, reproductionSummary: '' };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: JSON.stringify(answer) } }], usage: { prompt_tokens: 10, completion_tokens: 5 } }));
    });
  });
  await new Promise<void>((r) => llm.listen(0, '127.0.0.1', r));
  const llmUrl = `http://127.0.0.1:${(llm.address() as AddressInfo).port}`;
  const key = 'sk-llm-test-key-DO-NOT-PRINT';
  try {
    await repo.git.checkout(['-q', '--detach', repo.v1]);
    const r = await runBundle({
      apiUrl: url,
      workspace: repo.dir,
      event: pullRequestEvent(OWNER, REPO, PR, repo.base, repo.v1),
      env: { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'lockreview-llm-cache-')) },
      inputs: { 'github-token': TOKEN, mode: 'sarif', 'fail-on': 'never', 'llm-url': llmUrl, 'llm-model': 'test-model', 'llm-api-key': key },
    });
    noSecretsOrStacks(r);
    assert.ok(!r.stdout.includes(key) && !r.stderr.includes(key), 'the LLM key is never printed');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(seen.length >= 2, `wording and triage asked: ${JSON.stringify(seen)}`);
    assert.ok(seen.every((s) => s.authorization === `Bearer ${key}`));
    assert.ok(gh.requests.every((q) => q.authorization === `token ${TOKEN}`), 'the LLM key never goes to GitHub');
    const sarif = JSON.parse(readFileSync(join(repo.dir, 'lockreview.sarif'), 'utf8'));
    const result = sarif.runs[0].results.find((x: any) => x.locations[0].physicalLocation.region.startLine === unlockLine);
    assert.equal(result.properties.wordedBy, 'test-model');
    assert.equal(result.properties.triage.outcome, 'keep');
  } finally {
    await gh.stop();
    await new Promise<void>((r) => llm.close(() => r()));
  }
});

test('bad input exits 2 with one line; an API failure names status and endpoint, not the token', async () => {
  const { gh, url } = await serve(repo.v1);
  try {
    const bad = await run(gh, url, repo.v1, { mode: 'publish' });
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "lockreview: mode: unknown mode 'publish' (review, sarif, both, post)\n");
    gh.faults.push({ method: 'GET', path: /\/pulls\/4242\/commits$/, times: 9, status: 404, body: { message: 'Not Found' } });
    const missing = await run(gh, url, repo.v1, { mode: 'review' });
    noSecretsOrStacks(missing);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^lockreview: GitHub API error: 404 GET \/repos\/kvm-x86\/linux\/pulls\/4242\/commits: Not Found\n$/);
    assert.match(missing.stdout, /^::error::lockreview: GitHub API error: 404/m);
  } finally {
    await gh.stop();
  }
});
