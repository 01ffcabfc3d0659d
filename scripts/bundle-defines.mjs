// Build-time constants shared by the CLI and Action bundles (esbuild `define`).
// - __LOCKREVIEW_VERSION__: inside a bundle there is no package.json at a fixed distance to read.
// - __LOCKREVIEW_VALIDATOR_KEY__: the rules cache keys validated Facts on the code that validated
//   them (src/kb/index.ts validatorSource); a bundle has no validate.ts beside it to read.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function bundleDefines(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const validatorKey = createHash('sha1')
    .update(['src/kb/validate.ts', 'src/kb/schema.ts'].map((p) => readFileSync(join(root, p), 'utf8')).join('\0'))
    .digest('hex');
  return { __LOCKREVIEW_VERSION__: JSON.stringify(pkg.version), __LOCKREVIEW_VALIDATOR_KEY__: JSON.stringify(validatorKey) };
}
