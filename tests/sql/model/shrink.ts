// Delta debugging (Zeller's ddmin) of a failing step list: the smallest sub-list, in the
// original order, that still fails, found by replaying candidates. Pure; the replay is the
// caller's predicate.

/** A 1-minimal failing sub-list of `items` (removing any one item makes it pass), or the
 * smallest found before `deadline` (ms since the epoch). `fails(items)` must be true. */
export async function ddmin<T>(
  items: T[],
  fails: (candidate: T[]) => Promise<boolean>,
  deadline = Infinity,
): Promise<T[]> {
  let current = items;
  let n = 2;
  while (current.length >= 2 && Date.now() < deadline) {
    const chunks = split(current, n);
    let reduced = false;
    for (const chunk of chunks) {
      if (Date.now() >= deadline) return current;
      if (await fails(chunk)) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && n > 2) {
      for (let i = 0; i < chunks.length; i++) {
        if (Date.now() >= deadline) return current;
        const complement = chunks.filter((_, j) => j !== i).flat();
        if (await fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return current;
}

/** `items` in `n` contiguous chunks of nearly equal size. */
export function split<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = start + Math.floor((items.length - start) / (n - i));
    if (end > start) out.push(items.slice(start, end));
    start = end;
  }
  return out;
}
