// The public face stays in step with the source tree: every layer folder with an index.ts has its
// subpath export and its root namespace, and nothing points at a folder that is gone.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const repo = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
  files: string[];
};
const rootIndex = readFileSync(join(repo, 'src', 'index.ts'), 'utf8');
/** Folders under src/ that are layers with a public face (the CLI is an application, not a layer). */
const layers = readdirSync(join(repo, 'src'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'cli' && existsSync(join(repo, 'src', d.name, 'index.ts')))
  .map((d) => d.name);

test('every layer with an index.ts has a subpath export of its built index and its d.ts', () => {
  for (const layer of layers) {
    const want = { types: `./dist/src/${layer}/index.d.ts`, default: `./dist/src/${layer}/index.js` };
    assert.deepEqual(
      pkg.exports[`./${layer}`],
      want,
      `src/${layer}/index.ts has no subpath export: add "./${layer}": ${JSON.stringify(want)} to package.json "exports"`,
    );
  }
});

test('every layer is a namespace of the root index', () => {
  for (const layer of layers) {
    assert.match(
      rootIndex,
      // A reserved word (`interface`) is exported under its name as a string: `export * as 'interface'`.
      new RegExp(`^export \\* as (\\w+|'\\w+') from '\\./${layer}/index\\.js';$`, 'm'),
      `src/index.ts does not re-export src/${layer}: add "export * as ${layer} from './${layer}/index.js';"`,
    );
  }
});

test('every subpath export points at a source that exists and a folder "files" ships', () => {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const source = target.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts');
    assert.ok(
      existsSync(join(repo, source)),
      `${subpath} points at ${target.default}, built from ${source}, which is gone`,
    );
    assert.equal(target.types, target.default.replace(/\.js$/, '.d.ts'), `${subpath}: types beside the code`);
    assert.ok(
      pkg.files.some((dir) => target.default.startsWith(`./${dir}/`)),
      `${subpath}: ${target.default} is not under "files", so it would not be published`,
    );
  }
});

test('the build emits tenantnet/testing', () => {
  const build = JSON.parse(readFileSync(join(repo, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  assert.ok(build.include.includes('test/fakes/**/*.ts'));
});
