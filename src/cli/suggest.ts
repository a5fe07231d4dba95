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
 * Levenshtein distance: insertions, deletions and substitutions.
 *
 * @example
 * editDistance('reserv', 'reserve'); // 1
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
