// Whole-file access: apply a series in a temporary git worktree. (Being built: see issue 2.)
import type { Series, SourceProvider } from '../model/index.js';
import { InputError } from '../errors.js';

export interface TreeSession extends SourceProvider {
  notes: string[];
  /** applied[i] tells whether patch i+1 applied. */
  applied: boolean[];
  dispose(): Promise<void>;
}

export async function openTree(dir: string, _series: Series): Promise<TreeSession> {
  throw new InputError(dir, '--tree is not built yet');
}
