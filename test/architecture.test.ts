// docs/ARCHITECTURE.md stays true of src/: every folder imports only folders
// listed above it in the folder table, every folder is listed, and no import
// cycle exists (a strongly-connected-components pass over every relative
// import of src/, type imports and dynamic imports included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The src/ files a file imports (relative specifiers; `.js` names resolve to the `.ts` source). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = resolve(dirname(file), m[1]!);
    const ts = target.replace(/\.js$/, '.ts');
    const hit = [ts, target, join(target, 'index.ts')].find((p) => p.startsWith(SRC + '/') && existsSync(p) && statSync(p).isFile());
    if (hit) out.push(hit);
  }
  return out;
}

const files = walk(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const folderOf = (f: string): string => relative(SRC, f).split('/')[0]!;

test('every src/ folder is in the table of docs/ARCHITECTURE.md and imports only folders above it', () => {
  const md = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const order = [...md.matchAll(/^\| `([a-z0-9-]+)\/` \|/gm)].map((m) => m[1]!);
  const rank = new Map(order.map((f, i) => [f, i]));
  const folders = new Set(files.map(folderOf).filter((f) => !f.endsWith('.ts')));
  assert.deepEqual([...folders].filter((f) => !rank.has(f)), [], 'folders missing from the table');
  const upward: string[] = [];
  for (const [f, deps] of graph) {
    const a = folderOf(f);
    if (!rank.has(a)) continue;
    for (const d of deps) {
      const b = folderOf(d);
      if (rank.has(b) && rank.get(b)! > rank.get(a)!) upward.push(`${relative(ROOT, f)} → ${relative(ROOT, d)}`);
    }
  }
  assert.deepEqual(upward, [], 'imports of a folder listed later');
});

test('no import cycle in src/', () => {
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(relative(ROOT, w));
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(comp.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});
