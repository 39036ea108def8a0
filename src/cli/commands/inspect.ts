/**
 * `sealcam inspect FILE|HEX`: decodes a DSTP header (226 bytes), an
 * FsPublicKey, an FsSignature (given `--key` for its length) or a capture
 * bundle, and prints its fields as JSON. Read-only, never verifies: use
 * `sealcam verify` for verdicts.
 */
import { readFile } from 'node:fs/promises';
import { decodeHeader, headerDigest, HEADER_LENGTH } from '../../dstp/header.js';
import { fromHex, toHex } from '../../platform/bytes.js';
import { decodeFsPublicKey, decodeFsSignature, type ModulusBits } from '../../scheme/index.js';
import { parse } from '../args.js';

const USAGE = `usage: sealcam inspect [--key FSPUBKEY_HEX_OR_FILE] FILE_OR_HEX
  A DSTP header, FsPublicKey or FsSignature as hex (or a file holding hex or raw bytes),
  or a capture bundle (.json). FsSignatures need --key (their length depends on k).`;

function jsonable(v: unknown): unknown {
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === 'bigint') return v < 2n ** 53n ? Number(v) : '0x' + v.toString(16);
  if (Array.isArray(v)) return v.map(jsonable);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

async function bytesOf(arg: string): Promise<{ bytes: Uint8Array; json?: unknown }> {
  if (/^[0-9a-f]+$/.test(arg) && arg.length % 2 === 0) return { bytes: fromHex(arg) };
  const raw = await readFile(arg);
  const text = raw.toString('utf8').trim();
  if (text.startsWith('{')) return { bytes: new Uint8Array(), json: JSON.parse(text) as unknown };
  if (/^[0-9a-f]+$/.test(text) && text.length % 2 === 0) return { bytes: fromHex(text) };
  return { bytes: new Uint8Array(raw) };
}

function describeBytes(b: Uint8Array, keyBits: ModulusBits | undefined): Record<string, unknown> {
  if (b.length === HEADER_LENGTH && b[0] === 0x44 && b[1] === 0x53) {
    return { type: 'DstpHeader', headerDigest: toHex(headerDigest(b)), ...(jsonable(decodeHeader(b)) as object) };
  }
  if (b.length > 4 && b[0] === 0x53 && b[1] === 0x43 && b[2] === 0x46 && b[3] === 0x4b) {
    const pk = decodeFsPublicKey(b);
    const { bytes: _b, ...rest } = pk;
    return { type: 'FsPublicKey', ...(jsonable(rest) as object), cycleEnd: (pk.t0 + BigInt(pk.T) * BigInt(pk.delta) - 1n).toString() };
  }
  if (keyBits !== undefined) return { type: 'FsSignature', ...(jsonable(decodeFsSignature(b, keyBits)) as object) };
  throw new Error(`unrecognised ${b.length}-byte input (FsSignatures need --key)`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { key: { type: 'string' } }, USAGE);
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  let keyBits: ModulusBits | undefined;
  if (typeof values['key'] === 'string') keyBits = decodeFsPublicKey((await bytesOf(values['key'])).bytes).k;
  const { bytes, json } = await bytesOf(positionals[0]!);
  if (json !== undefined) {
    const o = json as Record<string, unknown>;
    const header = typeof o['header'] === 'string' ? describeBytes(fromHex(o['header']), undefined) : null;
    const pk = typeof o['publicKey'] === 'string' ? describeBytes(fromHex(o['publicKey']), undefined) : null;
    const blocks = Array.isArray(o['blocks']) ? o['blocks'].length : 0;
    console.log(JSON.stringify({ type: 'bundle', header, publicKey: pk, blocks }, null, 2));
    return 0;
  }
  console.log(JSON.stringify(describeBytes(bytes, keyBits), null, 2));
  return 0;
}
