// The topology file's schema published for people and editors: a JSON Schema (draft-07, what editors'
// YAML and JSON language servers read) and the key reference of docs/topology.md, both generated from
// the one zod schema so they cannot drift from what the loader accepts. `scripts/gen-schema.ts` writes
// them; a unit test fails when the committed copies are stale.
import { z } from 'zod';
import { topologySchema } from './schema.js';

/** Where the published schema lives, relative to the repository. */
export const SCHEMA_FILE = 'docs/topology.schema.json';

/** The JSON Schema of a topology file (draft-07), as an object. Pure. */
export function topologyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(topologySchema, { target: 'draft-07', io: 'input', unrepresentable: 'any' });
  return {
    $schema: schema.$schema,
    $id: 'https://tenantnet.dev/topology.schema.json',
    title: 'tenantnet topology',
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema')),
  };
}

/** The JSON Schema as the committed file's text (two-space indent, final newline). Pure. */
export function topologyJsonSchemaText(): string {
  return `${JSON.stringify(topologyJsonSchema(), null, 2)}\n`;
}

type Json = Readonly<Record<string, unknown>>;

/** How a JSON Schema node's type reads in the reference: `string`, `list of string`, `integer or string`. */
function typeText(node: Json): string {
  if (Array.isArray(node.anyOf)) return (node.anyOf as Json[]).map(typeText).join(' or ');
  if (Array.isArray(node.enum)) return (node.enum as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.type === 'array') return `list of ${typeText((node.items ?? {}) as Json)}`;
  if (node.type === 'object') return 'mapping';
  if (Array.isArray(node.type)) return (node.type as string[]).join(' or ');
  return String(node.type ?? 'any');
}

/** The mapping a node describes (an object, or the object option of a union, or a list's items). */
function mappingOf(node: Json): Json | null {
  if (node.type === 'object') return node;
  if (node.type === 'array') return mappingOf((node.items ?? {}) as Json);
  if (Array.isArray(node.anyOf)) {
    for (const o of node.anyOf as Json[]) {
      const m = mappingOf(o);
      if (m) return m;
    }
  }
  return null;
}

/**
 * The key reference of docs/topology.md as Markdown: one table per mapping (the file, then each nested
 * mapping by its path, `networks[]`, `routers[].gateway`…), each key with its type, whether it is
 * required, and its description. Pure.
 */
export function keyReference(): string {
  const out: string[] = [];
  const todo: [string, Json][] = [['(the file)', topologyJsonSchema()]];
  while (todo.length > 0) {
    const [where, node] = todo.shift()!;
    const properties = (node.properties ?? {}) as Record<string, Json>;
    const required = new Set((node.required ?? []) as string[]);
    out.push(`### \`${where}\``, '', String(node.description ?? ''), '');
    out.push('| key | type | | meaning |', '|---|---|---|---|');
    for (const [key, value] of Object.entries(properties)) {
      const description = String(value.description ?? '').replace(/\|/g, '\\|');
      out.push(
        `| \`${key}\` | ${typeText(value)} | ${required.has(key) ? 'required' : ''} | ${description} |`,
      );
      const nested = mappingOf(value);
      if (nested) {
        const path = where === '(the file)' ? key : `${where}.${key}`;
        todo.push([`${path}${value.type === 'array' ? '[]' : ''}`, nested]);
      }
    }
    out.push('');
  }
  return out.join('\n');
}

/** The topology document, relative to the repository. */
export const TOPOLOGY_DOC = 'docs/topology.md';

const BEGIN = '<!-- key reference: generated from src/topology/schema.ts by scripts/gen-schema.ts -->';
const END = '<!-- end of key reference -->';

/**
 * The topology document's text with its key reference (between the generated-block markers) replaced
 * by {@link keyReference}'s. Pure.
 *
 * @throws {Error} when the document lacks the markers
 */
export function referenceInDoc(doc: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${TOPOLOGY_DOC} lacks the key reference markers`);
  return `${doc.slice(0, begin + BEGIN.length)}\n\n${keyReference()}\n${doc.slice(end)}`;
}
