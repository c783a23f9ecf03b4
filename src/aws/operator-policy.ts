import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { inPartitionOf } from './partition.js';

/**
 * The operator policy: docs/iam-policy.json, the one copy (shipped with the package), as
 * `iam bootstrap` prints it for an account — its ARNs in the region's partition and ACCOUNT_ID
 * filled in. STATE_BUCKET and STATE_PREFIX stay placeholders: only the administrator knows them.
 */
export const OPERATOR_POLICY_FILE = join(PACKAGE_ROOT, 'docs/iam-policy.json');

/** Placeholder for the account id in docs/iam-policy.json (the boundary's ARN). */
export const ACCOUNT_PLACEHOLDER = 'ACCOUNT_ID';

export async function operatorPolicy(region: string, accountId: string): Promise<unknown> {
  const doc = JSON.parse(await readFile(OPERATOR_POLICY_FILE, 'utf8')) as unknown;
  return fill(doc, (s) => (s.startsWith('arn:') ? inPartitionOf(region, s) : s).replaceAll(ACCOUNT_PLACEHOLDER, accountId));
}

function fill(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => fill(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, f)]));
  return value;
}
