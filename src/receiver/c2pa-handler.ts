/**
 * Handling of one C2PA message (docs/RECEIVER.md "Content Credentials"): the
 * device's signed C2PA manifest store for one of its JPEG captures, built at
 * capture time (docs/C2PA.md "Credentials through the receiver"). Hostile
 * input: the store is bounded by the codec (MAX_C2PA_STORE_BYTES), and it is
 * stored only when the capture is complete here, a JPEG of a registered
 * suite-2 device, and the store embedded into the reassembled capture
 * validates (validateC2pa: claim signature, certificate chain, hard binding
 * over exactly the capture) with a leaf certificate whose key is the
 * device's known key. Anything else is a coded verdict for the caller to
 * count; nothing here throws for hostile bytes.
 */
import { certificatePublicKey, embedC2paStore, validateC2pa } from '../c2pa/index.js';
import { sha256 } from '../crypto/hash.js';
import { CONTENT_JPEG } from '../dstp/header.js';
import { equalBytes } from '../platform/bytes.js';
import { isSealcamError } from '../platform/errors.js';
import type { C2paMessage } from '../transport/messages.js';
import { assembleCapture } from './assemble.js';
import type { ReceiverCore } from './core.js';
import { lookupCapture } from './device-state.js';

/** Why a C2PA message was not stored (besides the C2PA_* codes of validateC2pa / embedC2paStore). */
export type C2paMessageReason =
  /** The session has no device, or the device has no key chain here. */
  | 'C2PA_DEVICE_UNREGISTERED'
  /** The device is suite 1: it cannot have signed C2PA credentials. */
  | 'C2PA_UNSUPPORTED_SUITE'
  /** No capture with that seq is held here (unknown, invalid or evicted). */
  | 'C2PA_CAPTURE_UNKNOWN'
  /** The capture's header is verified but not all its blocks are here yet: the session keeps the message until it completes. */
  | 'C2PA_CAPTURE_PENDING'
  /** The capture is not a JPEG. */
  | 'C2PA_NOT_JPEG'
  /** The claim is validly signed, but not by the device's key. */
  | 'C2PA_SIGNER_NOT_DEVICE'
  /** The org.sealcam.capture assertion is missing or names another capture's header. */
  | 'C2PA_SEALCAM_MISMATCH'
  /** The message could not be decoded (framing), or was larger than MAX_C2PA_STORE_BYTES. */
  | 'C2PA_MESSAGE_MALFORMED'
  | 'C2PA_MESSAGE_TOO_LARGE';

/** The verdict on one C2PA message: STORED, DUPLICATE (already held) or a rejection code. */
export type C2paOutcome = { readonly stored: true; readonly duplicate: boolean } | { readonly stored: false; readonly reason: string; readonly message: string };

const JPEG = CONTENT_JPEG;

/**
 * Verifies and (when valid and new) stores one C2PA message from the
 * session's device `dev` (40 hex, from its HELLO). Disk errors propagate.
 */
export async function handleC2pa(core: ReceiverCore, dev: string | undefined, msg: C2paMessage): Promise<C2paOutcome> {
  const reject = (reason: string, message: string): C2paOutcome => ({ stored: false, reason, message });
  const chain = dev === undefined ? undefined : core.registry.device(dev);
  if (dev === undefined || chain === undefined) return reject('C2PA_DEVICE_UNREGISTERED', 'no registered device on this session');
  if (chain.device.suite !== 2) return reject('C2PA_UNSUPPORTED_SUITE', `device suite ${chain.device.suite} cannot sign C2PA credentials`);
  const ds = await core.device(dev);
  const now = core.opts.clock.now();
  const cs = await lookupCapture(core.store, ds, msg.seq, now);
  if (cs?.phase === 'pending') return reject('C2PA_CAPTURE_PENDING', `capture ${msg.seq} is not complete yet`);
  if (cs === undefined || cs.phase !== 'complete') return reject('C2PA_CAPTURE_UNKNOWN', `no complete capture ${msg.seq}`);
  if (cs.vh.header.contentType !== JPEG) return reject('C2PA_NOT_JPEG', `capture ${msg.seq} is not a JPEG`);
  const held = await core.store.readC2pa(dev, msg.seq);
  if (held !== null && equalBytes(held, msg.store)) return { stored: true, duplicate: true };
  const a = assembleCapture(cs.vh.header, await core.store.readBlocks(dev, msg.seq));
  if (!a.ok) return reject('C2PA_CAPTURE_UNKNOWN', `capture ${msg.seq} does not reassemble: ${a.reason}`);
  let photo: Uint8Array;
  try {
    photo = embedC2paStore(a.bytes, msg.store);
  } catch (e) {
    // hostile bytes: every failure is a coded rejection
    return reject(isSealcamError(e) ? e.code : 'C2PA_STORE_MALFORMED', (e as Error).message);
  }
  const v = await validateC2pa(photo, { at: new Date(Number(now)), sha256 });
  if (!v.valid) {
    const f = v.failures.find((x) => x.code !== 'C2PA_UNTRUSTED') ?? v.failures[0];
    return reject(f?.code ?? 'C2PA_INVALID', f?.message ?? 'invalid');
  }
  const leaf = v.content?.certificateChain[0];
  const key = leaf === undefined ? undefined : await certificatePublicKey(leaf);
  if (key === undefined || !equalBytes(key, chain.device.publicKey)) {
    return reject('C2PA_SIGNER_NOT_DEVICE', 'the claim is signed by a certificate whose key is not the device key');
  }
  // The sealcam assertion must speak of this capture (its bundle's header is the stored header).
  if (!assertionNamesHeader(v.content?.sealcam, cs.vh.bytes)) return reject('C2PA_SEALCAM_MISMATCH', 'the org.sealcam.capture assertion is not about this capture');
  await core.store.putC2pa(dev, msg.seq, Uint8Array.from(msg.store));
  return { stored: true, duplicate: false };
}

/** True when the sealcam payload's bundle carries `header` (hex). */
function assertionNamesHeader(payload: unknown, header: Uint8Array): boolean {
  if (typeof payload !== 'object' || payload === null) return false;
  const bundle = (payload as { bundle?: unknown }).bundle;
  if (typeof bundle !== 'object' || bundle === null) return false;
  const h = (bundle as { header?: unknown }).header;
  if (typeof h !== 'string') return false;
  const hex = Buffer.from(header).toString('hex');
  return h.toLowerCase() === hex || h.toLowerCase() === `0x${hex}`;
}
