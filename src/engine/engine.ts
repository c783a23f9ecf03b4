import { WizardError, isWizardError } from '../errors.js';
import { destroyGraph, goneNode, prerequisites, runGraph, topoOrder } from './graph.js';
import type { RecordBook } from './state.js';
import {
  isWaitStep,
  type EngineEvent,
  type Outputs,
  type ResourceRecord,
  type ResourceStep,
  type RunResult,
  type Step,
  type StepContext,
  type StepOutcome,
  type StepResult,
} from './types.js';

/** Thrown by `ctx.output()` when a step asks for outputs another step does not have (yet). */
export class DependencyPending extends Error {
  constructor(readonly stepId: string) {
    super(`outputs of step "${stepId}" are not available`);
    this.name = 'DependencyPending';
  }
}

export interface EngineOptions<E> {
  env: E;
  /** Where the run's records live: the stack's state, or a pending day-2 plan's records in it. */
  state: RecordBook;
  /** How many steps may run at once (1 = strictly sequential). */
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: (event: EngineEvent) => void;
  clock?: () => Date;
}

export interface CreateOptions<E> extends EngineOptions<E> {
  /** Run finds only and report what would be created; no mutating call, no state write. */
  dryRun?: boolean;
  /** Run wait steps (default true). */
  wait?: boolean;
  /** Start independent steps after one failed (default false); the checks before a run want every problem. */
  keepGoing?: boolean;
}

export interface DestroyOptions<E> extends EngineOptions<E> {
  /** Keep deleting independent branches after a failure (default true: remove as much as possible). */
  keepGoing?: boolean;
}

export const DEFAULT_CONCURRENCY = 8;

class Run<E> {
  readonly results = new Map<string, StepResult>();
  /** Outputs known in this run: from the state file, finds and creates (dry-run keeps them here only). */
  readonly outputs = new Map<string, Outputs>();
  readonly byId: Map<string, Step<E>>;
  readonly signal: AbortSignal;
  readonly clock: () => Date;

  constructor(
    readonly steps: readonly Step<E>[],
    readonly opts: EngineOptions<E>,
  ) {
    this.byId = new Map(steps.map((s) => [s.id, s]));
    this.signal = opts.signal ?? new AbortController().signal;
    this.clock = opts.clock ?? (() => new Date());
    for (const [id, rec] of Object.entries(opts.state.state.resources)) {
      if (rec.status !== 'destroyed') this.outputs.set(id, rec.outputs);
    }
  }

  now(): string {
    return this.clock().toISOString();
  }

  emit(event: EngineEvent): void {
    this.opts.onEvent?.(event);
  }

  context(step: Step<E>, persist: boolean, repair = false): StepContext<E> {
    const run = this;
    return {
      env: this.opts.env,
      stepId: step.id,
      // Live: ids noted during a create are seen by a find that runs after it (a retry).
      get recorded() {
        return run.outputs.get(step.id) ?? run.opts.state.get(step.id)?.outputs;
      },
      output<T>(id: string): T {
        const o = run.outputs.get(id);
        if (o === undefined) throw new DependencyPending(id);
        return o as T;
      },
      tryOutput<T>(id: string): T | undefined {
        return run.outputs.get(id) as T | undefined;
      },
      async note(partial: Outputs): Promise<void> {
        const merged = { ...(run.outputs.get(step.id) ?? run.opts.state.get(step.id)?.outputs ?? {}), ...partial };
        run.outputs.set(step.id, merged);
        if (!persist) return;
        const rec = run.opts.state.get(step.id);
        await run.opts.state.put({ ...(rec ?? { stepId: step.id, status: 'creating' }), outputs: merged, updatedAt: run.now() });
      },
      progress(message: string): void {
        run.emit({ type: 'progress', stepId: step.id, title: step.title, message });
      },
      signal: this.signal,
      repair,
    };
  }

  finish(step: Step<E>, result: StepOutcome, started: number, extra: { outputs?: Outputs; error?: unknown } = {}): boolean {
    const durationMs = Date.now() - started;
    // Stopped by Ctrl-C (a wait or retry gave up on the abort): not a failure of the step.
    const outcome: StepOutcome = result === 'failed' && interrupted(extra.error) ? 'interrupted' : result;
    const word = outcome === 'created' ? step.words?.created : outcome === 'exists' ? step.words?.exists : undefined;
    this.results.set(step.id, { stepId: step.id, title: step.title, outcome, durationMs, ...extra, ...(word ? { word } : {}) });
    this.emit({ type: 'end', stepId: step.id, title: step.title, outcome, durationMs, error: extra.error, ...(word ? { word } : {}) });
    return outcome !== 'failed' && outcome !== 'interrupted';
  }

  skip(id: string): void {
    const step = this.byId.get(id)!;
    if (!this.results.has(id)) this.finish(step, 'skipped', Date.now());
  }

  async record(step: Step<E>, patch: Partial<ResourceRecord>): Promise<void> {
    const prev = this.opts.state.get(step.id);
    await this.opts.state.put({
      stepId: step.id,
      status: 'creating',
      outputs: {},
      ...prev,
      ...patch,
      updatedAt: this.now(),
    });
  }

  result(): RunResult {
    const ordered = topoOrder(this.steps)
      .map((id) => this.results.get(id))
      .filter((r): r is StepResult => r !== undefined);
    return {
      ok: ordered.every((r) => r.outcome !== 'failed') && !this.signal.aborted,
      interrupted: this.signal.aborted,
      results: ordered,
    };
  }
}

/** An error that only says the run was interrupted (Ctrl-C), not that the step went wrong. */
function interrupted(err: unknown): boolean {
  return isWizardError(err, 'INTERRUPTED');
}

/**
 * The record of a step that stopped with `error`: failed, with the error — unless it was only
 * interrupted, when the intent it recorded (creating, destroying) stays for the next run to resume.
 */
async function recordFailure<E>(run: Run<E>, step: Step<E>, error: unknown): Promise<void> {
  if (interrupted(error)) return;
  await run.record(step, { status: 'failed', error: errorSummary(error) }).catch(() => undefined);
}

function errorSummary(err: unknown): { code: string; message: string } {
  if (isWizardError(err)) return { code: err.code, message: err.message };
  const e = err as { name?: string; message?: string };
  return { code: e?.name ?? 'Error', message: e?.message ?? String(err) };
}

function sameOutputs(a: Outputs | undefined, b: Outputs): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Creates (or, with dryRun, plans) every step in dependency order. Each resource step is found
 * first and created only when nothing is found; the state file records the intent before the
 * mutating call and the outputs after it.
 */
export async function runCreate<E>(steps: readonly Step<E>[], opts: CreateOptions<E>): Promise<RunResult> {
  const run = new Run(steps, opts);
  const dryRun = opts.dryRun ?? false;
  const wait = opts.wait ?? true;

  const runStep = async (id: string): Promise<boolean> => {
    const step = run.byId.get(id)!;
    const started = Date.now();
    if (isWaitStep(step)) {
      if (dryRun || !wait) return run.finish(step, 'skipped', started);
      run.emit({ type: 'start', stepId: id, title: step.title, action: 'wait' });
      try {
        await step.run(run.context(step, false));
        return run.finish(step, 'waited', started);
      } catch (error) {
        return run.finish(step, 'failed', started, { error });
      }
    }

    run.emit({ type: 'start', stepId: id, title: step.title, action: 'find' });
    const ctx = run.context(step, !dryRun, !dryRun);
    let found: Outputs | undefined;
    try {
      found = await step.find(ctx);
    } catch (error) {
      // In a dry run, a step whose dependencies would be created cannot be looked up: it would be created.
      if (dryRun && error instanceof DependencyPending) return run.finish(step, 'would-create', started);
      return run.finish(step, 'failed', started, { error });
    }

    if (found !== undefined) {
      run.outputs.set(id, found);
      const prev = opts.state.get(id);
      if (!dryRun && (prev?.status !== 'created' || !sameOutputs(prev.outputs, found) || prev.external !== step.external)) {
        await run.record(step, {
          status: 'created',
          outputs: found,
          external: step.external || undefined,
          createdAt: prev?.createdAt ?? run.now(),
          error: undefined,
        });
      }
      return run.finish(step, 'exists', started, { outputs: found });
    }
    if (step.external) {
      const error = new WizardError('INPUT_INVALID', `${step.title}: the existing resource given in the answers was not found.`);
      return run.finish(step, 'failed', started, { error });
    }
    if (dryRun) return run.finish(step, 'would-create', started);

    run.emit({ type: 'start', stepId: id, title: step.title, action: 'create', ...(step.words?.create ? { verb: step.words.create } : {}) });
    try {
      // Intent first: a crash during the call leaves a record that tells the next run to look for it.
      await run.record(step, { status: 'creating', startedAt: run.now(), error: undefined });
      const outputs = { ...(run.outputs.get(id) ?? {}), ...(await step.create(ctx)) };
      run.outputs.set(id, outputs);
      await run.record(step, { status: 'created', outputs, createdAt: run.now() });
      return run.finish(step, 'created', started, { outputs });
    } catch (error) {
      await recordFailure(run, step, error);
      return run.finish(step, 'failed', started, { error });
    }
  };

  await runGraph({
    order: topoOrder(steps),
    prerequisites: prerequisites(steps),
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    keepGoing: opts.keepGoing,
    shouldStop: () => run.signal.aborted,
    run: runStep,
    onSkip: (id) => run.skip(id),
  });
  return run.result();
}

/**
 * Finds every resource of the plan without a state file (by tag and deterministic name) and
 * records what it finds, so that a destroy can follow. Makes no mutating AWS call.
 */
export async function runDiscover<E>(steps: readonly Step<E>[], opts: EngineOptions<E>): Promise<RunResult> {
  const run = new Run(steps, opts);
  const runStep = async (id: string): Promise<boolean> => {
    const step = run.byId.get(id)!;
    const started = Date.now();
    if (isWaitStep(step)) return run.finish(step, 'skipped', started);
    run.emit({ type: 'start', stepId: id, title: step.title, action: 'find' });
    try {
      const found = await step.find(run.context(step, false));
      if (found === undefined) return run.finish(step, 'absent', started);
      run.outputs.set(id, found);
      await run.record(step, { status: 'created', outputs: found, external: step.external || undefined });
      return run.finish(step, 'exists', started, { outputs: found });
    } catch (error) {
      // A resource whose parent is gone cannot be found through it: report it absent and go on.
      if (error instanceof DependencyPending) return run.finish(step, 'absent', started);
      return run.finish(step, 'failed', started, { error });
    }
  };
  await runGraph({
    order: topoOrder(steps),
    prerequisites: prerequisites(steps),
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    keepGoing: true,
    shouldStop: () => run.signal.aborted,
    // Discovery goes on past absent parents: children are looked up by tag where they can be.
    run: async (id) => (await runStep(id)) || true,
    onSkip: (id) => run.skip(id),
  });
  return run.result();
}

/**
 * Destroys every recorded resource in reverse dependency order, independent branches in
 * parallel, except where a step's `teardown` lets a dependency go sooner. "Not found" is success;
 * external resources are kept; a resource whose create was interrupted is looked up before it is
 * deleted. A step with a `waitUntilGone` tail finishes (is recorded destroyed) when the tail does.
 */
export async function runDestroy<E>(steps: readonly Step<E>[], opts: DestroyOptions<E>): Promise<RunResult> {
  const run = new Run(steps, opts);
  /** Steps whose tail is still to wait for, with what to report once it is over. */
  const tails = new Map<string, { outputs: Outputs; started: number; outcome: 'destroyed' | 'absent' }>();

  const runStep = async (id: string): Promise<boolean> => {
    const step = run.byId.get(id)!;
    const started = Date.now();
    if (isWaitStep(step)) {
      run.results.set(id, { stepId: id, title: step.title, outcome: 'skipped', durationMs: 0 });
      return true;
    }
    const rec = opts.state.get(id);
    if (rec === undefined || rec.status === 'destroyed') return run.finish(step, 'absent', started);
    if (rec.external || step.external) return run.finish(step, 'kept', started);

    const ctx = run.context(step, true);
    try {
      let outputs: Outputs | undefined = rec.outputs;
      if (rec.status !== 'created') {
        // The create may or may not have reached AWS: look before deleting.
        run.emit({ type: 'start', stepId: id, title: step.title, action: 'find' });
        outputs = await step.find(ctx).catch((err: unknown) => {
          if (err instanceof DependencyPending || isWizardError(err, 'DRIFT')) return rec.outputs;
          throw err;
        });
      }
      if (outputs === undefined || step.destroy === undefined) {
        // A find sees only live resources: one a crash left half-deleted (a service still draining) may not be gone yet.
        if (step.waitUntilGone && step.destroy !== undefined) {
          tails.set(id, { outputs: rec.outputs, started, outcome: 'absent' });
          return true;
        }
        await run.record(step, { status: 'destroyed', error: undefined });
        return run.finish(step, 'absent', started);
      }
      run.emit({ type: 'start', stepId: id, title: step.title, action: 'destroy' });
      await run.record(step, { status: 'destroying', outputs, error: undefined });
      await step.destroy(ctx, outputs);
      if (step.waitUntilGone) {
        tails.set(id, { outputs, started, outcome: 'destroyed' });
        return true;
      }
      await run.record(step, { status: 'destroyed' });
      return run.finish(step, 'destroyed', started);
    } catch (error) {
      await recordFailure(run, step, error);
      return run.finish(step, 'failed', started, { error });
    }
  };

  const runTail = async (id: string): Promise<boolean> => {
    const step = run.byId.get(id) as ResourceStep<E>;
    const tail = tails.get(id);
    // Absent, kept or already finished: no tail to wait for.
    if (tail === undefined) return true;
    try {
      await step.waitUntilGone!(run.context(step, true), tail.outputs);
      await run.record(step, { status: 'destroyed', error: undefined });
      return run.finish(step, tail.outcome, tail.started);
    } catch (error) {
      await recordFailure(run, step, error);
      return run.finish(step, 'failed', tail.started, { error });
    }
  };

  const graph = destroyGraph(steps);
  const tailOf = new Map(steps.map((s) => [goneNode(s.id), s.id]));
  await runGraph({
    order: graph.order,
    prerequisites: graph.prerequisites,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    keepGoing: opts.keepGoing ?? true,
    shouldStop: () => run.signal.aborted,
    run: (node) => (tailOf.has(node) ? runTail(tailOf.get(node)!) : runStep(node)),
    onSkip: (node) => run.skip(tailOf.get(node) ?? node),
  });
  return run.result();
}
