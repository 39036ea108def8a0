/**
 * Reason codes of the key chain check (SCHEME.md §7 v1.1), in check order,
 * plus CHAIN_MISSING (a verifier that requires origin got a bundle without a
 * chain) and CHAIN_FORK (several bundles show two successors of one keyId).
 */
export const CHAIN_REASONS = [
  'CHAIN_LENGTH', 'CHAIN_MAKER_UNTRUSTED', 'CHAIN_FACTORY_SIG', 'CHAIN_FIRST_KEY', 'CHAIN_KEY_INVALID', 'CHAIN_DEVICE',
  'CHAIN_ENDORSE_SIG', 'CHAIN_RESTART_SIG', 'CHAIN_WITNESS', 'CHAIN_RESTART_EARLY', 'CHAIN_KEYID', 'CHAIN_BACKDATED',
  'CHAIN_MISSING', 'CHAIN_FORK',
] as const;

/** A key chain reason code. */
export type ChainReason = (typeof CHAIN_REASONS)[number];

const SET: ReadonlySet<string> = new Set(CHAIN_REASONS);

/** True when `v` is a chain reason code. */
export function isChainReason(v: unknown): v is ChainReason {
  return typeof v === 'string' && SET.has(v);
}
