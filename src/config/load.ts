// Finding and reading the configuration. (Being built: see issue 7: --config, .lockreview.toml/.json,
// git config lockreview.*; schema-validated; a bad key exits 2 naming it.)
import { defaultConfig, type Config } from './index.js';

export async function loadConfigFor(_opts: { configPath?: string; repoRoot: string | null }): Promise<Config> {
  return defaultConfig();
}
