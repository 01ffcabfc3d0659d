// Scan mode on several threads. Every file is its own analysis, so files can be shared out freely:
// this thread and N-1 worker threads (src/engine/scan-worker.ts) each claim the next file index
// from one shared counter (Atomics.add), which balances big and small files without a dispatcher
// and keeps this thread busy too. Results are kept by file index and merged in file order, so the
// output is the one a single thread gives.
//
// Each worker loads its own tree-sitter runtime, knowledge base and checks (hundreds of ms, spent
// while the other threads already work), which is why small inputs stay on one thread. A file a
// worker could not analyse, or the files of a worker that died, are analysed again here at the
// end in file order: the result, or the first error, is the single-thread one.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { scanWorkerScript } from '../assets.js';
import type { ExtraFacts } from '../config/index.js';
import type { FileAnalysis } from './index.js';

/** Below this many files the workers' start-up costs more than they save. */
export const PARALLEL_MIN_FILES = 40;
/** Beyond four threads the per-thread memory (a WASM heap and a knowledge base each) outgrows the gain. */
export const MAX_SCAN_THREADS = 4;

/** Analysing threads for a scan of `files` files. LOCKREVIEW_WORKERS=N forces N (1: this thread
 *  only) whatever the input size; otherwise min(cores, 4) for inputs of PARALLEL_MIN_FILES or more. */
export function scanThreadCount(files: number, env: NodeJS.ProcessEnv = process.env): number {
  const forced = Number(env.LOCKREVIEW_WORKERS);
  const wanted = Number.isInteger(forced) && forced >= 1 ? forced : files < PARALLEL_MIN_FILES ? 1 : Math.min(availableParallelism(), MAX_SCAN_THREADS);
  return Math.max(1, Math.min(wanted, files));
}

/** What a scan worker receives. */
export interface ScanWorkerInit {
  files: string[];
  /** One Int32: the index of the next file nobody has claimed yet. */
  next: SharedArrayBuffer;
  /** The configuration's extra facts: the worker builds the same knowledge base from them. */
  facts: ExtraFacts;
}

/** What a scan worker sends per file it claimed. */
export type ScanWorkerMessage = { index: number; result: FileAnalysis } | { index: number; error: string };

/** Every file's analysis, in file order, on up to `threads` threads (this one included). */
export async function analyzeFilesInThreads(
  files: string[],
  threads: number,
  facts: ExtraFacts,
  analyze: (file: string) => Promise<FileAnalysis>,
): Promise<{ results: FileAnalysis[]; threads: number }> {
  const results: Array<FileAnalysis | undefined> = new Array(files.length);
  const next = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const script = threads > 1 ? scanWorkerScript() : null;
  const exits: Array<Promise<void>> = [];
  const busy = new Set<string>();
  for (let k = 1; script && k < threads; k++) {
    const init: ScanWorkerInit = { files, next: next.buffer as SharedArrayBuffer, facts };
    const worker = new Worker(script, { workerData: init });
    worker.on('message', (m: ScanWorkerMessage) => {
      if ('result' in m) results[m.index] = m.result;
      busy.add(`worker ${k}`);
    });
    // A worker that fails to start or dies leaves its files unanswered: they are redone below.
    worker.on('error', () => {});
    exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
  }
  for (;;) {
    const index = Atomics.add(next, 0, 1);
    if (index >= files.length) break;
    busy.add('main');
    try {
      results[index] = await analyze(files[index]!);
    } catch {
      // Redone below in file order, so the error reported is the first file's, as on one thread.
    }
  }
  await Promise.all(exits);
  for (let i = 0; i < files.length; i++) results[i] ??= await analyze(files[i]!);
  return { results: results as FileAnalysis[], threads: Math.max(1, busy.size) };
}
