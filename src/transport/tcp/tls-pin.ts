/**
 * Certificate pinning for the LAN TLS transport: peers are identified by the
 * SHA-256 fingerprint of their DER certificate (self-signed certificates are
 * expected; no CA is involved). Comparisons are constant time and walk every pin.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { equalBytes } from '../../platform/bytes.js';
import { transportError } from '../errors.js';

/**
 * Parses a SHA-256 fingerprint written as 64 hex digits, optionally separated
 * by colons (the form `openssl x509 -fingerprint -sha256` prints), any case.
 * @throws TransportError TLS_CONFIG for anything else.
 */
export function parseFingerprint(s: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError('fingerprint must be a string');
  const hex = s.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw transportError('TLS_CONFIG', 'fingerprint must be 32 bytes of hex (colons allowed)');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Normalises pins given as 32-byte arrays or fingerprint strings. @throws TransportError TLS_CONFIG. */
export function normalizePins(pins: readonly (Uint8Array | string)[] | undefined, what: string): Uint8Array[] {
  if (pins === undefined) return [];
  if (!Array.isArray(pins)) throw new TypeError(`${what} must be an array`);
  return pins.map((p) => {
    if (typeof p === 'string') return parseFingerprint(p);
    if (p instanceof Uint8Array && p.length === 32) return Uint8Array.from(p);
    throw transportError('TLS_CONFIG', `${what} entries must be 32-byte SHA-256 fingerprints`);
  });
}

/**
 * SHA-256 fingerprint of a certificate given as PEM text or DER bytes.
 * @throws TransportError TLS_CONFIG if it does not parse.
 */
export function certFingerprint(cert: string | Uint8Array): Uint8Array {
  let der: Uint8Array;
  try {
    der = new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert)).raw;
  } catch (e) {
    throw transportError('TLS_CONFIG', 'certificate does not parse', e);
  }
  return new Uint8Array(createHash('sha256').update(der).digest());
}

/** True when `fingerprint` equals one of `pins` (constant time per pin; every pin is compared). */
export function matchesPin(fingerprint: Uint8Array, pins: readonly Uint8Array[]): boolean {
  let ok = false;
  for (const p of pins) ok = equalBytes(fingerprint, p) || ok;
  return ok;
}

/** SHA-256 of the peer's DER certificate on a TLS socket, or undefined if it sent none. */
export function peerFingerprint(socket: TLSSocket): Uint8Array | undefined {
  const cert = socket.getPeerX509Certificate();
  if (!cert) return undefined;
  return new Uint8Array(createHash('sha256').update(cert.raw).digest());
}
