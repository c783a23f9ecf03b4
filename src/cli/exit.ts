import { isWizardError, type ErrorCode } from '../errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The one place error codes become exit codes (DESIGN.md: 0 done, 1 failed, 2 bad input, 130 interrupted). */
const EXIT_BY_CODE: Record<ErrorCode, number> = {
  INPUT_INVALID: EXIT.usage,
  USAGE: EXIT.usage,
  CREDENTIALS: EXIT.usage,
  STATE_LOCKED: EXIT.failed,
  STATE_INVALID: EXIT.failed,
  STATE_MISSING: EXIT.failed,
  STATE_CONFLICT: EXIT.failed,
  DRIFT: EXIT.usage,
  AWS: EXIT.failed,
  TIMEOUT: EXIT.failed,
  ROLLOUT_FAILED: EXIT.failed,
  STEP_FAILED: EXIT.failed,
  LEFTOVERS: EXIT.failed,
  UNHEALTHY: EXIT.failed,
  INTERRUPTED: EXIT.interrupted,
  DRY_RUN: EXIT.failed,
  NOT_IMPLEMENTED: EXIT.failed,
};

export function exitCodeFor(err: unknown): number {
  if (isWizardError(err)) return EXIT_BY_CODE[err.code];
  // commander's own usage errors
  const c = (err as { code?: string })?.code;
  if (typeof c === 'string' && c.startsWith('commander.')) return EXIT.usage;
  return EXIT.failed;
}
