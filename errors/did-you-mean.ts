/**
 * The nearest of some known names to one that was not found, for "did you mean" hints in
 * errors (connector files, tool names, connector ids).
 */
/** The closest candidate, ignoring case, when it is close enough to be a typo. */
export function didYouMean(wanted: string, candidates: Iterable<string>): string | undefined {
  const target = wanted.toLowerCase();
  const limit = Math.max(1, Math.floor(target.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    if (Math.abs(lower.length - target.length) >= bestDistance) continue;
    const distance = editDistance(target, lower, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `cap`) once it cannot be below `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, current[j]);
    }
    if (rowMin >= cap) return cap;
    previous = current;
  }
  return previous[b.length];
}

/** The nearest few names, closest first, within the same distance rule as didYouMean. */
export function nearestNames(wanted: string, candidates: Iterable<string>, most = 3): string[] {
  const target = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(target.length / 3));
  const scored: Array<[number, string]> = [];
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase();
    const distance = lower.includes(target) || target.includes(lower) ? 0.5 : editDistance(target, lower, limit + 1);
    if (distance <= limit) scored.push([distance, candidate]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .slice(0, most)
    .map(([, name]) => name);
}
