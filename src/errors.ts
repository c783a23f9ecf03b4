import { plural } from './words.js';

/**
 * One error base class for everything the tool raises on purpose. Callers recognise errors by
 * `code`, never by message text; the CLI maps codes to exit codes in one place (cli/exit.ts).
 */
export type ErrorCode =
  | 'INPUT_INVALID' // bad answers, flags or ids given by the user: exit 2, no AWS call made
  | 'USAGE' // a command used wrongly (missing confirmation without a TTY, …): exit 2
  | 'CREDENTIALS' // no region or credentials could be resolved: exit 2
  | 'STATE_LOCKED' // another run holds the stack's lock
  | 'STATE_INVALID' // a corrupt, truncated or unknown-version state file
  | 'STATE_MISSING' // no state for a stack where one is needed
  | 'STATE_CONFLICT' // the state changed since this run read it (another writer): nothing was overwritten
  | 'DRIFT' // an existing resource differs in a way that would need replacement
  | 'AWS' // AWS refused or failed a call
  | 'TIMEOUT' // a bounded wait ran out
  | 'ROLLOUT_FAILED' // a deployment failed (ECS's circuit breaker) or ECS rolled it back
  | 'STEP_FAILED' // one or more engine steps failed
  | 'LEFTOVERS' // destroy verified that something is still there
  | 'UNHEALTHY' // status found the stack degraded or incomplete
  | 'INTERRUPTED' // the user pressed Ctrl-C
  | 'DRY_RUN' // a mutating call was stopped at the boundary in a dry run
  | 'NOT_IMPLEMENTED';

export interface Problem {
  /** Dotted path of the bad field, e.g. `instances.maxSize`, or a flag name like `--wait-timeout`. */
  path: string;
  message: string;
}

export class WizardError extends Error {
  readonly code: ErrorCode;
  /** One line telling the user what to do about it. */
  readonly hint?: string;
  /** Every problem found, for input errors reported all at once. */
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown; problems?: Problem[] } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WizardError';
    this.code = code;
    this.hint = opts.hint;
    this.problems = opts.problems ?? [];
  }
}

export function isWizardError(err: unknown, code?: ErrorCode): err is WizardError {
  return err instanceof WizardError && (code === undefined || err.code === code);
}

/** Input errors carry every problem at once (parse → normalise → rules). */
export function inputError(problems: Problem[], what = 'answers'): WizardError {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
  return new WizardError('INPUT_INVALID', `Invalid ${what} (${plural(problems.length, 'problem')}):\n${lines}`, {
    problems,
  });
}
