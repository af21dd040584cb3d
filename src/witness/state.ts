// The witness's own state: the last checkpoint it cosigned per log origin, in one small JSON
// file replaced atomically (temporary file, fsync, rename, fsync of the directory), so a crash
// leaves either the old state or the new one, never a torn file and never a rollback.
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { CosignedCheckpoint } from './witness.js';

/** Bounds what a witness will load: a state file is a few KiB per log. */
const stateFileBytesMax = 16 * 1024 * 1024;

const stateSchema = z.object({
  version: z.literal(1),
  logs: z.record(
    z.string().min(1),
    z.object({
      note: z.string().min(1),
      treeSize: z.number().int().nonnegative(),
      rootHash: z.string().min(1),
      cosignedAt: z.string().min(1),
    }),
  ),
});

export class WitnessStateError extends Error {}

/** The state in `file`, or an empty state when the file does not exist yet. */
export async function loadWitnessState(file: string): Promise<Map<string, CosignedCheckpoint>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw error;
  }
  if (text.length > stateFileBytesMax) {
    throw new WitnessStateError(`witness state ${file} is larger than ${stateFileBytesMax} bytes`);
  }
  let parsed;
  try {
    parsed = stateSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    // Starting over from nothing would let a log roll this witness back: refuse to start.
    throw new WitnessStateError(`witness state ${file} is not a valid state file; not starting`);
  }
  return new Map(Object.entries(parsed.data.logs));
}

export async function saveWitnessState(
  file: string,
  state: ReadonlyMap<string, CosignedCheckpoint>,
): Promise<void> {
  const text = `${JSON.stringify({ version: 1, logs: Object.fromEntries(state) }, null, 2)}\n`;
  await writeFileAtomically(file, text);
}

/** Writes (flag 'w') or appends ('a') `text` to `file` and syncs it before answering. */
export async function writeSynced(file: string, flag: 'w' | 'a', text: string): Promise<void> {
  const handle = await open(file, flag, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `file` so that readers and crashes see the old or the new contents only. */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const directory = dirname(file);
  const temporary = join(directory, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  await writeSynced(temporary, 'w', text);
  try {
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
}
