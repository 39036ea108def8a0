/**
 * The commands of docs/DEPLOY.md, for the systemd deploy test to run them as
 * written: every line of a ```sh block that starts with a machine prompt
 * (`pi$`, `factory$`, `owner$`, `store$`), with its continuation lines (a
 * line ending in a backslash continues on the next), in document order, with
 * the number of the section (`## N. Title`) it belongs to.
 */
import { readFileSync } from 'node:fs';

/** Who runs a command. */
export type Machine = 'pi' | 'factory' | 'owner' | 'store';

/** One documented command. */
export interface DocCommand {
  readonly section: number;
  readonly machine: Machine;
  /** The command text after the prompt (continuation lines joined with newlines, as typed). */
  readonly text: string;
}

/** Reads the commands of the markdown file at `path`. @throws Error when a sh block is not closed */
export function readDeployDoc(path: string): DocCommand[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: DocCommand[] = [];
  let section = 0;
  let inSh = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k]!;
    if (!inSh) {
      const h = /^## (\d+)\. /.exec(line);
      if (h) section = Number(h[1]);
      if (/^```sh\s*$/.test(line)) inSh = true;
      continue;
    }
    if (/^```\s*$/.test(line)) {
      inSh = false;
      continue;
    }
    const m = /^(pi|factory|owner|store)\$\s+(.*)$/.exec(line);
    if (!m) continue;
    let text = m[2]!;
    while (/\\\s*$/.test(text.split('\n').at(-1)!.replace(/\s+#.*$/, '')) && k + 1 < lines.length) text += `\n${lines[++k]!}`;
    out.push({ section, machine: m[1] as Machine, text });
  }
  if (inSh) throw new Error(`${path}: a \`\`\`sh block is not closed`);
  return out;
}
