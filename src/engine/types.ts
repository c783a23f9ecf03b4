/**
 * The engine runs steps declared as data. It knows nothing about AWS: a step is an id, a title,
 * the ids it depends on, and functions to find / create / destroy its resource (or, for a wait
 * step, a function that waits for something to become ready).
 */

/** What a step records about its resource: ids, ARNs, names. Must be JSON-serialisable. */
export type Outputs = Record<string, unknown>;

export type RecordStatus = 'creating' | 'created' | 'destroying' | 'destroyed' | 'failed';

/** One resource in the state file. */
export interface ResourceRecord {
  stepId: string;
  status: RecordStatus;
  outputs: Outputs;
  /** Not made by us (e.g. an existing VPC the user chose): never destroyed. */
  external?: boolean;
  startedAt?: string;
  createdAt?: string;
  updatedAt: string;
  error?: { code: string; message: string };
}

export interface StepContext<E> {
  /** Whatever the plan gives its steps: clients, answers, names, tags, clock. */
  readonly env: E;
  readonly stepId: string;
  /** This step's outputs as the state file last recorded them (maybe partial, from an intent). */
  readonly recorded: Outputs | undefined;
  /** Outputs of another step (normally a dependency). Throws DependencyPending when it has none. */
  output<T = Outputs>(stepId: string): T;
  /** Outputs of another step, or undefined. */
  tryOutput<T = Outputs>(stepId: string): T | undefined;
  /** Persist partial outputs now (e.g. an id known before a long wait), so a crash keeps them. */
  note(partial: Outputs): Promise<void>;
  /** Say what the step is doing or waiting for ("waiting for ALB to become active"). */
  progress(message: string): void;
  /** Aborted on Ctrl-C: waits must stop promptly. */
  readonly signal: AbortSignal;
  /**
   * True only in a real create: `find` may then repair a found resource in place (a missing rule,
   * a changed attribute). In dry-run, discover and destroy it is false and `find` must only read.
   */
  readonly repair: boolean;
}

interface StepBase {
  readonly id: string;
  readonly title: string;
  readonly dependsOn: readonly string[];
  /**
   * Exceptions to "teardown is the create graph reversed", for the few dependencies AWS lets go
   * sooner. Each names entries of `dependsOn`; everything else keeps the default: a dependency is
   * deleted only once this step is gone.
   */
  readonly teardown?: Teardown;
  /**
   * What this step's create and its outcomes read as, where "creating" / "created" would mislead
   * (a deploy "registers" a revision and "updates" the service). Reporters fall back to the usual words.
   */
  readonly words?: { readonly create?: string; readonly created?: string; readonly exists?: string };
}

export interface Teardown {
  /**
   * These dependencies may be deleted as soon as this step's delete has begun (its `destroy`
   * returned), while its `waitUntilGone` tail still runs — e.g. a service's hosts once the service
   * is set to 0 and deleted, while its tasks drain.
   */
  readonly mayGoOnceDeleting?: readonly string[];
  /** These dependencies may be deleted regardless of this step: AWS does not need it gone first. */
  readonly mayGoFirst?: readonly string[];
}

export interface ResourceStep<E> extends StepBase {
  readonly kind?: 'resource';
  /** Something the user already has and chose to use: found and verified, never created or destroyed. */
  readonly external?: boolean;
  /**
   * Look the resource up: by the recorded id first, then by tag or deterministic name. Returns its
   * outputs, or undefined when it does not exist. May throw WizardError('DRIFT') when it exists but
   * differs in a way that would need replacement.
   */
  find(ctx: StepContext<E>): Promise<Outputs | undefined>;
  /** Create the resource (only called when find found nothing) and return its outputs. */
  create(ctx: StepContext<E>): Promise<Outputs>;
  /** Delete the resource. "Not found" must count as success. */
  destroy?(ctx: StepContext<E>, outputs: Outputs): Promise<void>;
  /**
   * After `destroy`: wait until the resource is really gone (a slow tail, like a service draining).
   * Kept apart from `destroy` so that dependencies in `teardown.mayGoOnceDeleting` can start during
   * it; every other dependency still waits for it. "Not found" counts as gone.
   */
  waitUntilGone?(ctx: StepContext<E>, outputs: Outputs): Promise<void>;
}

export interface WaitStep<E> extends StepBase {
  readonly kind: 'wait';
  /** Wait until something the dependencies made is ready. Skipped with --no-wait and in dry-run. */
  run(ctx: StepContext<E>): Promise<void>;
}

export type Step<E> = ResourceStep<E> | WaitStep<E>;

export function isWaitStep<E>(step: Step<E>): step is WaitStep<E> {
  return step.kind === 'wait';
}

/** What happened to a step in one engine run. */
export type StepOutcome =
  | 'created' // it did not exist; we made it
  | 'exists' // found (already created, or resumed)
  | 'would-create' // dry-run: it would be created
  | 'waited' // a wait step finished
  | 'destroyed' // it existed; we deleted it
  | 'absent' // destroy: nothing there to delete
  | 'kept' // destroy: external, left alone
  | 'skipped' // not run: a dependency failed, the run was stopped, or waits are off
  | 'interrupted' // stopped by Ctrl-C while it ran: its record stays as it was (an intent), so the next run resumes it
  | 'failed';

export type EngineEvent =
  | { type: 'start'; stepId: string; title: string; action: 'create' | 'find' | 'wait' | 'destroy'; verb?: string }
  | { type: 'progress'; stepId: string; title: string; message: string }
  | { type: 'end'; stepId: string; title: string; outcome: StepOutcome; durationMs: number; error?: unknown; word?: string };

export interface StepResult {
  stepId: string;
  title: string;
  outcome: StepOutcome;
  durationMs: number;
  outputs?: Outputs;
  error?: unknown;
  /** The step's own word for its outcome ("up to date", "updated"), when it has one: summaries count by it. */
  word?: string;
}

export interface RunResult {
  ok: boolean;
  interrupted: boolean;
  results: StepResult[];
}
