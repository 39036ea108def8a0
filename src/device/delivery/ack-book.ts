/**
 * Which destination acknowledged which key cycle (SCHEME.md §7: blocks of a
 * cycle go only to destinations that acknowledged its keyId), with the
 * signer key that acknowledged (for the owner, the key is learned from its
 * REG_ACK). Persisted in `<stateDir>/acks.json` on every change (rare: once
 * per destination per key cycle).
 */
import { isSuite, type Suite } from '../../crypto/ecdsa.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import { DeviceStateError, readJsonState, STATE_FILES, statePath, writeJsonState } from '../daemon/state-dir.js';

/** keyIds remembered per destination (oldest dropped). */
export const MAX_ACKED_KEYS = 64;

/** A destination's acknowledging key. */
export interface Signer {
  readonly suite: Suite;
  readonly publicKey: Uint8Array;
}

interface Entry {
  keys: string[];
  signer: Signer | null;
}

/** Persistent REG_ACK state per destination id. */
export class AckBook {
  private readonly map = new Map<string, Entry>();
  private queue: Promise<void> = Promise.resolve();

  /** Only assigns. */
  constructor(private readonly stateDir: string) {}

  private get path(): string {
    return statePath(this.stateDir, STATE_FILES.acks);
  }

  /** Reads acks.json (absent = empty). @throws DeviceStateError STATE_IO | STATE_FORMAT */
  async load(): Promise<void> {
    const raw = await readJsonState(this.path);
    this.map.clear();
    if (raw === null) return;
    const bad = (m: string): never => {
      throw new DeviceStateError('STATE_FORMAT', `${this.path}: ${m}`);
    };
    if (typeof raw !== 'object' || Array.isArray(raw)) bad('not an object');
    for (const [id, v] of Object.entries(raw as Record<string, unknown>)) {
      const e = v as { keys?: unknown; signer?: { suite?: unknown; publicKey?: unknown } | null };
      if (!Array.isArray(e?.keys) || !e.keys.every((k) => typeof k === 'string' && /^[0-9a-f]{64}$/.test(k))) bad(`${id}.keys`);
      let signer: Signer | null = null;
      if (e.signer) {
        const pk = e.signer.publicKey;
        if (!isSuite(e.signer.suite) || typeof pk !== 'string' || !/^[0-9a-f]{130}$/.test(pk)) bad(`${id}.signer`);
        signer = { suite: e.signer.suite as Suite, publicKey: fromHex(pk as string) };
      }
      this.map.set(id, { keys: (e.keys as string[]).slice(-MAX_ACKED_KEYS), signer });
    }
  }

  /** True when `dest` acknowledged keyId (hex). */
  has(dest: string, keyIdHex: string): boolean {
    return this.map.get(dest)?.keys.includes(keyIdHex) ?? false;
  }

  /** keyIds (hex) `dest` acknowledged, oldest first. */
  keys(dest: string): readonly string[] {
    return this.map.get(dest)?.keys ?? [];
  }

  /** The key that acknowledged for `dest` most recently, if any. */
  signer(dest: string): Signer | null {
    return this.map.get(dest)?.signer ?? null;
  }

  /**
   * Records that `dest` acknowledged keyId (or each of several, oldest first) with `signer`, durably.
   * @throws DeviceStateError STATE_IO
   */
  async record(dest: string, keyIdHex: string | readonly string[], signer: Signer): Promise<void> {
    const e = this.map.get(dest) ?? { keys: [], signer: null };
    const fresh = (typeof keyIdHex === 'string' ? [keyIdHex] : keyIdHex).filter((k) => !e.keys.includes(k));
    const sameSigner = e.signer !== null && e.signer.suite === signer.suite && toHex(e.signer.publicKey) === toHex(signer.publicKey);
    if (fresh.length === 0 && sameSigner) return;
    e.keys = [...e.keys, ...fresh].slice(-MAX_ACKED_KEYS);
    e.signer = { suite: signer.suite, publicKey: Uint8Array.from(signer.publicKey) };
    this.map.set(dest, e);
    await this.save();
  }

  /** Forgets that `dest` acknowledged keyId (it answered NOT_REGISTERED). @throws DeviceStateError STATE_IO */
  async forget(dest: string, keyIdHex: string): Promise<void> {
    const e = this.map.get(dest);
    if (!e || !e.keys.includes(keyIdHex)) return;
    e.keys = e.keys.filter((k) => k !== keyIdHex);
    await this.save();
  }

  /** Forgets destinations that are no longer configured. @throws DeviceStateError STATE_IO */
  async retain(ids: readonly string[]): Promise<void> {
    let changed = false;
    for (const id of [...this.map.keys()]) {
      if (!ids.includes(id)) {
        this.map.delete(id);
        changed = true;
      }
    }
    if (changed) await this.save();
  }

  private save(): Promise<void> {
    const p = this.queue.then(() => {
      const out: Record<string, unknown> = {};
      for (const [id, e] of this.map) {
        out[id] = { keys: e.keys, signer: e.signer ? { suite: e.signer.suite, publicKey: toHex(e.signer.publicKey) } : null };
      }
      return writeJsonState(this.path, out, 0o644);
    });
    this.queue = p.catch(() => {});
    return p;
  }
}
