// Ingestion: any patch input -> Series. (Being built: see issue 2.)
import type { Series } from '../model/index.js';
import { InputError } from '../errors.js';

export interface IngestResult {
  series: Series[];
  notes: string[];
}

export async function ingestInputs(inputs: string[]): Promise<IngestResult> {
  throw new InputError(inputs.join(' '), 'ingestion is not built yet');
}
