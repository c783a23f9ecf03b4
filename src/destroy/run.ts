import { runDestroy, runDiscover } from '../engine/engine.js';
import type { StateFile } from '../engine/state.js';
import type { EngineEvent, Outputs, RunResult, Step } from '../engine/types.js';
import type { StackEnv } from '../steps/env.js';
import { deleteLeftovers, type CleanupResult } from './cleanup.js';
import { listStackResources, type Leftover } from './inventory.js';
import { serviceOfId, servicesOf } from '../steps/services.js';
import { plural } from '../words.js';

export interface DestroyStackOptions {
  env: StackEnv;
  state: StateFile;
  plan: Step<StackEnv>[];
  /** Find the stack's resources by tag and name first (state file missing or stale). */
  discover?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  /** Plain-words progress outside the engine (discovery summary, backstop deletes). */
  info?: (message: string) => void;
  /**
   * Asked once what will be deleted is known: `listed` is what the inventory finds of the stack
   * now, by tag and name (with discover, what discovery found). Resolves to go on, throws to stop.
   * Not called when there is nothing to delete; without it no listing is made.
   */
  confirm?: (listed: Leftover[]) => Promise<void>;
}

export interface DestroyReport {
  /** Nothing was recorded or found: no mutating call was made. */
  nothing: boolean;
  /** With discover: what the tag/name search found before deleting. */
  found: Leftover[];
  steps: RunResult | undefined;
  /** What the plan could not see and the backstop deleted (or kept, e.g. an ECR repository holding images). */
  extras: CleanupResult;
  /** Still present after everything: each is an orphan to report. */
  leftovers: Leftover[];
  ok: boolean;
  interrupted: boolean;
}

/** Ids of resources the stack reuses (an existing VPC and subnets): never deleted, never leftovers. */
export function externalIds(state: StateFile, env: StackEnv): Set<string> {
  const ids = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') ids.add(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  for (const rec of Object.values(state.state.resources)) if (rec.external) Object.values(rec.outputs as Outputs).forEach(add);
  add(env.answers.network.vpcId);
  add(env.answers.network.subnetIds);
  return ids;
}

function hasLiveRecords(state: StateFile): boolean {
  return Object.values(state.state.resources).some((r) => r.status !== 'destroyed' && !r.external);
}

/**
 * Destroys a stack: (discover →) the plan in reverse → a backstop for what the plan cannot see →
 * a verifying inventory. Never prompts or prints: the caller confirms and reports.
 */
export async function destroyStack(opts: DestroyStackOptions): Promise<DestroyReport> {
  const { env, state } = opts;
  const exclude = externalIds(state, env);
  const inventory = (): Promise<Leftover[]> =>
    listStackResources(env.aws, env.names, {
      exclude,
      ecrRepository: servicesOf(env.answers).find((s) => s.ecrRepository)?.ecrRepository,
      // Every service the answers name, and any whose records the state still holds (a removal cut short).
      services: [...new Set([...servicesOf(env.answers).map((s) => s.name), ...Object.keys(state.state.resources).flatMap((id) => serviceOfId(id)?.service ?? [])])],
      domain: env.answers.loadBalancer.domain,
      allCertificates: opts.discover,
      region: env.region,
    });
  const engine = { env, state, concurrency: opts.concurrency, signal: opts.signal, onEvent: opts.onEvent };
  const none: CleanupResult = { deleted: [], kept: [], failed: [] };

  let found: Leftover[] = [];
  let listed: Leftover[] | undefined;
  if (opts.discover) {
    const d = await runDiscover(opts.plan, engine);
    for (const r of d.results) if (r.outcome === 'failed') opts.info?.(`${r.title}: could not be looked up (${(r.error as Error)?.message}); the tag sweep will look for it`);
    found = await inventory();
    listed = found;
    if (found.length === 0 && !hasLiveRecords(state)) {
      return { nothing: true, found, steps: d, extras: none, leftovers: [], ok: true, interrupted: false };
    }
  } else if (!hasLiveRecords(state)) {
    // Everything recorded is gone already: check AWS agrees, without mutating anything.
    listed = await inventory();
    if (listed.length === 0) return { nothing: true, found, steps: undefined, extras: none, leftovers: [], ok: true, interrupted: false };
  }
  if (opts.confirm) await opts.confirm(listed ?? (await inventory()));

  const started = env.timing.now();
  const steps = await runDestroy(opts.plan, engine);
  // Someone else wrote the state meanwhile: the stack is theirs now, so no deleting by tag either.
  if (state.conflict) throw state.conflict;
  if (steps.interrupted) return { nothing: false, found, steps, extras: none, leftovers: [], ok: false, interrupted: true };
  let extras = none;
  const more = await inventory();
  if (more.length) {
    opts.info?.(`deleting ${plural(more.length, 'more resource')} of the stack found by tag and name`);
    // One --wait-timeout for the whole destroy: after a step timed out, the backstop tries each delete once more.
    const timeoutMs = Math.max(0, env.timing.timeoutMs - (env.timing.now() - started));
    extras = await deleteLeftovers(env.aws, more, {
      timing: { ...env.timing, timeoutMs },
      signal: opts.signal,
      progress: opts.info,
      forceEcr: env.forceEcr,
    });
  }
  const leftovers = await inventory();
  const interrupted = opts.signal?.aborted ?? false;
  return { nothing: false, found, steps, extras, leftovers, ok: leftovers.length === 0 && !interrupted, interrupted };
}
