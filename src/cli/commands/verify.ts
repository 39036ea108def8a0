/**
 * `sealcam verify [--trust TRUST.json] FILE…`: verifies capture bundles
 * (SCHEME.md §6, the key chain of §7 v1.1, the optional SaveHash proof),
 * JPEG photos with sealcam Content Credentials (verifyPhoto, docs/C2PA.md:
 * the bundle in the org.sealcam.capture assertion checked against the JPEG
 * minus its C2PA segments, plus the C2PA validation status), life-cycle
 * records and ledger files, printing a verdict per check.
 *
 * A bundle is VALID only when its key chain checks against the trust file's
 * manufacturers (and witnesses, for restarts): then the output says who made
 * the device, which key cycle and period signed, and the capture's time
 * window. Without --trust (or without a chain) it is at best INTACT: the
 * bytes are those the device key signed, but origin and capture time are not
 * established. Several bundles of one device whose chains show two successors
 * of one keyId are all reported CHAIN_FORK. Exit 0 only when every file is
 * VALID (or INTACT with --integrity-only), 1 otherwise, 2 on a usage error or
 * an unreadable --trust / --chain file.
 *
 * `sealcam verify --web [--trust FILE] [--port N]` instead serves the
 * verification page on 127.0.0.1 (verify-web.ts), where the same verifier
 * runs in the browser.
 */
import { readFile } from 'node:fs/promises';
import { readTrust, trustToJson, type ChainTrust } from '../../chain/json.js';
import type { KeyCache } from '../../chain/check.js';
import { recordFromJson, verifyRecord, ledgerVerifyFile, formatLedgerReport } from '../../ledger/index.js';
import { isSealcamError, SealcamError } from '../../platform/errors.js';
import { JsonSyntaxError, parseJsonStrict } from '../../platform/strict-json.js';
import { chainFromJson } from '../../ledger/savehash/json.js';
import type { SaveHashChainData } from '../../ledger/savehash/savehash.js';
import { findForks, verifyCaptureBundle, type CaptureFacts, type CaptureVerdict } from '../../verify/capture.js';
import { verifyPhoto, type PhotoVerdict } from '../../verify/photo.js';
import { parse } from '../args.js';
import { serveUntilSignal } from './verify-web.js';

const USAGE = `usage: sealcam verify [--trust TRUST.json] [--integrity-only] [--min-witnesses W] [--chain CHAIN.json] [--json] FILE...
       sealcam verify --web [--trust TRUST.json] [--port N]
  FILE              a capture bundle (.json), a JPEG with sealcam Content Credentials (C2PA),
                    a life-cycle record (.json) or a ledger file
  --trust FILE      trusted manufacturers and witnesses:
                    {"manufacturers":[{"suite":1,"publicKey":"<hex>"}],"witnesses":[{"suite":1,"publicKey":"<hex>"}]}
                    a bundle is VALID only when its key chain checks against them
  --integrity-only  accept bundles that are only INTACT (verified without --trust): exit 0 for them
                    (with --trust a bundle without a key chain is INVALID: CHAIN_MISSING)
  --min-witnesses W a restarted key chain needs acknowledgements by W distinct trusted witnesses (default 1)
  --chain FILE      an anchored SaveHash chain (JSON) to check bundles' "saveHash" inclusion proofs against
  --json            one JSON object per file: {file, kind, verdict, valid, reason, origin, validFrom, checks, …}
  --web             serve the verification page on http://127.0.0.1:N/ (files are verified in the browser,
                    never uploaded); with --trust the page loads that trust list; runs until Ctrl-C
  --port N          the port for --web (default 0: any free port; the URL is printed)`;

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

/** The verdict of one file. */
interface FileVerdict {
  file: string;
  kind: 'bundle' | 'photo' | 'record' | 'ledger' | 'unknown';
  /** VALID (origin and time established, or a valid record/ledger), INTACT (integrity only) or INVALID. */
  verdict: 'VALID' | 'INTACT' | 'INVALID';
  valid: boolean;
  reason: string | null;
  origin: boolean;
  validFrom: number | string | null;
  checks: Check[];
  /** For people: who, which key, when. */
  summary?: string[];
  /** Photos: the Content Credentials' own status (C2PA validation status codes as the official SDK names them). */
  c2pa?: { valid: boolean; trusted: boolean | null; status: string[]; signer: string | null };
}

function iso(ms: bigint): string {
  return ms <= 8_640_000_000_000_000n ? new Date(Number(ms)).toISOString() : `${ms} ms`;
}

function uint(x: bigint | null): number | string | null {
  if (x === null) return null;
  return x < 1n << 53n ? Number(x) : x.toString(16);
}

function describe(f: CaptureFacts, origin: boolean, validFrom: bigint | null): string[] {
  const lines = [`device ${f.deviceAddr}, owner ${/^0+$/.test(f.ownerAddr) ? '(unbound)' : f.ownerAddr}, seq ${f.seq}, ` +
    `${f.captureLen} bytes in ${f.c} block(s), sha256 ${f.captureHash}`];
  if (!origin) {
    lines.push(`claims: made by manufacturer ${f.manufacturerAddr}, captured ${iso(f.ts)} (period ${f.m}) — NOT established: integrity only`);
    return lines;
  }
  const cycles = f.cycles ?? [];
  const links = cycles.map((c) => c.link).join(' → ');
  lines.push(`made by manufacturer ${f.manufacturerAddr} (trusted)`);
  lines.push(`signed in period ${f.m} of key cycle ${cycles.length} of ${cycles.length} (keyId ${f.keyId}); chain: ${links}`);
  if (f.period) {
    const from = validFrom !== null && validFrom > f.period.start ? validFrom : f.period.start;
    lines.push(`captured between ${iso(from)} and ${iso(f.period.end)} (header time ${iso(f.ts)}); not back-dated before ${iso(validFrom ?? 0n)}`);
  }
  if (f.saveHash) lines.push(`SaveHash: ${f.saveHash === 'anchored' ? 'in the anchored chain (--chain)' : f.saveHash === 'bundle-only' ? "consistent with the bundle's own chain (not anchored)" : 'link only (no chain)'}`);
  return lines;
}

function bundleVerdict(file: string, v: CaptureVerdict): FileVerdict {
  const checks: Check[] = v.checks.map((c) => ({ name: c.name, ok: c.ok, ...(c.detail !== undefined ? { detail: c.detail } : {}) }));
  const verdict = !v.valid ? 'INVALID' : v.origin ? 'VALID' : 'INTACT';
  return {
    file, kind: 'bundle', verdict, valid: v.valid, reason: v.reason, origin: v.origin, validFrom: uint(v.validFrom), checks,
    ...(v.facts && v.valid ? { summary: describe(v.facts, v.origin, v.validFrom) } : {}),
  };
}

/** The C2PA side of a photo verdict, for people and for --json. */
function c2paSummary(p: PhotoVerdict): NonNullable<FileVerdict['c2pa']> {
  const s = p.c2pa.signer;
  return {
    valid: p.c2pa.valid,
    trusted: p.c2paTrusted ?? null,
    status: p.c2pa.failures.map((f) => f.c2pa ?? f.code),
    signer: s ? `${s.commonName ?? s.subject}${s.organization ? `, ${s.organization}` : ''}` : null,
  };
}

function photoVerdict(file: string, p: PhotoVerdict): FileVerdict {
  const base = p.sealcam ? bundleVerdict(file, p.sealcam) : undefined;
  const c = c2paSummary(p);
  const trust = c.trusted === null ? 'trust not checked (no --trust)' : c.trusted ? 'trusted: the maker CA is in the trust list' : 'NOT trusted by the trust list';
  const c2paDetail = `${c.valid ? 'valid' : 'INVALID'}, ${trust}${c.signer ? `; signed by ${c.signer}` : ''}` +
    `${p.c2pa.failures.length > 0 ? `; ${p.c2pa.failures.map((f) => `${f.code}${f.c2pa ? ` (${f.c2pa})` : ''}`).join(', ')}` : ''}`;
  const checks: Check[] = [
    ...(base?.checks ?? []),
    { name: 'Content Credentials (C2PA)', ok: c.valid, detail: c2paDetail },
    ...(p.sameDevice !== undefined ? [{ name: 'credentials signed by the capturing device', ok: p.sameDevice }] : []),
    ...(p.reason !== null && p.reason.startsWith('PHOTO_') ? [{ name: 'sealcam assertion', ok: false, detail: p.reason }] : []),
  ];
  const verdict = !p.valid ? 'INVALID' : p.origin ? 'VALID' : 'INTACT';
  const summary = p.valid && p.sealcam?.facts ? [...describe(p.sealcam.facts, p.origin, p.validFrom), `Content Credentials: ${c2paDetail}`] : undefined;
  return {
    file, kind: 'photo', verdict, valid: p.valid, reason: p.reason, origin: p.origin, validFrom: uint(p.validFrom), checks,
    ...(summary ? { summary } : {}), c2pa: c,
  };
}

/** True when the file starts like a JPEG (SOI and a marker). */
function looksLikeJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function other(file: string, kind: FileVerdict['kind'], valid: boolean, reason: string | null, checks: Check[]): FileVerdict {
  return { file, kind, verdict: valid ? 'VALID' : 'INVALID', valid, reason, origin: false, validFrom: null, checks };
}

function recordVerdict(file: string, json: unknown): FileVerdict {
  try {
    const rec = recordFromJson(json);
    const f = verifyRecord(rec);
    const detail = f ? `${f.code}${f.detail ? ` (${String(f.detail)})` : ''}` : undefined;
    return other(file, 'record', f === null, f ? f.code : null,
      [{ name: 'format', ok: true }, { name: `${rec.kind} signature`, ok: f === null, ...(detail ? { detail } : {}) }]);
  } catch (e) {
    return other(file, 'record', false, isSealcamError(e) ? e.code : 'RECORD_FORMAT', [{ name: 'format', ok: false, detail: (e as Error).message }]);
  }
}

interface Run {
  readonly trust: ChainTrust | null;
  readonly minWitnesses: number;
  readonly saveHashChain: SaveHashChainData | null;
  readonly keyCache: KeyCache;
}

async function verifyOne(file: string, r: Run): Promise<{ v: FileVerdict; bundle?: CaptureVerdict }> {
  const bytes = await readFile(file);
  if (looksLikeJpeg(bytes)) {
    const photo = await verifyPhoto(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), {
      at: new Date(), trust: r.trust, requireOrigin: r.trust !== null, minWitnesses: r.minWitnesses, saveHashChain: r.saveHashChain, keyCache: r.keyCache,
    });
    return { v: photoVerdict(file, photo), ...(photo.sealcam ? { bundle: photo.sealcam } : {}) };
  }
  let json: unknown;
  try {
    json = parseJsonStrict(bytes.toString('utf8'));
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    const l = await ledgerVerifyFile(file);
    return { v: other(file, 'ledger', l.ok, l.ok ? null : (l.problems[0]?.code ?? 'LEDGER_FORMAT'), [{ name: 'ledger', ok: l.ok, detail: formatLedgerReport(l, file) }]) };
  }
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if ('header' in o && 'blocks' in o) {
      const bundle = verifyCaptureBundle(json, {
        trust: r.trust, requireOrigin: r.trust !== null, minWitnesses: r.minWitnesses, saveHashChain: r.saveHashChain, keyCache: r.keyCache,
      });
      return { v: bundleVerdict(file, bundle), bundle };
    }
    if ('record' in o) return { v: recordVerdict(file, o) };
  }
  return { v: other(file, 'unknown', false, 'BUNDLE_FORMAT', [{ name: 'format', ok: false, detail: 'not a bundle, record or ledger' }]) };
}

function printText(v: FileVerdict): void {
  const note = v.verdict === 'INTACT' ? ': integrity only — origin and capture time are NOT established (verified without --trust)' : v.reason ? `: ${v.reason}` : '';
  console.log(`${v.verdict.padEnd(7)} ${v.file} (${v.kind})${note}`);
  for (const s of v.summary ?? []) console.log(`  ${s}`);
  for (const c of v.checks) {
    const detail = c.detail ? `  ${c.detail.includes('\n') ? '\n      ' + c.detail.split('\n').join('\n      ') : c.detail}` : '';
    console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${detail}`);
  }
}

async function readConfigJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SealcamError('CLI_FILE', `cannot read the ${what} file ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parseJsonStrict(text);
  } catch (e) {
    throw new SealcamError('CLI_JSON', `the ${what} file ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** CLI entry. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    json: { type: 'boolean' }, chain: { type: 'string' }, trust: { type: 'string' }, 'integrity-only': { type: 'boolean' },
    'min-witnesses': { type: 'string' }, web: { type: 'boolean' }, port: { type: 'string' },
  }, USAGE);
  if (values['web'] === true) return runWeb(values, positionals);
  if (values['port'] !== undefined) throw new SealcamError('CLI_USAGE', `--port needs --web\n${USAGE}`);
  if (positionals.length === 0) throw new SealcamError('CLI_USAGE', `no FILE given\n${USAGE}`);
  const mw = values['min-witnesses'];
  if (mw !== undefined && (typeof mw !== 'string' || !/^[1-9][0-9]{0,2}$/.test(mw))) throw new SealcamError('CLI_USAGE', `--min-witnesses must be an integer in [1, 999]\n${USAGE}`);
  let trust: ChainTrust | null = null;
  if (typeof values['trust'] === 'string') {
    trust = readTrust(await readConfigJson(values['trust'], 'trust'));
    if (trust.manufacturers.length === 0) console.error('sealcam verify: the trust file names no manufacturer: no bundle can be VALID');
  }
  let saveHashChain: SaveHashChainData | null = null;
  if (typeof values['chain'] === 'string') {
    const json = await readConfigJson(values['chain'], 'SaveHash chain');
    try {
      saveHashChain = chainFromJson(json);
    } catch (e) {
      throw new SealcamError('CLI_JSON', `the SaveHash chain file ${values['chain']}: ${(e as Error).message}`, { cause: e });
    }
  }
  const r: Run = { trust, minWitnesses: mw === undefined ? 1 : Number(mw), saveHashChain, keyCache: new Map() };
  const results: { v: FileVerdict; bundle?: CaptureVerdict }[] = [];
  for (const file of positionals) {
    try {
      results.push(await verifyOne(file, r));
    } catch (e) {
      results.push({ v: other(file, 'unknown', false, isSealcamError(e) ? e.code : 'IO', [{ name: 'read', ok: false, detail: (e as Error).message }]) });
    }
  }
  // SCHEME.md §7: two successors of one keyId among the given bundles are a fork.
  for (const n of findForks(results.map((x) => (x.bundle?.origin === true || x.bundle?.reason === 'CHAIN_BACKDATED' ? x.bundle.chain : undefined)))) {
    const v = results[n]!.v;
    if (!v.valid) continue;
    v.verdict = 'INVALID';
    v.valid = false;
    v.reason = 'CHAIN_FORK';
    v.origin = false;
    v.validFrom = null;
    v.checks.push({ name: 'chain fork', ok: false, detail: 'CHAIN_FORK: another given bundle shows a second successor of a key cycle in this chain' });
  }
  const integrityOnly = values['integrity-only'] === true;
  let ok = true;
  for (const { v } of results) {
    ok &&= v.verdict === 'VALID' || (v.verdict === 'INTACT' && integrityOnly);
    if (values['json'] === true) console.log(JSON.stringify(v));
    else printText(v);
  }
  return ok ? 0 : 1;
}


/** `--web`: serve the page (with the checked trust file as /trust.json). */
async function runWeb(values: Record<string, unknown>, positionals: string[]): Promise<number> {
  const other = ['json', 'chain', 'integrity-only', 'min-witnesses'].filter((k) => values[k] !== undefined);
  if (positionals.length > 0 || other.length > 0) {
    throw new SealcamError('CLI_USAGE', `--web takes only --trust and --port (files are dropped on the page)\n${USAGE}`);
  }
  const port = values['port'] === undefined ? 0 : String(values['port']);
  if (typeof port === 'string' && (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535)) throw new SealcamError('CLI_USAGE', `--port must be an integer in [0, 65535]\n${USAGE}`);
  let trust: Uint8Array | undefined;
  if (typeof values['trust'] === 'string') {
    const t = readTrust(await readConfigJson(values['trust'], 'trust'));
    if (t.manufacturers.length === 0) console.error('sealcam verify: the trust file names no manufacturer: no photo can be Verified');
    trust = new TextEncoder().encode(JSON.stringify(trustToJson(t), null, 2) + '\n');
  }
  return serveUntilSignal({ port: Number(port), ...(trust ? { trust } : {}) });
}
