// A small client for any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server,
// Ollama, hosted APIs), through undici. Why hand-written and not an SDK: we need exactly one call
// with structured output, a per-request and a total deadline, retries that honour Retry-After, a
// concurrency limit and an on-disk cache; SDKs bring their own retry/timeouts we would fight.
// The API key comes from the environment only and is never logged or cached.

import { request } from 'undici';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  schemaName: string;
  schema: Record<string, unknown>; // JSON Schema for response_format
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  content: string;
  usage: ChatUsage;
  cached: boolean;
}

export interface LlmClientOptions {
  url: string;
  model: string;
  apiKey: string | null;
  timeoutMs: number; // per request
  deadline: number; // absolute ms timestamp after which no request is started or waited for
  retries: number;
  concurrency: number;
  cacheDir: string | null;
  log: (msg: string) => void; // debug log
}

export class LlmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlmError';
  }
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);

export class LlmClient {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  readonly stats = { requests: 0, promptTokens: 0, completionTokens: 0, ms: 0, cached: 0 };

  constructor(private readonly opts: LlmClientOptions) {}

  get model(): string {
    return this.opts.model;
  }

  endpoint(): string {
    const base = this.opts.url.replace(/\/+$/, '').replace(/\/v1$/, '');
    return `${base}/v1/chat/completions`;
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const body = {
      model: this.opts.model,
      temperature: 0,
      messages: req.messages,
      response_format: { type: 'json_schema', json_schema: { name: req.schemaName, strict: true, schema: req.schema } },
    };
    const key = createHash('sha256').update(this.opts.model).update('\0').update(JSON.stringify(body)).digest('hex');
    const hit = this.readCache(key);
    if (hit) {
      this.stats.cached++;
      return { ...hit, cached: true };
    }
    await this.acquire();
    const t0 = performance.now();
    try {
      const result = await this.send(body);
      this.stats.promptTokens += result.usage.promptTokens;
      this.stats.completionTokens += result.usage.completionTokens;
      this.writeCache(key, result);
      return { ...result, cached: false };
    } finally {
      this.stats.ms += performance.now() - t0;
      this.release();
    }
  }

  private async send(body: unknown): Promise<Omit<ChatResult, 'cached'>> {
    const url = this.endpoint();
    let lastError = 'no attempt made';
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      const left = this.opts.deadline - Date.now();
      if (left <= 0) throw new LlmError(`total LLM time budget spent (${lastError})`);
      let wait = backoff(attempt);
      try {
        this.stats.requests++;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
        const timeout = Math.min(this.opts.timeoutMs, left);
        const res = await request(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeout),
          headersTimeout: timeout,
          bodyTimeout: timeout,
        });
        const text = await res.body.text();
        if (res.statusCode === 200) return parseCompletion(text);
        lastError = `HTTP ${res.statusCode} from ${url}`;
        if (!RETRY_STATUS.has(res.statusCode)) throw new LlmError(lastError);
        const ra = retryAfterMs(res.headers['retry-after']);
        if (ra !== null) wait = ra;
      } catch (err) {
        if (err instanceof LlmError) throw err;
        lastError = describeNetworkError(err, url);
      }
      if (attempt === this.opts.retries) break;
      if (Date.now() + wait > this.opts.deadline) break;
      this.opts.log(`${lastError}; retrying in ${wait} ms`);
      await sleep(wait);
    }
    throw new LlmError(lastError);
  }

  private acquire(): Promise<void> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => { this.active++; resolve(); }));
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  private readCache(key: string): Omit<ChatResult, 'cached'> | null {
    if (!this.opts.cacheDir) return null;
    try {
      const v = JSON.parse(readFileSync(join(this.opts.cacheDir, `${key}.json`), 'utf8')) as Omit<ChatResult, 'cached'>;
      return typeof v.content === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  private writeCache(key: string, v: Omit<ChatResult, 'cached'>): void {
    if (!this.opts.cacheDir) return;
    try {
      mkdirSync(this.opts.cacheDir, { recursive: true });
      const tmp = join(this.opts.cacheDir, `.${key}.${process.pid}.tmp`);
      writeFileSync(tmp, JSON.stringify({ content: v.content, usage: v.usage }));
      renameSync(tmp, join(this.opts.cacheDir, `${key}.json`));
    } catch (err) {
      this.opts.log(`cache write failed: ${(err as Error).message}`);
    }
  }
}

function parseCompletion(text: string): Omit<ChatResult, 'cached'> {
  let json: { choices?: Array<{ message?: { content?: unknown } }>; usage?: { prompt_tokens?: number; completion_tokens?: number } };
  try {
    json = JSON.parse(text);
  } catch {
    throw new LlmError('the endpoint answered with something that is not JSON');
  }
  const content = json.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new LlmError('the completion has no message content');
  return { content, usage: { promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0 } };
}

/** Retry-After is either delay-seconds or an HTTP date. */
export function retryAfterMs(h: string | string[] | undefined): number | null {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return null;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

function backoff(attempt: number): number {
  return Math.min(8000, 250 * 2 ** attempt);
}

function describeNetworkError(err: unknown, url: string): string {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return `request to ${url} timed out`;
  return `cannot reach ${url}: ${e.code ?? e.message ?? String(err)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
