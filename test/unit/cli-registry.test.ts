// The CLI's verbs are the modules under src/cli/commands: each named after its file, found without a list.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadCommands, verbOfFile } from '../../src/cli/registry.js';

test('every module under src/cli/commands is a verb named after its file, demo among them', async () => {
  const commands = await loadCommands();
  assert.ok(commands.some((c) => c.name === 'demo'));
  assert.equal(new Set(commands.map((c) => c.name)).size, commands.length, 'no two verbs share a name');
  for (const c of commands) {
    assert.match(c.name, /^[a-z][a-z0-9-]*$/);
    assert.ok(c.summary.length > 0 && !c.summary.includes('\n'), `${c.name}: one-line summary`);
  }
});

test('only script modules count: declarations, source maps and other files are skipped', () => {
  assert.equal(verbOfFile('apply.ts'), 'apply');
  assert.equal(verbOfFile('apply.js'), 'apply');
  assert.equal(verbOfFile('apply.d.ts'), null);
  assert.equal(verbOfFile('apply.js.map'), null);
  assert.equal(verbOfFile('README.md'), null);
  assert.equal(verbOfFile('.apply.js'), null);
});

test('verbs come in help order (order, then name), and a module without a proper command is a bug', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tncli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  const verb = (name: string, order?: number) =>
    `export const command = { name: ${JSON.stringify(name)}, summary: 's', ${order !== undefined ? `order: ${order}, ` : ''}run: async () => 0 };\n`;
  await writeFile(join(dir, 'zeta.js'), verb('zeta', 1));
  await writeFile(join(dir, 'beta.js'), verb('beta'));
  await writeFile(join(dir, 'alpha.js'), verb('alpha'));
  await writeFile(join(dir, 'alpha.d.ts'), 'export {};\n');
  const url = pathToFileURL(`${dir}/`);
  assert.deepEqual(
    (await loadCommands(url)).map((c) => c.name),
    ['zeta', 'alpha', 'beta'],
  );
  await writeFile(join(dir, 'gamma.js'), verb('delta'));
  await assert.rejects(loadCommands(url), /gamma\.js exports the command "delta"/);
  await rm(join(dir, 'gamma.js'));
  await writeFile(join(dir, 'eta.js'), 'export const nothing = 1;\n');
  await assert.rejects(loadCommands(url), /eta\.js does not export a command/);
});
