// The CLI's LLM flags, shared by `check` and `presend`. The key itself is never a flag: only the
// NAME of the environment variable that holds it (so it never lands in shell history or logs).
import type { Command } from 'commander';
import type { Config } from '../config/index.js';
import { InputError } from '../errors.js';

export interface LlmFlags {
  llmUrl?: string;
  llmModel?: string;
  llmKeyEnv?: string;
}

export function addLlmFlags(cmd: Command): Command {
  return cmd
    .option('--llm-url <url>', 'base URL of an OpenAI-compatible server: words and triages findings (off by default)')
    .option('--llm-model <name>', 'model name to ask for')
    .option('--llm-key-env <VAR>', 'name of the environment variable that holds the API key');
}

/** Flags override the configuration file; a URL without a model is a usage error. */
export function applyLlmFlags(config: Config, o: LlmFlags): Config {
  if (o.llmUrl !== undefined) {
    try {
      const u = new URL(o.llmUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new InputError('--llm-url', `not an http(s) URL: '${o.llmUrl}'`);
    }
    config.llm.url = o.llmUrl;
  }
  if (o.llmModel !== undefined) config.llm.model = o.llmModel;
  if (o.llmKeyEnv !== undefined) config.llm.keyEnv = o.llmKeyEnv;
  if (config.llm.url && !config.llm.model) throw new InputError('--llm-url', 'needs --llm-model (or llm.model in the configuration)');
  return config;
}
