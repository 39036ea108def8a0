/**
 * JSON text to values, refusing what `JSON.parse` silently accepts: an object
 * with the same key twice (JSON.parse keeps the last one, so two readers could
 * see two different documents in one file). SCHEME.md Appendix: "no duplicate
 * keys: readers reject anything else".
 *
 * `JSON.parse` does the parsing (fast, exact RFC 8259 syntax); a second linear
 * scan over the same text finds objects that repeat a key (keys compared after
 * unescaping, so `"a"` and `"\u0061"` are the same key) and marks the parsed
 * object with a non-enumerable symbol, which {@link duplicateKeyOf} reads. The
 * strict readers (src/dstp/json-form.ts `readObject`) reject marked objects, so
 * the error is reported with the reader's own code and JSON path. Pure.
 */

const DUPLICATE = Symbol('sealcam.duplicateKey');

/** Deepest nesting accepted (objects and arrays): bounds the scan's stack. */
export const MAX_JSON_DEPTH = 256;

/** A JSON syntax or nesting problem (the caller maps it to its own coded error). */
export class JsonSyntaxError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JsonSyntaxError';
  }
}

/** The first key that `v` (a value from {@link parseJsonStrict}) repeated, or undefined. */
export function duplicateKeyOf(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  return (v as { [DUPLICATE]?: string })[DUPLICATE];
}

interface Frame {
  readonly isObject: boolean;
  readonly path: (string | number)[];
  keys: Set<string> | null;
  index: number;
  /** The key whose value is being read (objects), set once the ':' is passed. */
  pendingKey: string | null;
  duplicate: string | undefined;
}

/** Ends of the string literal starting at text[start] === '"' (index of the closing quote). */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) throw new JsonSyntaxError('unterminated string');
    let backslashes = 0;
    for (let j = q - 1; j > start && text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return q;
    i = q + 1;
  }
}

function keyValue(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}

/**
 * Parses JSON text like `JSON.parse`, marking every object that repeats a key.
 * @throws TypeError unless text is a string; JsonSyntaxError on a syntax error or nesting deeper than {@link MAX_JSON_DEPTH}
 */
export function parseJsonStrict(text: string): unknown {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (e) {
    throw new JsonSyntaxError(`invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  const marks: { path: (string | number)[]; key: string }[] = [];
  const stack: Frame[] = [];
  const top = (): Frame | undefined => stack[stack.length - 1];
  const childPath = (): (string | number)[] => {
    const f = top();
    if (f === undefined) return [];
    return [...f.path, f.isObject ? f.pendingKey! : f.index];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const f = top();
      // A string is a key when it sits in an object and no ':' has been passed for it.
      if (f?.isObject && f.pendingKey === null) {
        const k = keyValue(text, i, end);
        if (f.keys!.has(k)) f.duplicate ??= k;
        else f.keys!.add(k);
        f.pendingKey = k;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) throw new JsonSyntaxError(`nesting deeper than ${MAX_JSON_DEPTH}`);
      stack.push({ isObject: c === 0x7b, path: childPath(), keys: c === 0x7b ? new Set() : null, index: 0, pendingKey: null, duplicate: undefined });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      const f = stack.pop()!;
      if (f.duplicate !== undefined) marks.push({ path: f.path, key: f.duplicate });
    } else if (c === 0x2c /* , */) {
      const f = top()!;
      if (f.isObject) f.pendingKey = null;
      else f.index++;
    }
  }
  for (const m of marks) {
    let node: unknown = value;
    for (const p of m.path) {
      node = typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[p] : undefined;
    }
    if (typeof node === 'object' && node !== null && !Array.isArray(node) && duplicateKeyOf(node) === undefined) {
      Object.defineProperty(node, DUPLICATE, { value: m.key, enumerable: false });
    }
  }
  return value;
}
