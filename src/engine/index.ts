// The analysis engine. (Being built: see issue 3.)
import type { Finding, Series, SourceProvider } from '../model/index.js';
import type { Check, KnowledgeBase } from './types.js';

export interface AnalyzeOptions {
  sources: SourceProvider | null;
  kb: KnowledgeBase;
  checks: Check[];
}

export interface AnalysisResult {
  findings: Finding[];
  functions: number;
  files: number;
  notes: string[];
}

export async function analyzeSeries(_series: Series, _opts: AnalyzeOptions): Promise<AnalysisResult> {
  return { findings: [], functions: 0, files: 0, notes: ['analysis engine not built yet'] };
}

export async function analyzeFiles(_paths: string[], _opts: Omit<AnalyzeOptions, 'sources'>): Promise<AnalysisResult> {
  return { findings: [], functions: 0, files: 0, notes: ['analysis engine not built yet'] };
}
