/**
 * The verification page (docs/VERIFY-WEB.md): files dropped or picked here are
 * verified in the browser by the same code as `sealcam verify` —
 * verifyCaptureBundle for bundles, verifyPhoto for JPEGs with Content
 * Credentials — against a trust list loaded from a file or a same-origin URL.
 * This module only reads files, renders verdicts and loads the trust list;
 * nothing leaves the page (the CSP allows connections to its own origin only,
 * and only when the user loads a trust list by URL).
 */
import { readTrust, type ChainTrust } from '../src/chain/json.js';
import type { KeyCache } from '../src/chain/check.js';
import type { KeyChain } from '../src/chain/links.js';
import { addressOf } from '../src/crypto/ecdsa.js';
import { CONTENT_JPEG, decodeHeader } from '../src/dstp/header.js';
import { isTrusted } from '../src/ledger/trust.js';
import { fromHex, toHex } from '../src/platform/bytes.js';
import { parseJsonStrict } from '../src/platform/strict-json.js';
import { parseSaveHashField } from '../src/ledger/savehash/json.js';
import { findForks, verifyCaptureBundle, type CaptureFacts, type CaptureVerdict } from '../src/verify/capture.js';
import { explainReason } from '../src/verify/explain.js';
import { verifyPhoto, type PhotoVerdict } from '../src/verify/photo.js';

type Verdict = 'verified' | 'intact' | 'invalid';

interface Result {
  readonly name: string;
  readonly size: number;
  readonly kind: 'bundle' | 'photo' | 'other';
  verdict: Verdict;
  reason: string | null;
  readonly capture?: CaptureVerdict;
  readonly photo?: PhotoVerdict;
  readonly bundleJson?: Record<string, unknown>;
  readonly image?: Uint8Array;
  readonly ms: number;
}

const state: { trust: ChainTrust | null; trustFrom: string; files: File[] } = { trust: null, trustFrom: '', files: [] };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string | null | undefined)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function when(ms: bigint): string {
  return ms <= 8_640_000_000_000_000n ? new Date(Number(ms)).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, ' UTC') : `${ms} ms`;
}

const addr = (hex: string): string => `0x${hex}`;

/** The page's own verdict words (SCHEME.md §7: integrity only is never shown as origin). */
const TITLE: Record<Verdict, string> = { verified: 'Verified', intact: 'Intact but unverified origin', invalid: 'Not valid' };

function verdictOf(valid: boolean, origin: boolean): Verdict {
  return !valid ? 'invalid' : origin ? 'verified' : 'intact';
}

async function verifyFile(f: File, cache: KeyCache): Promise<Result> {
  const bytes = new Uint8Array(await f.arrayBuffer());
  const started = performance.now();
  const base = { name: f.name, size: bytes.length };
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const photo = await verifyPhoto(bytes, { trust: state.trust, at: new Date(), keyCache: cache });
    return { ...base, kind: 'photo', verdict: verdictOf(photo.valid, photo.origin), reason: photo.reason, photo, ...(photo.sealcam ? { capture: photo.sealcam } : {}), image: bytes, ms: performance.now() - started };
  }
  let json: unknown;
  try {
    json = parseJsonStrict(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return { ...base, kind: 'other', verdict: 'invalid', reason: null, ms: performance.now() - started };
  }
  const o = json as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !('header' in o) || !('blocks' in o)) {
    return { ...base, kind: 'other', verdict: 'invalid', reason: null, ms: performance.now() - started };
  }
  const capture = verifyCaptureBundle(json, { trust: state.trust, keyCache: cache });
  let image: Uint8Array | undefined;
  if (capture.valid && capture.capture && decodeHeader(fromHex(o.header as string)).contentType === CONTENT_JPEG) image = capture.capture;
  return { ...base, kind: 'bundle', verdict: verdictOf(capture.valid, capture.origin), reason: capture.reason, capture, bundleJson: o, ...(image ? { image } : {}), ms: performance.now() - started };
}

function sentence(r: Result): string {
  if (r.kind === 'other') return 'This file is neither a JPEG nor a sealcam capture bundle: there is nothing to verify.';
  if (r.verdict === 'invalid') return explainReason(r.reason ?? 'BUNDLE_FORMAT');
  const f = r.capture?.facts;
  if (r.verdict === 'verified' && f) {
    const [from, to] = window_(f, r.capture?.validFrom ?? null);
    return `Taken by a camera of a trusted maker between ${when(from)} and ${when(to)}, and not changed since.`;
  }
  if (!state.trust) return 'The picture is exactly what the camera signed, but no trust list is loaded: its maker and capture time are not established.';
  if (state.trust.manufacturers.length === 0) return 'The picture is exactly what the camera signed, but the trust list names no maker: its maker and capture time are not established.';
  return 'The picture is exactly what the camera signed, but it carries no key chain: its maker and capture time are not established.';
}

/** The capture window: the period, not before the cycle's validFrom. */
function window_(f: CaptureFacts, validFrom: bigint | null): [bigint, bigint] {
  if (!f.period) return [f.ts, f.ts];
  const from = validFrom !== null && validFrom > f.period.start ? validFrom : f.period.start;
  return [from, f.period.end];
}

function pill(text: string, kind: 'ok' | 'bad' | 'warn'): HTMLElement {
  return el('span', { class: `pill ${kind}` }, text);
}

function row(dl: HTMLElement, label: string, ...value: (Node | string)[]): void {
  dl.append(el('dt', {}, label), el('dd', {}, ...value));
}

function chainList(chain: KeyChain, f: CaptureFacts): HTMLElement {
  const ol = el('ol', { class: 'chain' });
  chain.keys.forEach((k, j) => {
    const checked = f.cycles?.[j];
    const from = checked ? ` — counts from ${when(checked.validFrom)}` : '';
    const cycle = checked ? `, runs ${when(checked.t0)} – ${when(checked.end - 1n)}` : '';
    if (k.link === null) {
      ol.append(el('li', {}, `C${j + 1}: factory — pinned by the maker at ${when(chain.factory.issuedAt)}${cycle}${from}`));
    } else if (k.link.kind === 'endorse') {
      ol.append(el('li', {}, `C${j + 1}: endorsed by C${j} (forward-secure signature)${cycle}${from}`));
    } else {
      const acks = el('ul', {});
      for (const a of k.link.acks) {
        let who = '(invalid key)';
        try {
          who = addr(toHex(addressOf(a.suite, a.serverPublicKey)));
        } catch { /* shown as invalid */ }
        const trusted = state.trust !== null && isTrusted(state.trust.witnesses, a.suite, a.serverPublicKey);
        acks.append(el('li', {}, `witness ${who} saw it at ${when(a.seenAt)} `, trusted ? pill('trusted witness', 'ok') : pill('not on the trust list', 'warn')));
      }
      ol.append(el('li', {}, `C${j + 1}: restarted (the previous cycle had ended)${cycle}${from}; storage acknowledgements:`, acks));
    }
  });
  return ol;
}

function captureDetails(dl: HTMLElement, r: Result, v: CaptureVerdict): void {
  const f = v.facts;
  if (!f) return;
  const established = r.verdict === 'verified';
  row(dl, 'Maker', el('span', { class: 'mono' }, addr(f.manufacturerAddr)), ' ', established ? pill('on your trust list', 'ok') : pill('not established', 'warn'));
  row(dl, 'Device', el('span', { class: 'mono' }, addr(f.deviceAddr)));
  row(dl, 'Owner binding', /^0+$/.test(f.ownerAddr) ? 'not bound to an owner' : el('span', { class: 'mono' }, addr(f.ownerAddr)));
  if (established && f.period) {
    const [from, to] = window_(f, v.validFrom);
    row(dl, 'Captured', `between ${when(from)} and ${when(to)} (period ${f.m}: ${when(f.period.start)} – ${when(f.period.end)}; not before ${when(v.validFrom ?? 0n)})`);
  } else {
    row(dl, 'Claimed time', `${when(f.ts)} (period ${f.m}) — not established`);
  }
  row(dl, 'Capture', `${f.captureLen} bytes in ${f.c} block(s), sequence number ${f.seq}`);
  row(dl, 'SHA-256', el('span', { class: 'mono' }, f.captureHash));
  const cycles = f.cycles ?? [];
  row(dl, 'Key cycle', el('span', { class: 'mono' }, f.keyId), established && cycles.length > 0 ? ` (cycle ${cycles.length} of the chain)` : '');
  if (v.chain) row(dl, 'Key chain', chainList(v.chain, f));
  else row(dl, 'Key chain', 'none in this file');
  const sh = (r.bundleJson ?? (r.photo?.c2pa.content?.sealcam as { bundle?: Record<string, unknown> } | undefined)?.bundle)?.saveHash;
  if (sh !== undefined) {
    try {
      const { inclusion } = parseSaveHashField(sh);
      const kind = f.saveHash === 'anchored' ? 'in the anchored chain' : f.saveHash === 'bundle-only' ? "consistent with the receiver's own chain (not anchored)" : 'link only';
      row(dl, 'SaveHash anchor', `batch ${inclusion.k}, item ${inclusion.index + 1} of ${inclusion.size}: ${kind} `, el('span', { class: 'mono' }, toHex(inclusion.hash)));
    } catch {
      row(dl, 'SaveHash anchor', 'malformed');
    }
  }
}

function photoDetails(dl: HTMLElement, p: PhotoVerdict): void {
  const c = p.c2pa;
  const status = el('span', {}, c.valid ? pill('valid', 'ok') : pill('not valid', 'bad'), ' ',
    p.c2paTrusted === true ? pill('signed under a trusted maker', 'ok') : p.c2paTrusted === false ? pill('not under a trusted maker', 'warn') : pill('trust not checked', 'warn'));
  row(dl, 'Content Credentials', status);
  if (c.signer) {
    row(dl, 'Signed by', `${c.signer.commonName ?? c.signer.subject}${c.signer.organization ? ` (${c.signer.organization})` : ''}, issued by ${c.signer.issuer}`,
      ' ', p.sameDevice === true ? pill('the camera that took it', 'ok') : p.sameDevice === false ? pill('another key than the camera', 'bad') : '');
  }
  const failures = c.failures.filter((x) => x.code !== 'C2PA_UNTRUSTED');
  if (failures.length > 0) {
    const ul = el('ul', { class: 'checks' });
    for (const x of failures) ul.append(el('li', {}, el('code', {}, x.code), x.c2pa ? ` (${x.c2pa})` : '', `: ${explainReason(x.code)}`));
    row(dl, 'C2PA failures', ul);
  }
}

function card(r: Result): HTMLElement {
  const card = el('article', { class: `card ${r.verdict}`, 'data-verdict': r.verdict, 'data-reason': r.reason ?? '', 'data-verify-ms': r.ms.toFixed(3) });
  const text = el('div', {},
    el('p', { class: 'file' }, `${r.name} — ${r.kind === 'photo' ? 'JPEG' : r.kind === 'bundle' ? 'capture bundle' : 'file'}, ${r.size} bytes`),
    el('p', { class: 'verdict' }, TITLE[r.verdict]),
    el('p', { class: 'reason' }, sentence(r)),
    r.reason ? el('p', {}, el('code', {}, r.reason)) : null);
  const head = el('div', { class: 'head' });
  if (r.image) {
    const img = el('img', { alt: `the picture of ${r.name}` }) as HTMLImageElement;
    img.src = URL.createObjectURL(new Blob([new Uint8Array(r.image)], { type: 'image/jpeg' }));
    head.append(img);
  }
  head.append(text);
  card.append(head);
  const dl = el('dl', {});
  if (r.capture) captureDetails(dl, r, r.capture);
  if (r.photo) photoDetails(dl, r.photo);
  const details = el('div', { class: 'details' }, dl);
  const checks = r.capture?.checks ?? [];
  if (checks.length > 0) {
    const ul = el('ul', { class: 'checks' });
    for (const c of checks) ul.append(el('li', {}, c.ok ? '✓ ' : '✗ ', c.name, c.detail ? ` — ${c.detail}` : ''));
    details.append(el('details', { class: 'checks' }, el('summary', {}, `${checks.length} checks`), ul));
  }
  card.append(details);
  return card;
}

async function verifyAll(): Promise<void> {
  const out = $('results');
  out.dataset['state'] = 'busy';
  for (const img of out.querySelectorAll('img')) URL.revokeObjectURL(img.src);
  out.replaceChildren();
  const cache: KeyCache = new Map();
  const results: Result[] = [];
  for (const f of state.files) results.push(await verifyFile(f, cache));
  // SCHEME.md §7: two successors of one keyId among the given files are a fork (as `sealcam verify` does).
  const chains = results.map((r) => (r.capture && (r.capture.origin || r.capture.reason === 'CHAIN_BACKDATED') ? r.capture.chain : undefined));
  for (const n of findForks(chains)) {
    const r = results[n]!;
    if (r.verdict === 'invalid') continue;
    r.verdict = 'invalid';
    r.reason = 'CHAIN_FORK';
  }
  out.append(...results.map(card));
  out.dataset['count'] = String(results.length);
  out.dataset['state'] = 'done';
}

function setTrust(trust: ChainTrust | null, from: string): void {
  state.trust = trust;
  state.trustFrom = from;
  const status = $('trust-status');
  status.dataset['loaded'] = trust ? 'yes' : 'no';
  status.textContent = trust
    ? `Trust list from ${from}: ${trust.manufacturers.length} maker(s), ${trust.witnesses.length} witness(es).`
    : 'No trust list loaded: a photo can be shown intact, but its maker and capture time cannot be established.';
  if (state.files.length > 0) void verifyAll();
}

function trustError(from: string, e: unknown): void {
  const status = $('trust-status');
  status.dataset['loaded'] = 'error';
  status.textContent = `Could not load the trust list from ${from}: ${e instanceof Error ? e.message : String(e)}`;
}

function loadTrustText(text: string, from: string): void {
  try {
    setTrust(readTrust(parseJsonStrict(text)), from);
  } catch (e) {
    trustError(from, e);
  }
}

/** Loads a trust list from a URL on this page's own origin (the CSP allows no other). */
async function loadTrustUrl(input: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(input, location.href);
  } catch {
    trustError(input, new Error('not a URL'));
    return;
  }
  if (url.origin !== location.origin) {
    trustError(url.href, new Error(`only URLs on this site (${location.origin}) can be loaded; download the file and load it from disk`));
    return;
  }
  try {
    const res = await fetch(url, { credentials: 'omit', cache: 'no-store', redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    loadTrustText(await res.text(), url.pathname);
  } catch (e) {
    trustError(url.pathname, e);
  }
}

function start(): void {
  const input = $<HTMLInputElement>('file');
  input.addEventListener('change', () => {
    state.files = [...(input.files ?? [])];
    input.value = ''; // picking the same files again verifies them again
    void verifyAll();
  });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    state.files = [...(e.dataTransfer?.files ?? [])];
    void verifyAll();
  });
  const trustFile = $<HTMLInputElement>('trust-file');
  trustFile.addEventListener('change', () => {
    const f = trustFile.files?.[0];
    if (f) void f.text().then((t) => loadTrustText(t, f.name));
  });
  $('trust-url-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void loadTrustUrl($<HTMLInputElement>('trust-url').value.trim());
  });
  $('trust-clear').addEventListener('click', () => setTrust(null, ''));
  // `sealcam verify --web --trust FILE` opens the page as ?trust=trust.json: the user asked for it by opening that URL.
  const preset = new URLSearchParams(location.search).get('trust');
  if (preset) {
    $<HTMLInputElement>('trust-url').value = preset;
    void loadTrustUrl(preset);
  }
  document.body.dataset['ready'] = 'yes';
}

start();
