// The committed Action bundle must be what the sources build today, and action.yml, the door and
// docs/github-action.md must agree on the inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';

const root = new URL('../../', import.meta.url).pathname;

function files(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

test('dist/ is current: rebuilding from src/ gives the committed files byte for byte', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'lockreview-dist-')), 'dist');
  const r = spawnSync(process.execPath, [join(root, 'scripts/build-action.mjs'), '--outdir', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const fresh = files(out);
  assert.deepEqual(files(join(root, 'dist')), fresh, 'same file list (run `npm run build:action` and commit dist/)');
  for (const f of fresh) {
    const same = readFileSync(join(out, f)).equals(readFileSync(join(root, 'dist', f)));
    assert.ok(same, `dist/${f} is stale: run \`npm run build:action\` and commit dist/`);
  }
  assert.ok(fresh.includes('web-tree-sitter.wasm') && fresh.includes('tree-sitter-c.wasm'), 'WASM files ship beside the bundle');
  assert.ok(fresh.some((f) => f.startsWith('rules/')), 'rules/ ships with the bundle');
});

test('action.yml runs the bundle on node24; every input is read by the door and documented', () => {
  const action = parseYaml(readFileSync(join(root, 'action.yml'), 'utf8'));
  assert.equal(action.runs.using, 'node24');
  assert.equal(action.runs.main, 'dist/action.js');
  const door = readFileSync(join(root, 'src/doors/action.ts'), 'utf8');
  const docs = readFileSync(join(root, 'docs/github-action.md'), 'utf8');
  const inputs = Object.keys(action.inputs);
  for (const name of ['github-token', 'fail-on', 'mode', 'sarif-file', 'config', 'llm-url']) assert.ok(inputs.includes(name), `input ${name}`);
  assert.equal(action.inputs['github-token'].default, '${{ github.token }}');
  assert.equal(action.inputs['llm-url'].default, '', 'the LLM is off by default');
  for (const name of inputs) {
    assert.ok(door.includes(`getInput(env, '${name}')`), `the door reads ${name}`);
    assert.ok(docs.includes(`\`${name}\``), `docs/github-action.md documents ${name}`);
    assert.ok(action.inputs[name].description.length > 20, `${name} has a description`);
  }
  for (const name of Object.keys(action.outputs)) {
    assert.ok(door.includes(`'${name}'`), `the door sets ${name}`);
    assert.ok(docs.includes(`\`${name}\``), `docs/github-action.md documents output ${name}`);
  }
});
