/**
 * The outbox's destination registry: a tiny file replaced atomically
 * (platform/atomic-file.ts) whenever a destination is added or removed.
 * Format: `{"version":1,"destinations":["id", …]}`; ids match DEST_ID_RE.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { outboxError } from './errors.js';
import { DEST_ID_RE } from './record.js';

export const DESTINATIONS_FILE = 'destinations.json';
/** Most registered destinations. */
export const MAX_REGISTERED_DESTINATIONS = 128;

/**
 * Reads the registry (empty when the file does not exist).
 * @throws OutboxError OUTBOX_FORMAT for a malformed file; the fs error otherwise.
 */
export async function readDestinations(dir: string): Promise<string[]> {
  let text: string;
  try {
    text = await fs.readFile(join(dir, DESTINATIONS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw outboxError('OUTBOX_FORMAT', `${DESTINATIONS_FILE} is not JSON`, e);
  }
  const o = v as { version?: unknown; destinations?: unknown };
  if (
    typeof v !== 'object' || v === null || o.version !== 1 || !Array.isArray(o.destinations) ||
    !o.destinations.every((d) => typeof d === 'string' && DEST_ID_RE.test(d)) ||
    new Set(o.destinations).size !== o.destinations.length || o.destinations.length > MAX_REGISTERED_DESTINATIONS
  ) {
    throw outboxError('OUTBOX_FORMAT', `${DESTINATIONS_FILE} has an unexpected shape`);
  }
  return o.destinations as string[];
}

/** Replaces the registry atomically and durably. @throws the fs error. */
export async function writeDestinations(dir: string, dests: readonly string[]): Promise<void> {
  const text = JSON.stringify({ version: 1, destinations: dests });
  await writeFileAtomic(join(dir, DESTINATIONS_FILE), new TextEncoder().encode(text));
}
