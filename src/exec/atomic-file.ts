// Replace a file's content atomically (Neutron: agent.linux.utils.replace_file).
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Replaces a file's content atomically: writes a temporary file in the same directory, flushes it
 * and renames it over the target, so a reader sees the old content or the new, never a mix.
 * Creates the directory (mode 0755) if needed.
 *
 * @param mode file mode of the new file (default 0644: dnsmasq reads its files as `nobody`)
 */
export async function replaceFileAtomic(path: string, content: string | Buffer, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
