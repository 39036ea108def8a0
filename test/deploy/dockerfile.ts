/**
 * A small reader of the repository's Dockerfile for the Docker-equivalent
 * install test: stages, their WORKDIR / COPY instructions and the RUN steps
 * marked with a preceding `# test/deploy: <name>` comment, with line
 * continuations joined, so the test replays exactly what the image build runs.
 */
import { readFileSync } from 'node:fs';

/** One instruction. */
export interface Instruction {
  readonly op: string;
  readonly args: string;
  /** The `test/deploy: <name>` marker of the comment block before it, if any. */
  readonly marker: string | null;
}

/** A build stage. */
export interface Stage {
  readonly name: string;
  readonly instructions: Instruction[];
}

/** Parses the Dockerfile at `path` into stages. */
export function readDockerfile(path: string): Stage[] {
  const stages: Stage[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  let marker: string | null = null;
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k]!.trim();
    if (line === '') {
      marker = null;
      continue;
    }
    if (line.startsWith('#')) {
      const m = /test\/deploy: ([a-z-]+)/.exec(line);
      if (m) marker = m[1]!;
      continue;
    }
    while (line.endsWith('\\') && k + 1 < lines.length) line = line.slice(0, -1).trimEnd() + ' ' + lines[++k]!.trim();
    const sp = line.indexOf(' ');
    const op = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const args = sp < 0 ? '' : line.slice(sp + 1).trim();
    if (op === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ op, args, marker });
    }
    marker = null;
  }
  return stages;
}

/** The stage called `name`. @throws Error when absent */
export function stage(stages: Stage[], name: string): Stage {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`Dockerfile has no stage ${name}`);
  return s;
}

/** The RUN command marked `name` in a stage. @throws Error when absent */
export function markedRun(s: Stage, name: string): string {
  const i = s.instructions.find((x) => x.op === 'RUN' && x.marker === name);
  if (!i) throw new Error(`stage ${s.name} has no RUN marked "test/deploy: ${name}"`);
  return i.args;
}

/** `COPY src... dest` instructions of a stage that copy from the build context (not --from). */
export function contextCopies(s: Stage): { sources: string[]; dest: string }[] {
  return s.instructions.filter((i) => i.op === 'COPY' && !i.args.startsWith('--')).map((i) => {
    const parts = i.args.split(/\s+/);
    return { sources: parts.slice(0, -1), dest: parts.at(-1)! };
  });
}
