import { isNotFound, isTransientDependency } from '../aws/errors.js';
import { retryWhile } from '../aws/poll.js';
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

/**
 * Wraps a step's create: when a non-idempotent call failed in a way that leaves unknown whether
 * it took effect (AmbiguousResponse), look for the resource before creating again — by the ids the
 * step noted and by tag or name, exactly as a resumed run would. This is what keeps a lost response
 * from turning into a duplicate.
 */
export function retryAfterAmbiguousResponse<S extends ResourceStep<StackEnv>>(step: S, attempts = 8): S {
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
