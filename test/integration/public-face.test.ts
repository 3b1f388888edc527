// The built package as a user gets it: built, packed with npm, installed under its own name, and every
// subpath imported (values and types), so the exports map, `files` and the build cannot drift apart.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { run } from '../../src/exec/run.js';

const repo = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  files: string[];
};
const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
const specifier = (s: string) => (s === '.' ? pkg.name : `${pkg.name}/${s.slice(2)}`);

/** Names that are plumbing: no subpath (and no root namespace) may export them. */
const INTERNAL = [
  'MARKER',
  'MarkerFrame',
  'JsonSplitter',
  'LineQueue',
  'LineSplitter',
  'learnCanonical',
  'canonicalOf',
  'forgetLearned',
  'tokenize',
  'joinTokens',
  'saveString',
  'isRead',
  'encodeOperation',
  'operationError',
  'mapIpError',
  'ipBatchPids',
  'inheritsPromoteSecondaries',
];

let tmp = '';
let app = '';
let packedFiles: string[] = [];

// Build into a scratch package (the checkout's dist/ is left alone), pack it with npm (so `files`
// decides what ships), unpack it as node_modules/tenantnet of a scratch app whose other
// dependencies link to this checkout's.
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tnpkg-'));
  const stage = join(tmp, 'stage');
  app = join(tmp, 'app');
  await mkdir(stage);
  await writeFile(join(stage, 'package.json'), JSON.stringify(pkg, null, 2));
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  await run([process.execPath, tsc, '-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], {
    cwd: repo,
    root: false,
    timeoutMs: 180_000,
  });
  const packed = await run(['npm', 'pack', '--json', '--ignore-scripts', '--pack-destination', tmp], {
    cwd: stage,
    root: false,
    timeoutMs: 120_000,
  });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  packedFiles = info!.files.map((f) => f.path);
  const installed = join(app, 'node_modules', pkg.name);
  await mkdir(installed, { recursive: true });
  await run(['tar', '-xzf', join(tmp, info!.filename), '-C', installed, '--strip-components=1'], {
    root: false,
  });
  for (const dep of [...Object.keys(pkg.dependencies), '@types/node']) {
    const link = join(app, 'node_modules', dep);
    await mkdir(dirname(link), { recursive: true });
    await symlink(join(repo, 'node_modules', dep), link);
  }
});

test.after(() => (tmp ? rm(tmp, { recursive: true, force: true }) : undefined));

test('the package ships the library and tenantnet/testing, and nothing else', () => {
  for (const f of packedFiles) {
    assert.ok(
      f === 'package.json' || pkg.files.some((dir) => f.startsWith(`${dir}/`)),
      `${f} is packed but not under "files"`,
    );
  }
  assert.ok(packedFiles.includes('dist/src/index.js'));
  assert.ok(packedFiles.includes('dist/test/fakes/index.js'), 'tenantnet/testing is packed');
  assert.ok(packedFiles.includes('dist/src/cli/commands/demo.js'), 'the CLI verbs are packed');
  assert.ok(!packedFiles.some((f) => f.startsWith('dist/bench/') || f.startsWith('dist/test/helpers/')));
});

test('every subpath imports by the package name, exports no plumbing, the root has every error flat, and the fakes drive the verbs', async () => {
  const script = `
    const subpaths = ${JSON.stringify(subpaths.map(specifier))};
    const root = await import(${JSON.stringify(pkg.name)});
    const out = { modules: {}, errors: [], notFlat: [], namespaces: Object.keys(root).filter((k) => typeof root[k] === 'object') };
    const isError = (v) => typeof v === 'function' && v.prototype instanceof root.TenantnetError;
    for (const s of subpaths) {
      const m = await import(s);
      out.modules[s] = Object.keys(m);
      for (const [k, v] of Object.entries(m)) {
        if (isError(v)) {
          out.errors.push(k);
          if (root[k] !== v) out.notFlat.push(s + ' ' + k);
        }
      }
    }
    for (const ns of out.namespaces) out.modules['tenantnet:' + ns] = Object.keys(root[ns]);
    // tenantnet/testing drives the same modules as the subpaths: the verbs of tenantnet/ip on the fake kernel.
    const ip = await import('tenantnet/ip');
    const { FakeIpKernel } = await import('tenantnet/testing');
    const kernel = new FakeIpKernel();
    const via = { executor: kernel };
    await ip.createNamespace('qr1', { ...via, promoteSecondaries: false });
    await ip.addVeth({ ...via, namespace: 'qr1', name: 'qr-1', peer: 'tap1', up: true });
    out.fakeLinks = (await ip.listLinks({ ...via, namespace: 'qr1' })).map((l) => l.name).sort();
    out.fakeError = await ip.listLinks({ ...via, namespace: 'qnone' }).then(() => 'none', (e) => e instanceof root.NamespaceNotFoundError);
    process.stdout.write(JSON.stringify(out));
  `;
  const r = await run([process.execPath, '--input-type=module', '-e', script], {
    cwd: app,
    root: false,
    timeoutMs: 60_000,
  });
  const out = JSON.parse(r.stdout) as {
    modules: Record<string, string[]>;
    errors: string[];
    notFlat: string[];
    namespaces: string[];
    fakeLinks: string[];
    fakeError: boolean | string;
  };
  for (const s of subpaths)
    assert.ok(out.modules[specifier(s)]!.length > 0, `${specifier(s)} exports nothing`);
  for (const [s, names] of Object.entries(out.modules)) {
    const leaked = names.filter((n) => INTERNAL.includes(n));
    assert.deepEqual(leaked, [], `${s} exports plumbing`);
  }
  // Each layer subpath is also a namespace of the root (tenantnet/testing is not part of the library).
  const layers = subpaths.filter((s) => s !== '.' && s !== './testing').map((s) => s.slice(2));
  assert.deepEqual([...out.namespaces].sort(), [...layers].sort());
  assert.ok(out.errors.includes('NamespaceNotFoundError') && out.errors.includes('ModelError'));
  assert.deepEqual(out.notFlat, [], 'every error class is exported flat from the root');
  assert.ok(out.modules['tenantnet/testing']!.includes('FakeIpKernel'));
  assert.ok(out.modules['tenantnet/testing']!.includes('OvsSandbox'));
  assert.deepEqual(out.fakeLinks, ['lo', 'qr-1', 'tap1']);
  assert.equal(out.fakeError, true, "the fake's errors are the package's own classes");
});

test('the types resolve for every subpath under NodeNext, as a TypeScript user compiles them', async () => {
  const imports = subpaths.map((s, i) => `import * as m${i} from '${specifier(s)}';`).join('\n');
  const consumer = `${imports}
import { ip, net, DeviceNotFoundError, TenantnetError } from 'tenantnet';
import type { VethArgs } from 'tenantnet/ip';
import { FakeIpKernel } from 'tenantnet/testing';
const args: VethArgs = { name: 'a', peer: 'b' };
const n: net.Cidr = net.cidr('10.0.0.0/24');
const kernel: ip.IpExecutor = new FakeIpKernel();
const e: TenantnetError = new DeviceNotFoundError('a', null);
export const used = [${subpaths.map((_, i) => `m${i}`).join(', ')}, args, n, kernel, e];
`;
  await writeFile(join(app, 'consumer.ts'), consumer);
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2023',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', private: true }));
  const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = await run([process.execPath, tsc, '-p', join(app, 'tsconfig.json')], {
    cwd: app,
    root: false,
    check: false,
    timeoutMs: 120_000,
  });
  assert.equal(r.exitCode, 0, r.stdout + r.stderr);
});

test('the packed bin runs: version, help listing the verbs, exit 2 for an unknown option', async () => {
  const bin = join(app, 'node_modules', pkg.name, 'dist', 'src', 'cli', 'main.js');
  const cli = (...args: string[]) => run([process.execPath, bin, ...args], { root: false, check: false });
  const version = await cli('--version');
  assert.equal(version.exitCode, 0);
  assert.equal(version.stdout.trim(), (pkg as unknown as { version: string }).version);
  const help = await cli('--help');
  assert.equal(help.exitCode, 0);
  assert.match(help.stdout, /^ {2}demo\s/m);
  const bad = await cli('--frob');
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /^tenantnet: unknown option '--frob'/);
});
