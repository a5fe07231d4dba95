/**
 * "Did you mean …?" for typos on the command line: the known word closest to what was
 * typed, by edit distance, so that a usage error is one line that says what to type.
 */

/**
 * The known word closest to `typed`: a unique prefix match, else the nearest within edit
 * distance 2 (1 for words under six letters, where 2 matches too much: `--nope` is not
 * `--home`);
 * `undefined` when nothing is that close.
 *
 * @example
 * closest('--tll', ['--ttl', '--json']); // '--ttl'
 */
export function closest(typed: string, known: readonly string[]): string | undefined {
  if (typed === '') return undefined;
  const prefixed = known.filter((word) => word.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  const limit = typed.replace(/^-+/, '').length < 6 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const word of known) {
    const distance = editDistance(typed, word);
    if (distance < bestDistance) {
      best = word;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of two adjacent
 * characters (optimal string alignment): `--prot` is one edit from `--port`, as a typo is.
 *
 * @example
 * editDistance('reserv', 'reserve'); // 1
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const above = rows[i - 1]!;
      let best = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
