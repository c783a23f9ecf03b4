import type { Outputs, StepContext } from '../../src/engine/types.js';
import type { StackEnv } from '../../src/steps/env.js';

/**
 * A StepContext for calling one step's find/create/destroy/run directly, with the outputs its
 * dependencies would have handed it. `progress` messages and `note`s are kept for assertions.
 */
export function stepContext(env: StackEnv, opts: { stepId?: string; outputs?: Record<string, Outputs>; recorded?: Outputs; repair?: boolean } = {}) {
  const outputs = new Map(Object.entries(opts.outputs ?? {}));
  const progress: string[] = [];
  const notes: Outputs[] = [];
  const ctx: StepContext<StackEnv> = {
    env,
    stepId: opts.stepId ?? 'test',
    recorded: opts.recorded,
    output<T>(id: string): T {
      const o = outputs.get(id);
      if (o === undefined) throw new Error(`no outputs for ${id}`);
      return o as T;
    },
    tryOutput<T>(id: string): T | undefined {
      return outputs.get(id) as T | undefined;
    },
    async note(partial) {
      notes.push(partial);
    },
    progress(message) {
      progress.push(message);
    },
    signal: new AbortController().signal,
    repair: opts.repair ?? true,
  };
  return { ctx, progress, notes };
}
