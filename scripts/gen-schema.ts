// Writes docs/topology.schema.json and the key reference in docs/topology.md from the topology file's
// zod schema (src/topology/schema.ts). Run after changing the schema:
//   npm run gen:schema   (node --import tsx scripts/gen-schema.ts)
// test/unit/topology-schema.test.ts fails while either file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  referenceInDoc,
  SCHEMA_FILE,
  TOPOLOGY_DOC,
  topologyJsonSchemaText,
} from '../src/topology/json-schema.js';

const root = join(import.meta.dirname, '..');
await writeFile(join(root, SCHEMA_FILE), topologyJsonSchemaText());
const doc = join(root, TOPOLOGY_DOC);
await writeFile(doc, referenceInDoc(await readFile(doc, 'utf8')));
process.stdout.write(`wrote ${SCHEMA_FILE} and the key reference in ${TOPOLOGY_DOC}\n`);
