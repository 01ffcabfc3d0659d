// Delivering rendered replies: side effects only, no formatting. SMTP through nodemailer (the
// message goes out byte for byte as rendered, with the envelope we give), and .eml files written
// atomically (temporary file + rename) so `git send-email` or `mutt -H` never sees half a file.
// Credentials never come from the command line: the password is read from the environment.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { InputError } from '../errors.js';

export type TlsMode = 'starttls' | 'require' | 'implicit' | 'none';

export interface SmtpOptions {
  host: string;
  port: number;
  tls: TlsMode;
  user: string | null;
  /** Name of the environment variable holding the password (default LOCKREVIEW_SMTP_PASS). */
  passEnv?: string;
  timeoutMs?: number;
}

export interface OutgoingMail {
  messageId: string;
  /** Envelope sender (bare address). */
  from: string;
  /** Envelope recipients (bare addresses). */
  to: string[];
  /** The whole RFC 5322 message; line endings are made CRLF on the wire. */
  text: string;
}

export interface DeliveryResult {
  accepted: string[];
  refused: Array<{ address: string; response: string }>;
  /** Set when nothing could be delivered for a reason that may pass (connection, 4xx). */
  error: string | null;
  /** True when the server took the message for at least one recipient. */
  delivered: boolean;
}

export interface SmtpSender {
  send(mail: OutgoingMail): Promise<DeliveryResult>;
  close(): void;
}

export function smtpSender(opts: SmtpOptions): SmtpSender {
  const passEnv = opts.passEnv ?? 'LOCKREVIEW_SMTP_PASS';
  const pass = process.env[passEnv];
  if (opts.user && !pass) throw new InputError('--smtp-user', `set the password in the environment variable ${passEnv}`);
  const timeout = opts.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    host: opts.host,
    port: opts.port,
    secure: opts.tls === 'implicit',
    requireTLS: opts.tls === 'require',
    ignoreTLS: opts.tls === 'none',
    auth: opts.user ? { user: opts.user, pass: pass! } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    name: 'lockreview',
  });
  return {
    async send(mail: OutgoingMail): Promise<DeliveryResult> {
      try {
        const info = await transport.sendMail({
          envelope: { from: mail.from, to: mail.to },
          raw: mail.text.replace(/\r?\n/g, '\r\n'),
        });
        const refused = rejectedOf(info as unknown as RejectInfo);
        const accepted = (info.accepted as Array<string | { address: string }>).map(addr);
        return { accepted, refused, error: null, delivered: accepted.length > 0 };
      } catch (err) {
        const e = err as Error & RejectInfo & { code?: string; responseCode?: number; response?: string };
        const refused = rejectedOf(e);
        if (refused.length) return { accepted: [], refused, error: null, delivered: false };
        if (e.responseCode && e.responseCode >= 500) {
          // The server refused the message itself (e.g. 554 at DATA): permanent for every recipient.
          return { accepted: [], refused: mail.to.map((a) => ({ address: a, response: e.response ?? e.message })), error: null, delivered: false };
        }
        return { accepted: [], refused: [], error: `${e.code ? `${e.code}: ` : ''}${e.message}`, delivered: false };
      }
    },
    close() {
      transport.close();
    },
  };
}

interface RejectInfo {
  rejected?: Array<string | { address: string }>;
  rejectedErrors?: Array<Error & { recipient?: string; response?: string }>;
}

function rejectedOf(info: RejectInfo): Array<{ address: string; response: string }> {
  const responses = new Map<string, string>();
  for (const e of info.rejectedErrors ?? []) if (e.recipient) responses.set(e.recipient, e.response ?? e.message);
  return (info.rejected ?? []).map(addr).map((address) => ({ address, response: responses.get(address) ?? 'refused' }));
}

function addr(a: string | { address: string }): string {
  return typeof a === 'string' ? a : a.address;
}

/** Writes `<dir>/<name>` atomically; returns the path. */
export function writeEml(dir: string, name: string, text: string): string {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(dir, `cannot create the output directory: ${(err as Error).message}`);
  }
  const path = join(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return path;
}
