// A scan worker thread (started by src/engine/scan-workers.ts, located by src/assets.ts): builds
// the knowledge base and the check registry the way `lockreview scan` does, then claims file
// indexes from the shared counter until none is left, posting each file's analysis. It is an entry
// point of its own (the tsc output and the CLI bundle), never imported.
import { parentPort, workerData } from 'node:worker_threads';
import { loadKnowledgeBase } from '../kb/index.js';
import { allChecks } from '../checks/index.js';
import { analyzeFile } from './index.js';
import type { ScanWorkerInit, ScanWorkerMessage } from './scan-workers.js';

const init = workerData as ScanWorkerInit;
const next = new Int32Array(init.next);
const kb = await loadKnowledgeBase(init.facts);
const checks = allChecks();
const post = (m: ScanWorkerMessage) => parentPort!.postMessage(m);

for (;;) {
  const index = Atomics.add(next, 0, 1);
  if (index >= init.files.length) break;
  try {
    post({ index, result: await analyzeFile(init.files[index]!, kb, checks) });
  } catch (e) {
    post({ index, error: (e as Error).message ?? String(e) });
  }
}
