/** Throwaway self-signed P-256 certificates for TLS tests (openssl CLI, generated at test time). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDirSync, tempDirSync } from '../helpers/temp.js';

export interface TestCert {
  cert: string;
  key: string;
}

/** Generates a fresh self-signed certificate and key (PEM), valid for one day. */
export function makeCert(cn = 'sealcam-test'): TestCert {
  const dir = tempDirSync('sealcam-cert-');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', `/CN=${cn}`,
    ], { stdio: 'pipe' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    removeDirSync(dir);
  }
}

/** The `openssl x509 -fingerprint -sha256` form (colon-separated upper-case hex) of a PEM certificate. */
export function opensslFingerprint(certPem: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: certPem }).toString();
  return out.trim().split('=')[1]!;
}
