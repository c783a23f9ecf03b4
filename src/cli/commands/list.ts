import { isWizardError } from '../../errors.js';
import type { StackState } from '../../engine/state.js';
import type { StateStore } from '../../engine/store.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { openStore } from '../state-store.js';
import { NO_CALLS } from '../output.js';

export interface StackListing {
  stack: string;
  file: string;
  region?: string;
  endpointUrl?: string;
  resources: number;
  updatedAt?: string;
  /** Records by status, e.g. { created: 22, failed: 1 }. */
  records: Record<string, number>;
  /** 'complete' when every record is created; 'incomplete' when a create or destroy stopped half-way. */
  status: 'complete' | 'incomplete' | 'empty' | 'invalid';
  error?: string;
}

export function summariseState(state: StackState): Pick<StackListing, 'resources' | 'records' | 'status'> {
  const records: Record<string, number> = {};
  const live = Object.values(state.resources).filter((r) => r.status !== 'destroyed');
  for (const r of live) records[r.status] = (records[r.status] ?? 0) + 1;
  const status = live.length === 0 ? 'empty' : live.every((r) => r.status === 'created') ? 'complete' : 'incomplete';
  return { resources: live.length, records, status };
}

/** Every stack of a store, summarised from its state alone. */
export async function listStacks(store: StateStore): Promise<StackListing[]> {
  const names = await store.list();
  return Promise.all(
    names.map(async (stack): Promise<StackListing> => {
      const file = store.where(stack);
      try {
        const state = (await store.read(stack))?.state;
        if (!state) return { stack, file, resources: 0, records: {}, status: 'empty' };
        return { stack, file, region: state.region, endpointUrl: state.endpointUrl, updatedAt: state.updatedAt, ...summariseState(state) };
      } catch (err) {
        if (!isWizardError(err, 'STATE_INVALID')) throw err;
        return { stack, file, resources: 0, records: {}, status: 'invalid', error: err.message };
      }
    }),
  );
}

/**
 * `ecs-wizard list`: the stacks a state directory or S3 prefix knows, from their states alone (no
 * call about the stacks' resources).
 */
export async function list(flags: CommonFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const store = await openStore(opts, ctx);
  let stacks: StackListing[];
  try {
    stacks = await listStacks(store);
  } finally {
    store.close();
  }
  if (opts.output === 'json') {
    ctx.stdout.write(JSON.stringify({ stateDir: opts.stateDir, stacks, calls: NO_CALLS }, null, 2) + '\n');
    return 0;
  }
  if (stacks.length === 0) {
    ctx.stdout.write(`No stacks in ${opts.stateDir}.\nCreate one with \`ecs-wizard create\`, or pass --state-dir.\n`);
    return 0;
  }
  const rows = [
    ['STACK', 'REGION', 'RESOURCES', 'UPDATED', 'STATUS'],
    ...stacks.map((s) => [
      s.stack,
      s.region ?? '-',
      String(s.resources),
      s.updatedAt ? s.updatedAt.replace('T', ' ').slice(0, 19) : '-',
      s.status === 'incomplete' ? `incomplete (${Object.entries(s.records).map(([k, n]) => `${n} ${k}`).join(', ')})` : s.status,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) ctx.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n');
  ctx.stdout.write(`\n(state directory: ${opts.stateDir})\n`);
  return 0;
}
