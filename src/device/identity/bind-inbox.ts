/**
 * Hand-over of owner requests to a RUNNING daemon, which holds the keystore
 * (its lock keeps every other process out) and so the device key: `sealcam
 * bind` drops the request as `<stateDir>/inbox/<id>.req.json` (atomic), sends
 * SIGHUP, and waits for `<id>.res.json`; the daemon processes the inbox at
 * every SIGHUP before re-reading its configuration (src/device/daemon/supervisor.ts).
 * The inbox is inside the 0700 state directory: only the daemon's user (or
 * root) can write it; its files are still parsed as hostile (bounded size,
 * strict JSON, at most {@link MAX_INBOX} per reload).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { pidAlive } from '../../platform/dir-lock.js';
import { SealcamError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { healthPath } from '../daemon/health.js';

/** Inbox directory inside the state directory. */
export const INBOX_DIR = 'inbox';
/** Requests handled per SIGHUP. */
export const MAX_INBOX = 16;
/** Largest request file (bytes). */
export const MAX_INBOX_BYTES = 64 * 1024;

/** What is dropped into the inbox. */
export interface InboxRequest {
  /** The request record JSON (bind-request or unbind). */
  readonly request: unknown;
  readonly force: boolean;
}

/** Error codes of the hand-over. */
export type InboxCode = 'INBOX_TIMEOUT' | 'INBOX_IO' | 'INBOX_BUSY';

/**
 * The pid of the daemon running on `stateDir`, or null when none runs: the
 * keystore lock (`keys/lock`) is held by a live process that also wrote the
 * health file. A live lock holder that is NOT the daemon (another command) is
 * an error.
 * @throws SealcamError INBOX_BUSY
 */
export async function runningDaemonPid(stateDir: string): Promise<number | null> {
  const lock = await fs.readFile(join(stateDir, 'keys', 'lock'), 'utf8').catch(() => '');
  const m = /^(\d{1,10}) [0-9a-f]{32}\n?$/.exec(lock);
  if (!m) return null;
  const pid = Number(m[1]);
  if (pid === process.pid || !pidAlive(pid)) return null;
  const health = await fs.readFile(healthPath(stateDir), 'utf8').then((t) => JSON.parse(t) as { pid?: unknown }, () => null);
  if (health?.pid !== pid) throw new SealcamError<InboxCode>('INBOX_BUSY', `the keystore is in use by process ${pid}, which is not the daemon; retry when it is done`);
  return pid;
}

/** Run as root (`sudo sealcam bind`): hand the inbox files to the state directory's owner, the daemon's user. */
async function giveToStateOwner(stateDir: string, paths: string[]): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const st = await fs.stat(stateDir);
  for (const p of paths) await fs.chown(p, st.uid, st.gid);
}

/**
 * Drops `req` into the inbox, signals `pid` with SIGHUP and waits for the answer.
 * @returns the daemon's answer JSON (see src/device/identity/bind.ts resultJson)
 * @throws SealcamError INBOX_IO | INBOX_TIMEOUT (the request is withdrawn if the daemon did not take it)
 */
export async function submitToDaemon(stateDir: string, pid: number, req: InboxRequest, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const dir = join(stateDir, INBOX_DIR);
  const id = randomBytes(8).toString('hex');
  const reqPath = join(dir, `${id}.req.json`);
  const resPath = join(dir, `${id}.res.json`);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(reqPath, new TextEncoder().encode(JSON.stringify(req)), { mode: 0o600 });
    await giveToStateOwner(stateDir, [dir, reqPath]);
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    await fs.unlink(reqPath).catch(() => {});
    throw new SealcamError<InboxCode>('INBOX_IO', `cannot hand the request to the daemon (pid ${pid}): ${(e as Error).message}`, { cause: e });
  }
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await fs.readFile(resPath, 'utf8').catch(() => null);
    if (text !== null) {
      await fs.unlink(resPath).catch(() => {});
      try {
        return JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        throw new SealcamError<InboxCode>('INBOX_IO', 'the daemon answer is not JSON', { cause: e });
      }
    }
    if (Date.now() > end) {
      const withdrawn = await fs.unlink(reqPath).then(() => true, () => false);
      throw new SealcamError<InboxCode>('INBOX_TIMEOUT',
        withdrawn ? `the daemon did not take the request within ${timeoutMs} ms (withdrawn)` : `the daemon took the request but did not answer within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function parseInbox(text: string): InboxRequest {
  const v = JSON.parse(text) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('inbox request must be an object');
  const o = v as Record<string, unknown>;
  if (Object.keys(o).some((k) => k !== 'request' && k !== 'force') || typeof o.force !== 'boolean') throw new Error('inbox request must be {request, force}');
  return { request: o.request, force: o.force };
}

/**
 * Daemon side: handles up to {@link MAX_INBOX} waiting requests (oldest
 * first), writing each answer next to it and removing the request. Never rejects.
 * @returns the number of requests handled
 */
export async function processInbox(stateDir: string, handle: (req: InboxRequest) => Promise<Record<string, unknown>>, logger: Logger): Promise<number> {
  const dir = join(stateDir, INBOX_DIR);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const reqs = names.filter((n) => /^[0-9a-f]{16}\.req\.json$/.test(n));
  const dated = await Promise.all(reqs.map(async (n) => ({ n, t: (await fs.stat(join(dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
  let done = 0;
  for (const { n } of dated.sort((a, b) => a.t - b.t).slice(0, MAX_INBOX)) {
    const path = join(dir, n);
    let answer: Record<string, unknown>;
    try {
      const h = await fs.open(path, 'r');
      let text: string;
      try {
        if ((await h.stat()).size > MAX_INBOX_BYTES) throw new Error(`larger than ${MAX_INBOX_BYTES} bytes`);
        text = await h.readFile('utf8');
      } finally {
        await h.close();
      }
      await fs.unlink(path);
      answer = await handle(parseInbox(text));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // withdrawn meanwhile
      await fs.unlink(path).catch(() => {});
      answer = { ok: false, code: 'INBOX_FORMAT', message: (e as Error).message };
    }
    try {
      await writeFileAtomic(join(dir, n.replace('.req.json', '.res.json')), new TextEncoder().encode(JSON.stringify(answer)), { mode: 0o600 });
    } catch (e) {
      logger.error({ err: (e as Error).message, request: n }, 'bind: cannot write the answer to an inbox request');
    }
    done++;
  }
  return done;
}
