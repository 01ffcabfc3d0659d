// Builds a public-inbox v2 archive in a temporary directory with real git (simple-git): one bare
// repository per epoch under <dir>/git/N.git, every commit adding one message as the blob `m`,
// the way public-inbox-v2-format(5) lays a list out. Messages are made from the shared corpus
// with rewritten threading headers, so a test can post a series, replies and a resend.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { SHARED } from '../helpers/cli.js';

export class InboxBuilder {
  readonly dir: string;
  private readonly work = new Map<number, string>();
  private n = 0;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'lockreview-inbox-'));
  }

  /** Appends one message to epoch `epoch` (created on first use). */
  async add(raw: string | Buffer, epoch = 0): Promise<void> {
    let work = this.work.get(epoch);
    const bare = join(this.dir, 'git', `${epoch}.git`);
    if (!work) {
      mkdirSync(bare, { recursive: true });
      await simpleGit(bare).raw(['init', '--bare', '--quiet', '--initial-branch=master']);
      work = mkdtempSync(join(tmpdir(), 'lockreview-epoch-'));
      const g = simpleGit(work);
      await g.raw(['init', '--quiet', '--initial-branch=master']);
      await g.addConfig('user.name', 'public-inbox');
      await g.addConfig('user.email', 'public-inbox@example.org');
      await g.addConfig('commit.gpgsign', 'false');
      this.work.set(epoch, work);
    }
    writeFileSync(join(work, 'm'), raw);
    const g = simpleGit(work);
    await g.add('m');
    await g.commit(`message ${++this.n}`, ['--allow-empty']);
    await g.push(bare, 'HEAD:refs/heads/master');
  }
}

/** A corpus message with its own headers replaced: the body (and diff) is kept as posted. */
export function corpusMessage(id: string, headers: { subject: string; messageId: string; inReplyTo?: string; references?: string[]; from?: string; date?: string; to?: string; cc?: string }): string {
  const raw = readFileSync(join(SHARED, 'corpus', `${id}.eml`), 'latin1');
  const split = raw.search(/\r?\n\r?\n/);
  const oldHead = raw.slice(0, split);
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const keep = oldHead
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .filter((l) => /^(content-type|content-transfer-encoding|mime-version):/i.test(l) || (!headers.to && /^(to|cc):/i.test(l)));
  if (headers.to) keep.push(`To: ${headers.to}`);
  if (headers.cc) keep.push(`Cc: ${headers.cc}`);
  const refs = headers.references ?? (headers.inReplyTo ? [headers.inReplyTo] : []);
  const head = [
    `From: ${headers.from ?? 'Jane Developer <jane@example.org>'}`,
    `Subject: ${headers.subject}`,
    `Date: ${headers.date ?? 'Mon, 3 Nov 2025 10:00:00 +0000'}`,
    `Message-ID: <${headers.messageId}>`,
    ...(headers.inReplyTo ? [`In-Reply-To: <${headers.inReplyTo}>`] : []),
    ...(refs.length ? [`References: ${refs.map((r) => `<${r}>`).join(' ')}`] : []),
    ...keep,
  ];
  if (!keep.some((l) => /^to:/i.test(l))) head.push('To: linux-kernel@vger.kernel.org');
  return `${head.join('\n')}\n\n${body}`;
}

/** A plain mail: a cover letter or a reply. */
export function plainMessage(headers: { subject: string; messageId: string; inReplyTo?: string; references?: string[]; from?: string }, body: string): string {
  const refs = headers.references ?? (headers.inReplyTo ? [headers.inReplyTo] : []);
  return [
    `From: ${headers.from ?? 'Jane Developer <jane@example.org>'}`,
    'To: linux-kernel@vger.kernel.org',
    `Subject: ${headers.subject}`,
    'Date: Mon, 3 Nov 2025 10:00:00 +0000',
    `Message-ID: <${headers.messageId}>`,
    ...(headers.inReplyTo ? [`In-Reply-To: <${headers.inReplyTo}>`] : []),
    ...(refs.length ? [`References: ${refs.map((r) => `<${r}>`).join(' ')}`] : []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\n');
}
