import { isNotFound, isNotYetVisible, isTransientDependency } from '../aws/errors.js';
import { retryWhile, type PollTiming } from '../aws/poll.js';
import { AmbiguousResponse } from '../aws/clients.js';
import type { ResourceStep, StepContext } from '../engine/types.js';
import type { StackEnv } from './env.js';

/**
 * Runs a delete, treating "not found" as done and retrying while AWS still reports dependencies
 * (lingering network interfaces after an ALB or instances go), bounded by the wait timeout.
 */
export async function deleteIgnoringNotFound(ctx: StepContext<StackEnv>, del: () => Promise<unknown>, waitingFor: string): Promise<void> {
  await retryWhile(
    async () => {
      try {
        await del();
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    },
    isTransientDependency,
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for ${waitingFor}` },
  );
}

/** Ids each run has created, per run (its env): what "just created" means for eventual consistency. */
const createdThisRun = new WeakMap<StackEnv, Set<string>>();

/** Records ids the step has just created in this run. */
export function noteCreated(ctx: StepContext<StackEnv>, ...ids: string[]): void {
  let seen = createdThisRun.get(ctx.env);
  if (!seen) createdThisRun.set(ctx.env, (seen = new Set()));
  for (const id of ids) seen.add(id);
}

/** True when this run created the id (so AWS may not show it everywhere yet). */
export function wasCreatedThisRun(ctx: StepContext<StackEnv>, id: string | undefined): boolean {
  return id !== undefined && (createdThisRun.get(ctx.env)?.has(id) ?? false);
}

/**
 * Runs a call that names ids this run may have just created. EC2 is eventually consistent: right
 * after a create it can answer that the new id does not exist. For those ids that means "not yet",
 * so the call is repeated with backoff, bounded by the wait timeout; a NotFound for an id this run
 * did not create stays an error.
 */
export async function whileNotYetVisible<T>(ctx: StepContext<StackEnv>, ids: readonly (string | undefined)[], call: () => Promise<T>): Promise<T> {
  const fresh = ids.filter((id): id is string => wasCreatedThisRun(ctx, id));
  if (fresh.length === 0) return call();
  return retryWhile(call, (err) => isNotYetVisible(err, fresh), {
    timing: ctx.env.timing,
    signal: ctx.signal,
    progress: ctx.progress,
    waitingFor: `waiting for AWS to show ${fresh.join(', ')}`,
  });
}

/**
 * Wraps a step's create: when a non-idempotent call failed in a way that leaves unknown whether
 * it took effect (AmbiguousResponse), look for the resource before creating again — by the ids the
 * step noted and by tag or name, exactly as a resumed run would. This is what keeps a lost response
 * from turning into a duplicate.
 */
export function retryAfterAmbiguousResponse<S extends ResourceStep<{ timing: PollTiming }>>(step: S, attempts = 8): S {
  return {
    ...step,
    async create(ctx) {
      for (let attempt = 1; ; attempt++) {
        try {
          // After a lost answer, look first (the look may itself repair what the first try began).
          if (attempt > 1) {
            const found = await step.find(ctx);
            if (found !== undefined) return found;
          }
          return await step.create(ctx);
        } catch (err) {
          if (!(err instanceof AmbiguousResponse) || attempt >= attempts) throw err;
          ctx.progress(`the answer to ${err.operation} was lost; checking whether it took effect`);
          await ctx.env.timing.sleep(Math.min(ctx.env.timing.maxDelayMs, ctx.env.timing.minDelayMs * 2 ** attempt), ctx.signal);
        }
      }
    },
  };
}
