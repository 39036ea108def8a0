/**
 * `sealcam sign --state-dir DIR --out OUTDIR FILE…`: signs files on this
 * machine with the device of a state directory (`sealcam keys new`) into
 * capture bundles (SCHEME.md Appendix), one `<seq>.json` per file. Each file
 * is one capture (mode 1; JPEG or raw), time-stamped now — a signature can
 * only ever carry the current period, never an earlier one — and chained to
 * the previous capture of the device. Every bundle is verified before it is
 * written. Exit 0 when every file was signed.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { bundleToJson, verifyBundle } from '../../dstp/bundle.js';
import type { ContentType } from '../../dstp/header.js';
import { signCaptureForOutbox } from '../../device/capture-signer.js';
import { openLocalDevice } from '../../device/local-device.js';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { concat, toHex, utf8 } from '../../platform/bytes.js';
import { systemClock } from '../../platform/clock.js';
import { storedBundle } from '../../receiver/bundle.js';
import type { StoredBlock } from '../../receiver/store-codec.js';
import { decodeMessage, MessageKind } from '../../transport/messages.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam sign --state-dir DIR --out OUTDIR [--blocks C] FILE...
  --blocks C   split each capture into C blocks (default 4, at most the key's n)`;

function contentTypeOf(bytes: Uint8Array): ContentType {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? 1 : 3;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { 'state-dir': { type: 'string' }, out: { type: 'string' }, blocks: { type: 'string' } }, USAGE);
  const stateDir = values['state-dir'];
  const outDir = values['out'];
  const c = values['blocks'] === undefined ? 4 : Number(values['blocks']);
  if (typeof stateDir !== 'string' || typeof outDir !== 'string' || positionals.length === 0 || !Number.isSafeInteger(c) || c < 1 || c > 256) {
    console.error(USAGE);
    return 2;
  }
  await mkdir(outDir, { recursive: true });
  const dev = await openLocalDevice(stateDir);
  let failed = 0;
  try {
    const { identity, keys, chain } = dev;
    for (const file of positionals) {
      const bytes = new Uint8Array(await readFile(file));
      if (bytes.length === 0) {
        console.error(`${file}: empty file, not signed`);
        failed++;
        continue;
      }
      const seq = await chain.nextSeq();
      const signed = await signCaptureForOutbox(
        { bytes, ts: systemClock.now(), seq, mode: 1, contentType: contentTypeOf(bytes), prevHeaderDigest: chain.prevHeaderDigest },
        identity, keys,
        // Algorithm 1 with C equal shares (no storage servers are involved here).
        (n) => Array.from({ length: Math.min(c, n) }, () => ({ free: null })),
        () => systemClock.now(),
      );
      // A payload may come as parts (message head, then a view of the block bytes).
      const payloads = (signed.payloads as (Uint8Array | Uint8Array[])[]).map((p) => (p instanceof Uint8Array ? p : concat(...p)));
      const blocks: StoredBlock[] = payloads.map((payload) => {
        const m = decodeMessage({ kind: MessageKind.BLOCK, payload });
        if (m.type !== 'block') throw new Error('internal: not a block');
        return { i: m.index, off: m.off, len: m.len, proof: m.proof, fsSignature: m.fsSignature, data: m.data };
      });
      const first = decodeMessage({ kind: MessageKind.BLOCK, payload: payloads[0]! });
      if (first.type !== 'block') throw new Error('internal: not a block');
      const bundle = storedBundle({
        suite: identity.suite, devicePublicKey: identity.publicKey, fsPublicKey: keys.publicKey!.bytes,
        header: first.header, headerSignature: first.headerSignature, blocks,
      });
      const json = bundleToJson(bundle);
      const verdict = verifyBundle(json);
      if (!verdict.valid) throw new Error(`internal: the new bundle does not verify (${verdict.reason})`);
      const path = join(outDir, `${seq}.json`);
      await writeFileAtomic(path, utf8(JSON.stringify(json, null, 2) + '\n'), { mode: 0o644 });
      chain.advance(seq, signed.headerDigest); // after the bundle is durable: the next capture chains to it
      console.log(JSON.stringify({ file: basename(file), bundle: path, seq: seq.toString(), ts: signed.ts.toString(), period: signed.m, blocks: blocks.length, headerDigest: toHex(signed.headerDigest) }));
    }
  } finally {
    await dev.close();
  }
  return failed === 0 ? 0 : 1;
}
