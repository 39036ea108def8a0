/**
 * One error base for the whole project (STYLE.md §4): every failure that can
 * reach a caller carries a stable machine-readable `code` and, when it wraps
 * another failure, a `cause`.
 */
export class SealcamError<C extends string = string> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SealcamError';
    this.code = code;
  }
}

/** True when `e` is a SealcamError (optionally with one of `codes`). */
export function isSealcamError(e: unknown, ...codes: string[]): e is SealcamError {
  return e instanceof SealcamError && (codes.length === 0 || codes.includes(e.code));
}
