/**
 * Small helpers for the words the tool prints: counts with the right plural, and the names close
 * to a mistyped one ("did you mean shop-web?"). One place, so every message says it the same way.
 */

/** "1 task", "2 tasks", "0 tasks"; `many` for irregular plurals ("1 policy", "2 policies"). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The noun alone, agreeing with `count`: "instance" or "instances". */
export function noun(count: number, one: string, many = `${one}s`): string {
  return count === 1 ? one : many;
}

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), so
 * "shop-wbe" is one edit from "shop-web". Case-insensitive: "DesiredCount" is a typo of "desiredCount".
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * The candidates close enough to `name` to be what was meant — up to one edit for short names, one
 * per three characters for longer ones (at most three), or a name it begins (from four letters:
 * "onDemandBase" means onDemandBaseCapacity) — and of those only the closest (at most `limit`, in
 * alphabetical order): "vpcCird" means vpcCidr, not also vpcId.
 */
export function closeNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const allowed = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  const begins = (c: string): boolean => name.length >= 4 && c.toLowerCase().startsWith(name.toLowerCase());
  const near = [...new Set(candidates)]
    .filter((c) => c !== name)
    .map((c) => ({ c, d: Math.min(editDistance(name, c), begins(c) ? allowed : Infinity) }))
    .filter((x) => x.d <= allowed);
  const best = Math.min(...near.map((x) => x.d));
  return near
    .filter((x) => x.d === best)
    .map((x) => x.c)
    .sort((a, b) => a.localeCompare(b))
    .slice(0, limit);
}

/** "a", "a or b", "a, b or c": for "did you mean …?". */
export function oneOf(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
