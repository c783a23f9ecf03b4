import { isNotFound, isTransientDependency } from '../aws/errors.js';
import { retryWhile } from '../aws/poll.js';
import type { StepContext } from '../engine/types.js';
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
