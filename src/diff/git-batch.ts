// One long-lived `git cat-file --batch` process that answers object reads in order, shared by the
// readers of git objects (presend's GitObjectSource, the blob source of a mailed series).
//
// Why one process: a series asks for tens of blobs; a `git cat-file` per blob would cost a process
// start (~2-5 ms) each, the batch process answers each read in well under a millisecond.
// Replies come back in request order, so a queue of waiting promises pairs them with requests.
// The process keeps Node alive only while a read is pending (an idle reader nobody disposed does
// not hold the program open); dispose() ends it.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** What `git cat-file --batch` said about one object name. */
export type CatFileReply =
  | { status: 'found'; oid: string; type: string; body: Buffer }
  | { status: 'missing' | 'ambiguous' };

/** The environment of every read-only git command: git takes no optional lock (index refresh) on
 *  our behalf, pages nothing, and speaks C-locale messages. */
export function gitReadEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_PAGER: 'cat', LC_ALL: 'C' };
}

/** What a read-only git command printed. `status` is git's exit status (-1: git did not run);
 *  `error` is Node's message when git failed, for callers that report it. */
export interface GitReadResult {
  status: number;
  stdout: string;
  stderr: string;
  error: string | null;
}

/** Runs a read-only git command in `cwd` (the current directory when undefined) to completion. */
export function gitRead(cwd: string | undefined, args: string[]): Promise<GitReadResult> {
  return new Promise((done) => {
    execFile('git', args, { cwd, env: gitReadEnv(), maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = !err ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ status, stdout, stderr, error: err ? err.message : null });
    });
  });
}

export class GitBatchReader {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: Array<(r: CatFileReply | null) => void> = [];
  private disposed = false;
  private closed = false;

  /** `config`: `-c key=value` settings for the process (e.g. core.disambiguate=blob). */
  constructor(readonly cwd: string, private readonly config: readonly string[] = []) {}

  /** Reads one object by any name git accepts (`<rev>:<path>`, a full or abbreviated id).
   *  Null when git is not available or failed (not a repository, killed). */
  read(name: string): Promise<CatFileReply | null> {
    if (this.disposed || name.includes('\n')) return Promise.resolve(null);
    const proc = this.start();
    return new Promise((resolve) => {
      if (!this.waiting.length) this.hold(proc, true);
      this.waiting.push(resolve);
      proc.stdin.write(`${name}\n`);
    });
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const args = [...this.config.flatMap((c) => ['-c', c]), 'cat-file', '--batch'];
    const proc = spawn('git', args, { cwd: this.cwd, env: gitReadEnv() });
    proc.stdout.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
    });
    const fail = () => {
      // Not a repository, git missing, or killed: later reads answer null at once rather than
      // start a process that fails the same way.
      this.disposed = true;
      for (const w of this.waiting.splice(0)) w(null);
    };
    proc.on('error', fail);
    proc.on('close', () => {
      this.closed = true;
      fail();
    });
    proc.stdin.on('error', () => {});
    proc.stderr.resume(); // "fatal: not a git repository" etc.: the null replies say enough
    this.hold(proc, false);
    (proc.stdin as unknown as { unref?: () => void }).unref?.();
    (proc.stderr as unknown as { unref?: () => void }).unref?.();
    this.proc = proc;
    return proc;
  }

  /** Whether the process (and the pipe its replies come on) keeps Node's event loop alive. */
  private hold(proc: ChildProcessWithoutNullStreams, on: boolean): void {
    const stdout = proc.stdout as unknown as { ref?: () => void; unref?: () => void };
    if (on) {
      proc.ref();
      stdout.ref?.();
    } else {
      proc.unref();
      stdout.unref?.();
    }
  }

  /** Parses complete replies: "<oid> <type> <size>\n<body>\n", "<name> missing\n" or
   *  "<name> ambiguous\n". */
  private drain(): void {
    while (this.waiting.length) {
      const nl = this.buf.indexOf(10);
      if (nl < 0) return;
      const header = this.buf.subarray(0, nl).toString('utf8');
      const m = /^([0-9a-f]+) (\S+) (\d+)$/.exec(header);
      if (!m) {
        this.buf = this.buf.subarray(nl + 1);
        this.answer({ status: / ambiguous$/.test(header) ? 'ambiguous' : 'missing' });
        continue;
      }
      const size = Number(m[3]);
      if (this.buf.length < nl + 1 + size + 1) return;
      const body = Buffer.copyBytesFrom(this.buf, nl + 1, size); // a native copy (Buffer.from(view) goes byte by byte)
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.answer({ status: 'found', oid: m[1]!, type: m[2]!, body });
    }
  }

  private answer(reply: CatFileReply): void {
    const resolve = this.waiting.shift()!;
    if (!this.waiting.length && this.proc) this.hold(this.proc, false);
    resolve(reply);
  }

  /** Ends the process (its stdin closes; git exits) and waits for it. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const proc = this.proc;
    this.proc = null;
    if (!proc) return;
    // Referenced again while we wait, or Node would exit with the wait pending.
    this.hold(proc, true);
    await new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      proc.once('close', () => resolve());
      proc.stdin.end();
    });
  }
}
