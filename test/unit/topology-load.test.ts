import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import {
  buildTopology,
  loadTopology,
  MAX_FILE_BYTES,
  parseTopology,
  TopologyError,
} from '../../src/topology/index.js';

/** The report lines of a file that must not load. */
function linesOf(text: string, file = 't.yaml'): string[] {
  try {
    parseTopology({ text, file });
  } catch (e) {
    assert.ok(e instanceof TopologyError, `not a TopologyError: ${String(e)}`);
    assert.ok(e instanceof InvalidInputError);
    assert.equal(e.message, e.lines.join('\n'));
    return e.lines;
  }
  assert.fail('the file loaded');
}

async function linesOfFile(path: string): Promise<string[]> {
  try {
    await loadTopology(path);
  } catch (e) {
    assert.ok(e instanceof TopologyError, `not a TopologyError: ${String(e)}`);
    return e.lines;
  }
  assert.fail('the file loaded');
}

const GOOD = `name: demo
networks:
  - name: web
    cidr: 10.10.1.0/24
instances:
  - name: web1
    network: web
`;

test('a valid file loads: camelCase input, checks with their defaults, and positions', () => {
  const t = parseTopology({
    text: `${GOOD}    security_groups: []\n    port_security: true\nchecks:\n  - { from: web1, to: web1 }\n`,
    file: 'demo.yaml',
  });
  assert.equal(t.file, 'demo.yaml');
  assert.equal(t.format, 'yaml');
  assert.deepEqual(t.input, {
    name: 'demo',
    networks: [{ name: 'web', cidr: '10.10.1.0/24' }],
    instances: [{ name: 'web1', network: 'web', securityGroups: [], portSecurity: true }],
  });
  assert.deepEqual(t.checks, [{ from: 'web1', to: 'web1', protocol: 'icmp', port: null, expect: 'pass' }]);
  assert.deepEqual(t.locate(['instances', 0, 'network']), { file: 'demo.yaml', line: 7, col: 14 });
  // a model path (camelCase) finds the same place as the file's own key
  assert.deepEqual(t.locate(['instances', 0, 'portSecurity']), t.locate(['instances', 0, 'port_security']));
  assert.deepEqual(t.locate(['instances', 0, 'port_security'], 'key'), {
    file: 'demo.yaml',
    line: 9,
    col: 5,
  });
  // past what the file has: the deepest mapping reached
  assert.deepEqual(t.locate(['instances', 0, 'ip']), { file: 'demo.yaml', line: 6, col: 5 });
  const { model, checks } = buildTopology(t);
  assert.equal(model.topology, 'demo');
  assert.equal(checks[0]!.destination, model.instances[0]!.port.fixedIps[0]!.address);
});

test('schema problems in YAML: unknown key at the key, missing key at its mapping, types and enums at the value', () => {
  assert.deepEqual(
    linesOf(`name: demo
backend: vpp
networks:
  - name: web
    cidr: 10.10.1.0/24
    mtu: big
    external: "yes"
    colour: blue
instances:
  - network: web
    securityGroups: [x]
checks:
  - { to: web1 }
`),
    [
      't.yaml:2:10: backend: "vpp" is not one of ovs, linuxbridge',
      't.yaml:6:10: mtu: expected an integer, got "big"',
      't.yaml:7:15: external: expected true or false, got "yes"',
      't.yaml:8:5: unknown key "colour" (known here: name, cidr, gateway, dhcp, dns, subnets, mtu, external, vni)',
      't.yaml:10:5: an instance needs a name',
      't.yaml:11:5: unknown key "securityGroups" (did you mean "security_groups"?)',
      't.yaml:13:5: a check needs "from"',
    ],
  );
});

test('the same problems in JSON point at the same kind of place', () => {
  const json = `{
  "name": "demo",
  "networks": [
    { "name": "web", "cidr": "10.10.1.0/24", "mtu": "big", "colour": 1 }
  ],
  "instances": [ { "network": "web" } ]
}
`;
  assert.deepEqual(linesOf(json, 't.json'), [
    't.json:4:53: mtu: expected an integer, got "big"',
    't.json:4:60: unknown key "colour" (known here: name, cidr, gateway, dhcp, dns, subnets, mtu, external, vni)',
    't.json:6:18: an instance needs a name',
  ]);
  // sniffed without an extension
  assert.deepEqual(linesOf(json, 'topology'), [
    'topology:4:53: mtu: expected an integer, got "big"',
    'topology:4:60: unknown key "colour" (known here: name, cidr, gateway, dhcp, dns, subnets, mtu, external, vni)',
    'topology:6:18: an instance needs a name',
  ]);
});

test('a union value is checked as the branch it meant: a router interface as a name or a mapping', () => {
  assert.deepEqual(
    linesOf(`name: demo
networks: [{ name: web, cidr: 10.10.1.0/24 }]
routers:
  - name: r1
    interfaces: [4, { network: 5 }, { network: web, sub: x }]
`),
    [
      't.yaml:5:18: interfaces[0]: expected a string or a mapping, got 4',
      't.yaml:5:32: network: expected a string, got 5',
      't.yaml:5:53: unknown key "sub" (known here: network, subnet, ip)',
    ],
  );
});

test('model problems are located at the value, in the file’s own keys and words', () => {
  assert.deepEqual(
    linesOf(`name: demo
networks:
  - { name: web, cidr: 10.10.1.0/24 }
  - { name: web, cidr: 10.10.2.5/24 }
instances:
  - name: web1
    network: web
    ip: 10.10.9.9
    port_security: false
    security_groups: [nope]
  - { name: db1, network: nowhere }
`),
    [
      't.yaml:4:13: network name "web" is used twice (also networks[0])',
      't.yaml:4:24: "10.10.2.5/24" has host bits set; did you mean 10.10.2.0/24?',
      't.yaml:8:9: 10.10.9.9 is not in a subnet of network web (10.10.1.0/24)',
      't.yaml:10:22: security groups need port security; with port_security: false give none',
      't.yaml:10:23: there is no security group "nope"',
      't.yaml:11:27: there is no network "nowhere"',
    ],
  );
});

test('a value the schema refuses is reported once, not again by the model; problems come sorted by position', () => {
  const lines = linesOf(`name: demo
instances:
  - { name: web1, network: web, port_security: "no", security_groups: web }
networks:
  - { name: 7, cidr: 10.10.1.0/24 }
`);
  assert.deepEqual(lines, [
    // the instance's network does not exist, because the network's name was refused
    't.yaml:3:28: there is no network "web"',
    't.yaml:3:48: port_security: expected true or false, got "no"',
    't.yaml:3:71: security_groups: expected a list, got "web"',
    't.yaml:5:13: name: expected a string, got 7',
  ]);
});

test('YAML syntax errors, duplicate keys and several documents are reported at their position', () => {
  assert.deepEqual(linesOf('name: demo\nnetworks: [a, b\nrouters: []\n'), [
    't.yaml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
  assert.deepEqual(linesOf('name: demo\nbackend: ovs\nname: other\n'), [
    't.yaml:3:1: duplicate key: a key may appear once in a mapping',
  ]);
  assert.deepEqual(linesOf('{"name": "a", "networks": [{"name": "n", "name": "m"}]}', 't.json'), [
    't.json:1:42: duplicate key: a key may appear once in a mapping',
  ]);
  assert.deepEqual(linesOf('name: a\n---\nname: b\n'), [
    't.yaml:2:1: not valid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
  ]);
  assert.deepEqual(linesOf('name: demo\nbackend: !fast ovs\n'), [
    't.yaml:2:10: Unresolved tag: !fast (tags are not used in a topology file)',
  ]);
  assert.deepEqual(linesOf('name: demo\nbackend: !!binary b3Zz\n'), [
    't.yaml:2:19: the tag !!binary is not used in a topology file (only plain values, lists and mappings)',
  ]);
  assert.deepEqual(linesOf('name: demo\n? [a, b]\n: 1\n'), [
    't.yaml:2:3: a key must be a plain word, not a list or mapping',
  ]);
});

test('JSON is read as JSON: YAML-only syntax and trailing commas are refused with their position', () => {
  assert.deepEqual(linesOf('{\n  "name": "demo",\n}\n', 't.json'), [
    't.json:3:1: not valid JSON: Expected double-quoted property name',
  ]);
  assert.deepEqual(linesOf('{ name: demo }', 't.json'), [
    "t.json:1:3: not valid JSON: Expected property name or '}'",
  ]);
});

test('a file that is empty, a list or a single value is not a topology', () => {
  assert.deepEqual(linesOf(''), [
    't.yaml:1:1: the file is empty: a topology is a mapping with at least a name',
  ]);
  assert.deepEqual(linesOf('# nothing\n'), [
    't.yaml:1:1: the file is empty: a topology is a mapping with at least a name',
  ]);
  assert.deepEqual(linesOf('\n- name: demo\n'), [
    't.yaml:2:1: a topology is a mapping (name: …, networks: …), not a list',
  ]);
  assert.deepEqual(linesOf('"demo"', 't.json'), [
    't.json:1:1: a topology is a mapping (name: …, networks: …), not a single value',
  ]);
  assert.deepEqual(linesOf('backend: ovs\n'), ['t.yaml:1:1: a topology needs a name (1-32 of a-z 0-9 -)']);
});

test('limits: nesting, aliases that contain themselves, alias bombs and oversize text are refused', () => {
  assert.match(
    linesOf(`name: demo\nnetworks: ${'['.repeat(100)}${']'.repeat(100)}\n`)[0]!,
    /nested deeper than 64 levels/,
  );
  assert.match(linesOf(`name: demo\nnetworks: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)[0]!, /nested/);
  assert.match(
    linesOf('name: demo\nnetworks: &a [*a]\n')[0]!,
    /t\.yaml:2:\d+: nested deeper than 64 levels \(or an alias that contains itself\)/,
  );
  const bomb = ['name: demo', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++)
    bomb.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  assert.match(linesOf(`${bomb.join('\n')}\n`)[0]!, /expands to more than 1000000 values/);
  assert.deepEqual(linesOf(`name: demo\n# ${'x'.repeat(MAX_FILE_BYTES)}\n`), [
    `t.yaml:1:1: larger than ${MAX_FILE_BYTES} bytes: not read`,
  ]);
});

test('__proto__ and constructor keys are unknown keys, and pollute nothing', () => {
  const lines = linesOf(
    'name: demo\n__proto__: { polluted: 1 }\nnetworks:\n  - { name: web, cidr: 10.1.0.0/24, constructor: { prototype: { polluted: 1 } } }\n',
  );
  assert.deepEqual(lines, [
    't.yaml:2:1: unknown key "__proto__" (known here: $schema, name, backend, defaults, networks, routers, security_groups, instances, floating_ips, checks)',
    't.yaml:4:37: unknown key "constructor" (known here: name, cidr, gateway, dhcp, dns, subnets, mtu, external, vni)',
  ]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
});

test('a problem message with control characters stays on one line', () => {
  const lines = linesOf('name: demo\nnetworks:\n  - { name: "we\\nb\\u2028", cidr: 10.1.0.0/24 }\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^t\.yaml:3:13: .*we\\nb\\u2028/);
  assert.doesNotMatch(lines.join(''), /[\n\u2028]/);
});

test('files: missing, a directory, a FIFO-like non-file, too large, not UTF-8 — clear errors at FILE:1:1', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tn-topology-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await linesOfFile(join(dir, 'none.yaml')), [
    `${join(dir, 'none.yaml')}:1:1: cannot read the topology file: no such file`,
  ]);
  assert.deepEqual(await linesOfFile(dir), [`${dir}:1:1: cannot read the topology file: it is a directory`]);
  assert.deepEqual(await linesOfFile('/dev/null'), [
    '/dev/null:1:1: cannot read the topology file: not a regular file',
  ]);
  const big = join(dir, 'big.yaml');
  await writeFile(big, Buffer.alloc(MAX_FILE_BYTES + 1, 0x20));
  assert.deepEqual(await linesOfFile(big), [
    `${big}:1:1: cannot read the topology file: larger than ${MAX_FILE_BYTES} bytes`,
  ]);
  const latin = join(dir, 'latin.yaml');
  await writeFile(latin, Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]));
  assert.deepEqual(await linesOfFile(latin), [`${latin}:1:1: cannot read the topology file: not UTF-8 text`]);
  const good = join(dir, 'good.yml');
  await writeFile(good, `\ufeff${GOOD}`);
  const loaded = await loadTopology(good);
  assert.equal(loaded.input.name, 'demo');
  assert.deepEqual(loaded.locate(['networks', 0, 'cidr']), { file: good, line: 4, col: 11 });
  const json = join(dir, 'good.json');
  await writeFile(
    json,
    JSON.stringify({ name: 'demo', networks: [{ name: 'web', cidr: '10.1.0.0/24' }] }, null, '\t'),
  );
  assert.equal((await loadTopology(json)).format, 'json');
});

test('buildTopology with the previous model keeps addresses; its problems are located too', () => {
  const first = parseTopology({ text: GOOD, file: 'a.yaml' });
  const { model } = buildTopology(first);
  const grown = parseTopology({
    text: `${GOOD}  - { name: web2, network: web }\n  - { name: web3, network: web }\n`,
    file: 'a.yaml',
  });
  const again = buildTopology(grown, { previous: model });
  assert.deepEqual(again.model.instances.find((i) => i.name === 'web1')!.port, model.instances[0]!.port);
});

test('the error classes of issue #13, each at its position, all in one report', () => {
  assert.deepEqual(
    linesOf(`name: demo
networks:
  - { name: a, cidr: 10.1.0.0/24 }
  - { name: b, cidr: 10.1.0.0/25 }
  - { name: c, cidr: 10.2.0.0/24 }
  - { name: c, cidr: 10.3.0.0/24 }
routers:
  - { name: r1, interfaces: [a, b] }
security_groups:
  - name: g
    rules:
      - { direction: ingress, protocol: tcp, port: "8100-8000" }
      - { direction: ingress, protocol: tcp, port: 70000 }
      - { direction: sideways }
instances:
  - { name: i1, network: a, ip: 10.1.0.10 }
  - { name: i2, network: a, ip: 10.1.0.10 }
  - { name: i3, network: a, ip: 10.9.0.1 }
  - { name: i4, network: zz, security_groups: [g, nope] }
`),
    [
      't.yaml:6:13: network name "c" is used twice (also networks[2])',
      't.yaml:8:33: 10.1.0.0/25 (network b) overlaps 10.1.0.0/24 (network a, routers[0].interfaces[0]) on router r1',
      't.yaml:12:52: "8100-8000" is not a port range: ports are 1-65535 and the first may not pass the last',
      't.yaml:13:52: 70000 is not a port range: ports are 1-65535 and the first may not pass the last',
      't.yaml:14:22: direction: "sideways" is not one of ingress, egress',
      't.yaml:17:33: 10.1.0.10 is already used by instance i1 (instances[0]) on network a',
      't.yaml:18:33: 10.9.0.1 is not in a subnet of network a (10.1.0.0/24)',
      't.yaml:19:26: there is no network "zz"',
      't.yaml:19:51: there is no security group "nope"',
    ],
  );
});

test('a source that is not text or a path is an InvalidInputError naming the argument', async () => {
  for (const [source, where] of [
    [null, 'source'],
    [{ text: 'name: a', file: 7 }, 'source.file'],
    [{ text: 'name: a', format: 'toml' }, 'source.format'],
  ] as const) {
    await assert.rejects(
      loadTopology(source as never),
      (e: unknown) => e instanceof InvalidInputError && e.where === where,
    );
  }
  assert.deepEqual(linesOf(7 as never as string).length, 1);
});
