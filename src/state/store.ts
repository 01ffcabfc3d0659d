// The inbox door's memory: which messages were read, which series were reviewed, which replies
// were written or sent. SQLite through sql.js (WASM, no native module); the database lives in
// memory and is written back whole after every transaction: to a temporary file, fsync'd, then
// renamed over the old one, so a crash leaves either the old state or the new one, never half.
// A lock file next to it keeps two runs from working on the same state (a dead owner's lock is
// taken over).

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlValue } from 'sql.js';
import { InputError } from '../errors.js';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
-- Last commit read in each epoch of the inbox ('.' for a single-repository inbox).
CREATE TABLE IF NOT EXISTS cursors (epoch TEXT PRIMARY KEY, commit_id TEXT NOT NULL);
-- Patch and cover-letter messages seen; raw is dropped once the series is reviewed.
CREATE TABLE IF NOT EXISTS messages (
  message_id TEXT PRIMARY KEY,
  epoch TEXT NOT NULL,
  commit_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  author TEXT NOT NULL,
  in_reply_to TEXT,
  refs TEXT NOT NULL,
  version INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  total INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  raw BLOB,
  series_key TEXT,
  status TEXT NOT NULL -- pending | reviewed | late
);
CREATE TABLE IF NOT EXISTS series (
  series_key TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  author TEXT NOT NULL,
  version INTEGER NOT NULL,
  total INTEGER NOT NULL,
  patch_subjects TEXT NOT NULL,
  message_ids TEXT NOT NULL,
  finding_ids TEXT NOT NULL,
  status TEXT NOT NULL, -- reviewed | failed
  detail TEXT,
  reviewed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS replies (
  message_id TEXT PRIMARY KEY,
  series_key TEXT NOT NULL,
  patch_message_id TEXT,
  patch_index INTEGER NOT NULL,
  finding_ids TEXT NOT NULL,
  envelope_to TEXT NOT NULL,
  raw TEXT NOT NULL,
  file TEXT,
  -- planned: recorded, not yet delivered; written: to a file or stdout only; sending: SMTP started;
  -- sent / partial (some recipients refused) / refused (all) / failed (transient: retried)
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  detail TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reply_recipients (
  reply_id TEXT NOT NULL,
  address TEXT NOT NULL,
  status TEXT NOT NULL, -- accepted | refused
  response TEXT,
  PRIMARY KEY (reply_id, address)
);
`;

export type MessageStatus = 'pending' | 'reviewed' | 'late';

export interface StoredMessage {
  messageId: string;
  epoch: string;
  commit: string;
  subject: string; // without the [PATCH ...] prefix
  author: string; // lower-case address
  inReplyTo: string | null;
  references: string[];
  version: number;
  index: number;
  total: number;
  firstSeen: number; // ms since the epoch, when this state first read it
  raw: Buffer | null;
  seriesKey: string | null;
  status: MessageStatus;
}

export type ReplyStatus = 'planned' | 'written' | 'sending' | 'sent' | 'partial' | 'refused' | 'failed' | 'unknown';

export interface StoredReply {
  messageId: string;
  seriesKey: string;
  patchMessageId: string | null;
  patchIndex: number;
  findingIds: string[];
  envelopeTo: string[];
  raw: string;
  file: string | null;
  status: ReplyStatus;
  attempts: number;
  detail: string | null;
}

export interface StoredSeries {
  seriesKey: string;
  subject: string;
  author: string;
  version: number;
  total: number;
  patchSubjects: string[];
  messageIds: string[];
  findingIds: string[];
  status: 'reviewed' | 'failed';
  detail: string | null;
  reviewedAt: number;
}

/** Statuses of a reply that reached someone (a file, stdout, or at least one SMTP recipient). */
export const DELIVERED: readonly ReplyStatus[] = ['written', 'sent', 'partial'];

type Row = Record<string, SqlValue>;

let sqlPromise: ReturnType<typeof initSqlJs> | null = null;
function sql() {
  if (!sqlPromise) {
    // Point sql.js at its own wasm file wherever npm put the package.
    const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    sqlPromise = initSqlJs({ locateFile: () => wasm });
  }
  return sqlPromise;
}

export class ReviewState {
  private inTransaction = false;

  private constructor(
    readonly path: string,
    private readonly db: Database,
    private readonly lockPath: string,
  ) {}

  /** Opens (or creates) the state file and takes its lock. */
  static async open(path: string): Promise<ReviewState> {
    const lockPath = `${path}.lock`;
    takeLock(lockPath, path);
    try {
      const SQL = await sql();
      let bytes: Buffer | null = null;
      try {
        bytes = readFileSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(path, `cannot read the state file: ${(err as Error).message}`);
      }
      let db: Database;
      try {
        db = bytes ? new SQL.Database(bytes) : new SQL.Database();
        db.exec(SCHEMA);
      } catch (err) {
        throw new InputError(path, `not a lockreview state database (${(err as Error).message})`);
      }
      const state = new ReviewState(path, db, lockPath);
      const v = state.one('SELECT value FROM meta WHERE key = ?', ['schema']);
      if (v && Number(v.value) !== SCHEMA_VERSION) throw new InputError(path, `state schema ${String(v.value)} is not ${SCHEMA_VERSION}`);
      if (!v) state.transaction(() => state.db.run('INSERT INTO meta VALUES (?, ?)', ['schema', String(SCHEMA_VERSION)]));
      return state;
    } catch (err) {
      releaseLock(lockPath);
      throw err;
    }
  }

  close(): void {
    this.db.close();
    releaseLock(this.lockPath);
  }

  /** Runs `fn` as one SQLite transaction and writes the database to disk when it commits. */
  transaction<T>(fn: () => T): T {
    if (this.inTransaction) return fn();
    this.db.run('BEGIN');
    this.inTransaction = true;
    let result: T;
    try {
      result = fn();
      this.db.run('COMMIT');
    } catch (err) {
      this.db.run('ROLLBACK');
      throw err;
    } finally {
      this.inTransaction = false;
    }
    this.persist();
    return result;
  }

  // --- cursors ------------------------------------------------------------------------------

  cursor(epoch: string): string | null {
    return (this.one('SELECT commit_id FROM cursors WHERE epoch = ?', [epoch])?.commit_id as string | undefined) ?? null;
  }

  setCursor(epoch: string, commit: string): void {
    this.db.run('INSERT INTO cursors VALUES (?, ?) ON CONFLICT(epoch) DO UPDATE SET commit_id = excluded.commit_id', [epoch, commit]);
  }

  // --- messages -----------------------------------------------------------------------------

  hasMessage(messageId: string): boolean {
    return !!this.one('SELECT 1 AS x FROM messages WHERE message_id = ?', [messageId]);
  }

  addMessage(m: StoredMessage): void {
    this.db.run('INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)', [
      m.messageId,
      m.epoch,
      m.commit,
      m.subject,
      m.author,
      m.inReplyTo,
      JSON.stringify(m.references),
      m.version,
      m.index,
      m.total,
      m.firstSeen,
      m.raw,
      m.seriesKey,
      m.status,
    ]);
  }

  /** Messages by status; raw bodies only when asked (they are the bulk of the file). */
  messages(status: MessageStatus, withRaw = false): StoredMessage[] {
    const cols = withRaw ? '*' : 'message_id, epoch, commit_id, subject, author, in_reply_to, refs, version, idx, total, first_seen, NULL AS raw, series_key, status';
    return this.all(`SELECT ${cols} FROM messages WHERE status = ? ORDER BY first_seen, rowid`, [status]).map(toMessage);
  }

  rawOf(messageId: string): Buffer | null {
    const r = this.one('SELECT raw FROM messages WHERE message_id = ?', [messageId]);
    return r?.raw instanceof Uint8Array ? Buffer.from(r.raw) : null;
  }

  /** Reviewed messages keyed by id, for threading late arrivals onto their series. */
  reviewedMessageIndex(): Map<string, Pick<StoredMessage, 'messageId' | 'version' | 'total' | 'seriesKey' | 'index'>> {
    const out = new Map<string, Pick<StoredMessage, 'messageId' | 'version' | 'total' | 'seriesKey' | 'index'>>();
    for (const r of this.all("SELECT message_id, version, total, idx, series_key FROM messages WHERE status != 'pending'")) {
      out.set(r.message_id as string, { messageId: r.message_id as string, version: Number(r.version), total: Number(r.total), index: Number(r.idx), seriesKey: (r.series_key as string | null) ?? null });
    }
    return out;
  }

  markMessages(ids: readonly string[], status: MessageStatus, seriesKey: string): void {
    for (const id of ids) this.db.run('UPDATE messages SET status = ?, series_key = ?, raw = NULL WHERE message_id = ?', [status, seriesKey, id]);
  }

  // --- series -------------------------------------------------------------------------------

  series(key: string): StoredSeries | null {
    const r = this.one('SELECT * FROM series WHERE series_key = ?', [key]);
    return r ? toSeries(r) : null;
  }

  seriesByAuthor(author: string): StoredSeries[] {
    return this.all('SELECT * FROM series WHERE author = ? ORDER BY reviewed_at', [author]).map(toSeries);
  }

  allSeries(): StoredSeries[] {
    return this.all('SELECT * FROM series ORDER BY reviewed_at, rowid').map(toSeries);
  }

  addSeries(s: StoredSeries): void {
    this.db.run('INSERT INTO series VALUES (?,?,?,?,?,?,?,?,?,?,?)', [
      s.seriesKey,
      s.subject,
      s.author,
      s.version,
      s.total,
      JSON.stringify(s.patchSubjects),
      JSON.stringify(s.messageIds),
      JSON.stringify(s.findingIds),
      s.status,
      s.detail,
      s.reviewedAt,
    ]);
  }

  // --- replies ------------------------------------------------------------------------------

  addReply(r: StoredReply): void {
    this.db.run('INSERT INTO replies VALUES (?,?,?,?,?,?,?,?,?,?,?,?)', [
      r.messageId,
      r.seriesKey,
      r.patchMessageId,
      r.patchIndex,
      JSON.stringify(r.findingIds),
      JSON.stringify(r.envelopeTo),
      r.raw,
      r.file,
      r.status,
      r.attempts,
      r.detail,
      Date.now(),
    ]);
  }

  hasReply(messageId: string): boolean {
    return !!this.one('SELECT 1 AS x FROM replies WHERE message_id = ?', [messageId]);
  }

  updateReply(messageId: string, change: { status: ReplyStatus; file?: string | null; detail?: string | null; attempt?: boolean }): void {
    this.db.run(
      'UPDATE replies SET status = ?, file = COALESCE(?, file), detail = ?, attempts = attempts + ?, updated_at = ? WHERE message_id = ?',
      [change.status, change.file ?? null, change.detail ?? null, change.attempt ? 1 : 0, Date.now(), messageId],
    );
  }

  setRecipient(replyId: string, address: string, status: 'accepted' | 'refused', response: string | null): void {
    this.db.run(
      'INSERT INTO reply_recipients VALUES (?,?,?,?) ON CONFLICT(reply_id, address) DO UPDATE SET status = excluded.status, response = excluded.response',
      [replyId, address, status, response],
    );
  }

  recipients(replyId: string): Array<{ address: string; status: 'accepted' | 'refused'; response: string | null }> {
    return this.all('SELECT address, status, response FROM reply_recipients WHERE reply_id = ? ORDER BY address', [replyId]).map((r) => ({
      address: r.address as string,
      status: r.status as 'accepted' | 'refused',
      response: (r.response as string | null) ?? null,
    }));
  }

  replies(where: { status?: readonly ReplyStatus[]; seriesKey?: string } = {}): StoredReply[] {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    if (where.status) {
      conds.push(`status IN (${where.status.map(() => '?').join(',')})`);
      params.push(...where.status);
    }
    if (where.seriesKey) {
      conds.push('series_key = ?');
      params.push(where.seriesKey);
    }
    const sqlText = `SELECT * FROM replies${conds.length ? ` WHERE ${conds.join(' AND ')}` : ''} ORDER BY rowid`;
    return this.all(sqlText, params).map(toReply);
  }

  // --- plumbing -----------------------------------------------------------------------------

  private all(query: string, params: SqlValue[] = []): Row[] {
    const stmt = this.db.prepare(query);
    try {
      stmt.bind(params);
      const rows: Row[] = [];
      while (stmt.step()) rows.push(stmt.getAsObject() as Row);
      return rows;
    } finally {
      stmt.free();
    }
  }

  private one(query: string, params: SqlValue[] = []): Row | null {
    return this.all(query, params)[0] ?? null;
  }

  /** Whole database -> temp file -> fsync -> rename -> fsync the directory. */
  private persist(): void {
    const bytes = this.db.export();
    // export() ends any open statement's transaction state; foreign keys and pragmas are unused.
    const tmp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    try {
      const dfd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
    }
  }
}

function toMessage(r: Row): StoredMessage {
  return {
    messageId: r.message_id as string,
    epoch: r.epoch as string,
    commit: r.commit_id as string,
    subject: r.subject as string,
    author: r.author as string,
    inReplyTo: (r.in_reply_to as string | null) ?? null,
    references: JSON.parse(r.refs as string) as string[],
    version: Number(r.version),
    index: Number(r.idx),
    total: Number(r.total),
    firstSeen: Number(r.first_seen),
    raw: r.raw instanceof Uint8Array ? Buffer.from(r.raw) : null,
    seriesKey: (r.series_key as string | null) ?? null,
    status: r.status as MessageStatus,
  };
}

function toSeries(r: Row): StoredSeries {
  return {
    seriesKey: r.series_key as string,
    subject: r.subject as string,
    author: r.author as string,
    version: Number(r.version),
    total: Number(r.total),
    patchSubjects: JSON.parse(r.patch_subjects as string) as string[],
    messageIds: JSON.parse(r.message_ids as string) as string[],
    findingIds: JSON.parse(r.finding_ids as string) as string[],
    status: r.status as 'reviewed' | 'failed',
    detail: (r.detail as string | null) ?? null,
    reviewedAt: Number(r.reviewed_at),
  };
}

function toReply(r: Row): StoredReply {
  return {
    messageId: r.message_id as string,
    seriesKey: r.series_key as string,
    patchMessageId: (r.patch_message_id as string | null) ?? null,
    patchIndex: Number(r.patch_index),
    findingIds: JSON.parse(r.finding_ids as string) as string[],
    envelopeTo: JSON.parse(r.envelope_to as string) as string[],
    raw: r.raw as string,
    file: (r.file as string | null) ?? null,
    status: r.status as ReplyStatus,
    attempts: Number(r.attempts),
    detail: (r.detail as string | null) ?? null,
  };
}

function takeLock(lockPath: string, statePath: string): void {
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new InputError(statePath, 'the directory of the state file does not exist');
      if (code !== 'EEXIST') throw new InputError(statePath, `cannot create the lock file ${lockPath}: ${(err as Error).message}`);
    }
    const owner = Number(readFileSafe(lockPath).trim());
    if (owner && owner !== process.pid && alive(owner)) {
      throw new InputError(statePath, `in use by another lockreview run (pid ${owner}; lock ${lockPath})`);
    }
    // The owner died without cleaning up (kill -9, power loss): take the lock over.
    try {
      unlinkSync(lockPath);
    } catch {
      // Someone else took it over first; the next attempt will tell.
    }
  }
  throw new InputError(statePath, `cannot take the lock ${lockPath}`);
}

function releaseLock(lockPath: string): void {
  try {
    if (Number(readFileSafe(lockPath).trim()) === process.pid) unlinkSync(lockPath);
  } catch {
    // Already gone.
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
