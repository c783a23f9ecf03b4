import type { CostChange, CostReport } from './estimate.js';

/** Money as the review, status and scale print it (USD; estimates, said once per block). */

/** `$30.37` (cents), `−$4.67` for a negative amount. */
export const usd = (n: number): string => `${n < 0 ? '−' : ''}$${Math.abs(n).toFixed(2)}`;
/** `+$12.00/month`, `−$4.67/month`. */
export const monthlyDelta = (n: number): string => `${n < 0 ? '−' : '+'}$${Math.abs(n).toFixed(2)}/month`;
/** A unit price: at least two decimals, up to six where it has them (`$0.0208`, `$0.005`, `$0.08`). */
export const unitUsd = (n: number): string => {
  const s = n.toFixed(6).replace(/0+$/, '');
  return `$${s.split('.')[1]!.length < 2 ? n.toFixed(2) : s}`;
};
/** A whole-dollar figure for the headline (`$72`). */
const whole = (n: number): string => `$${Math.round(n).toLocaleString('en-US')}`;

/** `+$21.24/month at desired capacity, −$42.47/month at max` (`unchanged` where it did not move). */
export function changeText(c: Pick<CostChange, 'monthly' | 'monthlyAtMax'>): string {
  const fig = (n: number | null): string => (n === null ? 'no price' : n === 0 ? 'unchanged' : monthlyDelta(n));
  return `${fig(c.monthly)} at desired capacity, ${fig(c.monthlyAtMax)} at max`;
}

/** Where the prices came from, with the date: `AWS Price List API, fetched 2026-12-06`, `bundled table as of 2026-11-01`. */
export function pricesLine(r: Pick<CostReport, 'source' | 'pricesAsOf' | 'fallback' | 'fromTable'>): string {
  if (r.source === 'price-list-api') {
    const table = r.fromTable ? ` (${r.fromTable.prices.join(', ')} from the bundled table as of ${r.fromTable.asOf})` : '';
    return `prices: AWS Price List API, fetched ${r.pricesAsOf}${table}`;
  }
  return `prices: bundled table as of ${r.pricesAsOf}${r.fallback ? `; Price List API not used: ${r.fallback}` : ''}`;
}

/** `≈ $72/month at desired capacity (up to $115 at max), us-east-1 prices as of 2026-11-01` (`now` for what runs). */
export function costHeadline(r: CostReport, what: 'desired' | 'now' = 'desired'): string {
  const at = what === 'now' ? 'for what runs now' : 'at desired capacity';
  if (r.monthly === null) return `≈ ? /month ${at}: ${r.missing.join('; ') || 'a price is missing'}`;
  const max = r.monthlyAtMax === null ? '' : ` (up to ${whole(r.monthlyAtMax)} at max)`;
  return `≈ ${whole(r.monthly)}/month ${at}${max}, ${r.region} prices as of ${r.pricesAsOf}`;
}

/**
 * The cost block: one line per billed item (quantity × unit price = a month), what is billed by
 * use with its unit price, each choice with what the other option would change, notes, and the
 * headline last. Estimates in USD, said once.
 */
export function costLines(r: CostReport, opts: { title?: string; what?: 'desired' | 'now' } = {}): string[] {
  const lines = [`${opts.title ?? 'What it costs'} (estimates in USD, ${730} hours a month; ${pricesLine(r)})`];
  const w = Math.max(0, ...r.items.map((i) => i.item.length));
  const amounts = r.items.map((i) => `${i.quantity} ${i.unit} × ${i.unitPrice === null ? 'no price' : unitUsd(i.unitPrice)}`);
  const aw = Math.max(0, ...amounts.map((a) => a.length));
  r.items.forEach((i, k) => lines.push(`  ${i.item.padEnd(w)}  ${amounts[k]!.padStart(aw)}  ${(i.monthly === null ? '?' : usd(i.monthly)).padStart(9)}`));
  const usage = r.usage.filter((u) => u.unitPrice !== null).map((u) => `${u.item} ${unitUsd(u.unitPrice!)} per ${u.unit}`);
  if (usage.length) lines.push(`  billed by use, not counted: ${usage.join('; ')}`);
  for (const c of r.choices) lines.push(`  ${c.choice}: ${c.detail}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  for (const m of r.missing) lines.push(`  ${m}`);
  if (r.change) lines.push(`  change: ${changeText(r.change)} against ${r.change.against}`);
  lines.push(costHeadline(r, opts.what));
  return lines;
}
