// The live page's own files (HTML, script, style), read once into memory when the server starts and
// served by exact path only: the server never opens a file a request names. No build step: the files
// under static/ are what the browser gets.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** One file of the page. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The page's files by request path. */
export const ASSET_FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * Where static/ is: beside this module under tsx (src/ui/static), and the same source folder when
 * running the build (dist/src/ui → src/ui/static, which the package ships).
 */
export const STATIC_DIRS: readonly URL[] = [
  new URL('./static/', import.meta.url),
  new URL('../../../src/ui/static/', import.meta.url),
];

/**
 * Reads the page's files.
 *
 * @throws {Error} when static/ is in none of {@link STATIC_DIRS} (a broken install)
 */
export async function loadAssets(dirs: readonly URL[] = STATIC_DIRS): Promise<ReadonlyMap<string, Asset>> {
  for (const dir of dirs) {
    try {
      const out = new Map<string, Asset>();
      for (const [path, a] of Object.entries(ASSET_FILES)) {
        out.set(path, { body: await readFile(fileURLToPath(new URL(a.file, dir))), type: a.type });
      }
      return out;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  throw new Error(
    `ui: the page's files are missing (looked in ${dirs.map((d) => fileURLToPath(d)).join(', ')})`,
  );
}
