import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { buildModel } from '../../src/model/index.js';
import {
  buildTopology,
  parseTopology,
  referenceInDoc,
  SCHEMA_FILE,
  TOPOLOGY_DOC,
  topologyJsonSchema,
  topologyJsonSchemaText,
} from '../../src/topology/index.js';
import { FILE_KEYS } from '../../src/topology/keys.js';
import { demoTopology } from './model-fixtures.js';

const root = join(import.meta.dirname, '..', '..');

test(`${SCHEMA_FILE} is the JSON Schema generated from the zod schema (run scripts/gen-schema.ts)`, async () => {
  assert.equal(await readFile(join(root, SCHEMA_FILE), 'utf8'), topologyJsonSchemaText());
});

test(`the key reference in ${TOPOLOGY_DOC} is the generated one (run scripts/gen-schema.ts)`, async () => {
  const doc = await readFile(join(root, TOPOLOGY_DOC), 'utf8');
  assert.equal(doc, referenceInDoc(doc));
});

test('every key of the JSON Schema is documented, and unknown keys are refused everywhere', () => {
  const undocumented: string[] = [];
  const open: string[] = [];
  const walk = (node: Record<string, unknown>, path: string) => {
    if (node.type === 'object' && node.additionalProperties !== false) open.push(path);
    for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!v.description) undocumented.push(`${path}.${k}`);
      walk(v, `${path}.${k}`);
    }
    if (node.items) walk(node.items as Record<string, unknown>, `${path}[]`);
    for (const o of (node.anyOf ?? []) as Record<string, unknown>[]) walk(o, path);
  };
  walk(topologyJsonSchema(), '');
  assert.deepEqual(undocumented, []);
  assert.deepEqual(open, []);
});

/** A model input in the file's keys (the inverse of the loader's translation). */
function toFile(value: unknown): unknown {
  const snake = new Map([...FILE_KEYS].map(([file, model]) => [model, file]));
  if (Array.isArray(value)) return value.map(toFile);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake.get(k) ?? k, toFile(v)]));
}

test('the file is the camelCase model input in snake_case: the issue #13 example round-trips', () => {
  const input = demoTopology();
  const text = stringify(toFile(input));
  assert.match(text, /security_groups:/);
  assert.match(text, /remote_group: web/);
  const loaded = parseTopology({ text, file: 'demo.yaml' });
  assert.deepEqual(loaded.input, input);
  assert.deepEqual(buildTopology(loaded).model, buildModel(input));
});

// Every key the schema knows, each used once: the model must accept all of them.
const EVERY_KEY = `$schema: ../docs/topology.schema.json
name: all
backend: linuxbridge
defaults: { host: host1 }
networks:
  - { name: web, cidr: 10.10.1.0/24, gateway: 10.10.1.1, dhcp: true, dns: [10.10.1.53], mtu: 1450, vni: 100 }
  - name: dual
    subnets:
      - { cidr: 10.10.2.0/24, gateway: null, dhcp: false, dns: [] }
      - { cidr: "fd00:2::/64", ipv6_mode: slaac }
  - { name: public, cidr: 172.24.4.0/24, external: true }
routers:
  - name: r1
    host: host2
    gateway: { network: public, ip: 172.24.4.10, snat: false }
    interfaces: [web, { network: dual, subnet: 10.10.2.0/24, ip: 10.10.2.1 }]
    routes: [{ destination: 10.50.0.0/24, nexthop: 10.10.1.5 }]
security_groups:
  - name: web
    rules:
      - { direction: ingress, ethertype: IPv4, protocol: tcp, port: 80, source_port: "1024-65535", remote_ip: 10.0.0.0/8 }
      - { direction: ingress, protocol: icmp, icmp_type: 8, icmp_code: 0, remote_group: web }
instances:
  - name: web1
    network: web
    host: host1
    ip: 10.10.1.10
    mac: fa:16:3e:00:00:10
    security_groups: [web]
    port_security: true
    allowed_address_pairs: [{ ip: 10.10.1.200, mac: fa:16:3e:00:00:11 }]
    address: static
floating_ips:
  - { instance: web1, address: 172.24.4.20 }
checks:
  - { from: web1, to: fip:web1, protocol: tcp, port: 80, expect: block }
`;

test('a file with every key of the schema loads and builds: the model knows every key the file has', () => {
  const used = new Set([...EVERY_KEY.matchAll(/([$a-z_0-9]+):/g)].map((m) => m[1]!));
  const unused = [...FILE_KEYS.keys()].filter((k) => !used.has(k));
  assert.deepEqual(unused, [], 'add these keys to EVERY_KEY');
  const { model, checks } = buildTopology(parseTopology({ text: EVERY_KEY, file: 'all.yaml' }));
  assert.equal(model.backend, 'linuxbridge');
  assert.equal(model.instances[0]!.allowedAddressPairs.length, 1);
  assert.equal(checks.length, 1);
});
