/**
 * The code blocks of a Markdown file and what the README test does with each (pure).
 *
 * A block is classified by the one-line HTML comment right above it (invisible on GitHub):
 *
 * - `<!-- not run: why -->` (or `not run by the README test: why`): skipped, with its reason;
 * - `<!-- file: path -->`: written to `path` in the test project, not run by itself;
 * - `<!-- file: path; then: command -->`: written, then `command` runs in the project and
 *   must exit 0 (the files written since the last `then:` are removed afterwards);
 * - `<!-- output -->`: the expected output of the block run just before it;
 * - `<!-- shape: lease -->`: its keys must be exactly a lease's keys.
 *
 * Without a comment, the language decides: `sh` runs in bash (`set -euo pipefail`), `js`
 * runs in node (as ESM when it uses `import`/`await`), `json` and `yaml` must parse.
 */

/** What to do with a block. */
export type Action =
  | { kind: 'skip'; reason: string }
  | { kind: 'file'; path: string; command: string | undefined }
  | { kind: 'output' }
  | { kind: 'shape'; of: 'lease' }
  | { kind: 'sh' | 'js' | 'json' | 'yaml' };

/** One fenced code block. */
export interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  action: Action;
}

const FENCE = /^```(\S*)\s*$/;
const COMMENT = /^<!--\s*(.*?)\s*-->$/;

/** Reads the directive comment above a block into an action; throws on an unknown one. */
function actionOf(directive: string | undefined, lang: string, where: string): Action {
  if (directive !== undefined) {
    const notRun = /^not run(?: by the README test)?:\s*(.+)$/.exec(directive);
    if (notRun) return { kind: 'skip', reason: notRun[1]! };
    const file = /^file:\s*([^;]+?)\s*(?:;\s*then:\s*(.+))?$/.exec(directive);
    if (file) return { kind: 'file', path: file[1]!, command: file[2] };
    if (directive === 'output') return { kind: 'output' };
    if (directive === 'shape: lease') return { kind: 'shape', of: 'lease' };
  }
  if (lang === 'sh' || lang === 'js' || lang === 'json' || lang === 'yaml') return { kind: lang };
  throw new Error(`${where}: a \`\`\`${lang} block needs a comment saying what the README test does with it (see test/readme/blocks.ts)`);
}

/**
 * Every fenced block of `markdown`, with its action.
 *
 * @example
 * blocks('<!-- not run: needs Playwright -->\n```ts\nx\n```\n', 'README.md')[0].action; // { kind: 'skip', reason: 'needs Playwright' }
 */
export function blocks(markdown: string, file: string): Block[] {
  const lines = markdown.split('\n');
  const found: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = FENCE.exec(lines[index]!);
    if (!open) continue;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && lines[index] !== '```'; index++) body.push(lines[index]!);
    if (index === lines.length) throw new Error(`${file}:${start + 1}: the code block is never closed`);
    // The comment must sit directly above the fence (a blank line between is allowed).
    let above = start - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    const directive = above >= 0 ? COMMENT.exec(lines[above]!.trim())?.[1] : undefined;
    const lang = open[1] ?? '';
    found.push({ line: start + 1, lang, code: `${body.join('\n')}\n`, action: actionOf(directive, lang, `${file}:${start + 1}`) });
  }
  return found;
}
