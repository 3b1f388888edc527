// The two spellings of one vocabulary: the file's snake_case keys (`security_groups`) and the model's
// camelCase twins (`securityGroups`), derived from the schema so that a key added there is translated
// everywhere: data (file -> model), paths and messages (model -> file).
import { z } from 'zod';
import type { FilePath } from './errors.js';
import { topologySchema } from './schema.js';

/** `security_groups` -> `securityGroups`. Pure. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Every key of every mapping of the file's schema. */
function schemaKeys(): Set<string> {
  const keys = new Set<string>();
  const todo: z.ZodType[] = [topologySchema];
  const seen = new Set<z.ZodType>();
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    if (s instanceof z.ZodOptional) todo.push(s.unwrap() as z.ZodType);
    else if (s instanceof z.ZodArray) todo.push(s.element as z.ZodType);
    else if (s instanceof z.ZodUnion) todo.push(...(s.options as z.ZodType[]));
    else if (s instanceof z.ZodObject) {
      for (const [k, v] of Object.entries(s.shape as Record<string, z.ZodType>)) {
        keys.add(k);
        todo.push(v);
      }
    }
  }
  return keys;
}

/** The file's keys (snake_case), each with its model spelling. */
export const FILE_KEYS: ReadonlyMap<string, string> = new Map([...schemaKeys()].map((k) => [k, camelKey(k)]));

/** Model key -> file key, for the keys whose spellings differ. */
const TO_FILE: ReadonlyMap<string, string> = new Map(
  [...FILE_KEYS].filter(([file, model]) => file !== model).map(([file, model]) => [model, file]),
);

/** A model path (`['instances', 0, 'securityGroups', 1]`) in the file's keys. Pure. */
export function filePath(modelPath: FilePath): FilePath {
  return modelPath.map((seg) => (typeof seg === 'string' ? (TO_FILE.get(seg) ?? seg) : seg));
}

const CAMEL_WORDS = new RegExp(`\\b(${[...TO_FILE.keys()].join('|')})\\b`, 'g');

/**
 * A model message in the file's words: `portSecurity: false` becomes `port_security: false`,
 * `securityGroups[1]` becomes `security_groups[1]`. Pure.
 */
export function fileWords(message: string): string {
  return message.replace(CAMEL_WORDS, (w) => TO_FILE.get(w) ?? w);
}
