// The official SARIF 2.1.0 schema as an ajv validator. @microsoft/jest-sarif ships it as
// sarif-2.1.0-rtm.5.json, a draft-04 schema: its root `id` becomes ajv 8's `$id`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let compiled: ValidateFunction | null = null;

export function sarifValidator(): ValidateFunction {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'));
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  // The schema's language-tag pattern is not a valid regular expression under the u flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  compiled = ajv.compile(schema);
  return compiled;
}
