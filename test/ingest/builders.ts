// Builders for ingestion tests: mails and diffs written the way git send-email / format-patch
// write them, so each test states only what differs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MailSpec {
  subject: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  from?: string;
  date?: string;
  body: string;
  headers?: string[]; // extra raw header lines
  fromLine?: string; // mbox separator; default a format-patch style one
}

export function mail(s: MailSpec): string {
  const lines = [
    `From: ${s.from ?? 'Ada Dev <ada@example.org>'}`,
    `To: linux-kernel@vger.kernel.org`,
    `Subject: ${s.subject}`,
    `Date: ${s.date ?? 'Mon, 4 Mar 2024 10:00:00 +0000'}`,
  ];
  if (s.messageId) lines.push(`Message-ID: <${s.messageId}>`);
  if (s.inReplyTo) lines.push(`In-Reply-To: <${s.inReplyTo}>`);
  if (s.references?.length) lines.push(`References: ${s.references.map((r) => `<${r}>`).join(' ')}`);
  lines.push(...(s.headers ?? ['MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit']));
  return lines.join('\n') + '\n\n' + s.body;
}

/** mboxrd: messages with `From ` separators; body lines starting with (>*)From get one more '>'. */
export function mbox(mails: string[], quote: 'mboxrd' | 'mboxo' = 'mboxrd'): string {
  return mails
    .map((m) => {
      const body = m.split('\n').map((l) => (quote === 'mboxrd' ? (/^>*From /.test(l) ? '>' + l : l) : /^From /.test(l) ? '>' + l : l)).join('\n');
      return `From mboxrd@z Thu Jan  1 00:00:00 1970\n${body.endsWith('\n') ? body : body + '\n'}`;
    })
    .join('\n');
}

/** A one-hunk diff that changes line `at` of `file` (context of 3 lines on each side). */
export function diffFor(file: string, at = 10, fn = 'static int foo(void)', added = ['\tspin_lock(&lock);']): string {
  const ctxBefore = [`\tint a${at - 3};`, `\tint a${at - 2};`, `\tint a${at - 1};`];
  const ctxAfter = [`\tint b${at + 1};`, `\tint b${at + 2};`, `\tint b${at + 3};`];
  const start = at - 3;
  return [
    `diff --git a/${file} b/${file}`,
    'index 1111111..2222222 100644',
    `--- a/${file}`,
    `+++ b/${file}`,
    `@@ -${start},7 +${start},${7 + added.length} @@ ${fn}`,
    ...ctxBefore.map((l) => ' ' + l),
    `-\told_line_${at};`,
    `+\tnew_line_${at};`,
    ...added.map((l) => '+' + l),
    ...ctxAfter.map((l) => ' ' + l),
    '',
  ].join('\n');
}

/** A format-patch style body: message, ---, diffstat, diff, signature. */
export function patchBody(message: string, diff: string): string {
  return `${message}\n\nSigned-off-by: Ada Dev <ada@example.org>\n---\n x | 2 +-\n 1 file changed\n\n${diff}-- \n2.43.0\n`;
}

const created: string[] = [];
process.on('exit', () => {
  for (const d of created) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'lockreview-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

export function writeTemp(name: string, content: string | Buffer, dir = tempDir()): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
