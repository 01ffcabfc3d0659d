// `lockreview inbox <public-inbox dir>`: review every new series of a public-inbox archive once
// and answer on the list's terms. The loop and its memory live in src/state; this file parses the
// options. The reply and delivery options are shared with `check --format email`.
import { resolve, join } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { loadConfigFor } from '../../config/load.js';
import type { Report, Series } from '../../model/index.js';
import { renderReplies, type EmailReply, type ReplyOptions } from '../../render/email.js';
import type { SmtpOptions, TlsMode } from '../../post/smtp.js';
// The state store (sql.js) and SMTP (nodemailer) are loaded only by the commands that use them,
// so `check` pays nothing for them.
import { allChecks } from '../../checks/index.js';
import { VERSION } from '../../version.js';

export const DEFAULT_FROM = 'lockreview <lockreview@lockreview.invalid>';
export const DEFAULT_MSGID_DOMAIN = 'lockreview.invalid';

/** Options of a reply and its delivery, as commander hands them over. */
export interface ReplyCliOptions {
  from?: string;
  msgidDomain?: string;
  ccOriginal?: boolean;
  cc?: string[];
  to?: string[];
  replyClean?: boolean;
  out?: string;
  send?: boolean;
  smtpHost?: string;
  smtpPort?: string;
  smtpTls?: string;
  smtpUser?: string;
}

/** Adds the reply/delivery options to a command (inbox, and check for --format email). */
export function addReplyOptions(cmd: Command): Command {
  return cmd
    .option('--reply-clean', 'also reply to patches without findings')
    .option('--from <address>', `From of the replies (env LOCKREVIEW_FROM; default "${DEFAULT_FROM}")`)
    .option('--msgid-domain <domain>', `domain of the replies' Message-IDs (default ${DEFAULT_MSGID_DOMAIN})`)
    .option('--no-cc-original', "do not Cc the patch's original To and Cc")
    .option('--cc <address>', 'extra Cc (repeatable)', collect, [])
    .option('--to <address>', 'send every reply to this address instead of the author and list (repeatable)', collect, [])
    .option('--out <dir>', 'write each reply as an .eml file in this directory')
    .option('--send', 'send the replies by SMTP (nothing is sent without it)')
    .option('--smtp-host <host>', 'SMTP server (env LOCKREVIEW_SMTP_HOST; default localhost)')
    .option('--smtp-port <port>', 'SMTP port (env LOCKREVIEW_SMTP_PORT; default 25, 465 with --smtp-tls implicit)')
    .option('--smtp-tls <mode>', 'starttls (when offered) | require | implicit | none (env LOCKREVIEW_SMTP_TLS)')
    .option('--smtp-user <user>', 'SMTP user (env LOCKREVIEW_SMTP_USER); the password is read from LOCKREVIEW_SMTP_PASS');
}

export function replyOptionsFrom(o: ReplyCliOptions): Pick<ReplyOptions, 'from' | 'msgidDomain' | 'ccOriginal' | 'cc' | 'toOverride' | 'replyClean'> {
  const from = o.from ?? process.env.LOCKREVIEW_FROM ?? DEFAULT_FROM;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(addressOf(from))) throw new InputError('--from', `not a mail address: '${from}'`);
  const domain = o.msgidDomain ?? DEFAULT_MSGID_DOMAIN;
  if (!/^[A-Za-z0-9.-]+$/.test(domain)) throw new InputError('--msgid-domain', `not a domain: '${domain}'`);
  for (const a of [...(o.cc ?? []), ...(o.to ?? [])]) {
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(addressOf(a))) throw new InputError(o.cc?.includes(a) ? '--cc' : '--to', `not a mail address: '${a}'`);
  }
  return { from, msgidDomain: domain, ccOriginal: o.ccOriginal !== false, cc: o.cc ?? [], toOverride: o.to?.length ? o.to : null, replyClean: !!o.replyClean };
}

/** SMTP settings when --send is given; null otherwise. */
export function smtpOptionsFrom(o: ReplyCliOptions): SmtpOptions | null {
  if (!o.send) return null;
  const tls = (o.smtpTls ?? process.env.LOCKREVIEW_SMTP_TLS ?? 'starttls') as TlsMode;
  if (!['starttls', 'require', 'implicit', 'none'].includes(tls)) throw new InputError('--smtp-tls', `unknown mode '${tls}' (starttls, require, implicit, none)`);
  const portText = o.smtpPort ?? process.env.LOCKREVIEW_SMTP_PORT ?? (tls === 'implicit' ? '465' : '25');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InputError('--smtp-port', `not a port: '${portText}'`);
  return { host: o.smtpHost ?? process.env.LOCKREVIEW_SMTP_HOST ?? 'localhost', port, tls, user: o.smtpUser ?? process.env.LOCKREVIEW_SMTP_USER ?? null };
}

/** The full reply settings for `check --format email` (no state: nothing to skip). */
export function checkReplyOptions(o: ReplyCliOptions, date = new Date()): ReplyOptions {
  return { ...replyOptionsFrom(o), date, version: VERSION, checks: allChecks().map((c) => c.meta) };
}

/**
 * `check --format email --out DIR / --send`: write or send the replies (no state: a re-run writes
 * the same files again, and the same Message-IDs). Returns false when a recipient was refused or
 * a reply could not be sent.
 */
export async function deliverCheckReplies(series: Series[], report: Report, o: ReplyCliOptions, reply: ReplyOptions): Promise<boolean> {
  const replies: EmailReply[] = renderReplies(series, report, reply);
  let ok = true;
  if (o.out) {
    for (const r of replies) {
      const { writeEml } = await import('../../post/smtp.js');
      const path = writeEml(resolve(o.out), `${String(r.patchIndex).padStart(4, '0')}-${r.messageId.replace(/@.*$/, '')}.eml`, r.text);
      process.stderr.write(`wrote ${path}\n`);
    }
  }
  const smtp = smtpOptionsFrom(o);
  if (smtp) {
    const { smtpSender } = await import('../../post/smtp.js');
    const sender = smtpSender(smtp);
    try {
      for (const r of replies) {
        const outcome = await sender.send({ messageId: r.messageId, from: addressOf(r.from), to: [...r.to, ...r.cc].map(addressOf), text: r.text });
        for (const x of outcome.refused) process.stderr.write(`lockreview: ${r.messageId}: recipient ${x.address} refused (${x.response.trim()}); not sent to it\n`);
        if (outcome.error) process.stderr.write(`lockreview: ${r.messageId}: not sent: ${outcome.error}\n`);
        if (outcome.delivered) process.stderr.write(`sent ${r.messageId} to ${outcome.accepted.join(', ')}\n`);
        if (outcome.error || outcome.refused.length) ok = false;
      }
    } finally {
      sender.close();
    }
  }
  return ok;
}

function addressOf(mailbox: string): string {
  return (/<([^<>]*)>\s*$/.exec(mailbox)?.[1] ?? mailbox).trim();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface InboxCliOptions extends ReplyCliOptions {
  state?: string;
  wait: string;
  resend?: boolean;
  skipExisting?: boolean;
  tree?: string;
  config?: string;
}

export function registerInbox(program: Command, setStatus: (code: number) => void): void {
  const cmd = program
    .command('inbox')
    .description('review the new series of a public-inbox archive (v2 git/N.git epochs, or one epoch repository) once each')
    .argument('<dir>', 'public-inbox archive directory')
    .option('--state <file>', 'state database (default <dir>/.lockreview-state.sqlite)')
    .option('--wait <minutes>', 'review an incomplete series this long after its first message', '60')
    .option('--resend', 'report again findings already reported on an earlier revision of the series')
    .option('--skip-existing', 'first run only: start after the messages already in the archive')
    .option('--tree <dir>', 'git work tree of the project, for whole-file analysis')
    .option('--config <file>', 'configuration file (.toml or .json)');
  addReplyOptions(cmd).action(async (dir: string, o: InboxCliOptions) => {
    const wait = Number(o.wait);
    if (!Number.isFinite(wait) || wait < 0) throw new InputError('--wait', `not a number of minutes: '${o.wait}'`);
    const reply = replyOptionsFrom(o);
    const smtp = smtpOptionsFrom(o);
    const config = await loadConfigFor({ configPath: o.config, repoRoot: o.tree ?? null });
    const { runInbox } = await import('../../state/index.js');
    const result = await runInbox({
      dir: resolve(dir),
      statePath: resolve(o.state ?? join(dir, '.lockreview-state.sqlite')),
      waitMinutes: wait,
      resend: !!o.resend,
      outDir: o.out ? resolve(o.out) : null,
      smtp,
      print: !o.out && !smtp,
      reply,
      config,
      tree: o.tree,
      skipExisting: !!o.skipExisting,
      log: (line) => process.stderr.write(`${line}\n`),
      warn: (line) => process.stderr.write(`lockreview: ${line}\n`),
      write: (text) => process.stdout.write(text),
    });
    const r = result.replies;
    process.stderr.write(
      `inbox: ${result.messagesRead} new message(s), ${result.patchMessages} patch mail; ${result.seriesReviewed} series reviewed, ` +
        `${result.seriesWaiting} waiting; replies: ${r.written} written, ${r.sent} sent, ${r.refused} with refused recipients, ${r.failed} failed` +
        (r.unknown ? `, ${r.unknown} unknown` : '') +
        '\n',
    );
    setStatus(0);
  });
}
