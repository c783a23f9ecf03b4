import { WizardError } from '../errors.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Real sleep that stops early (rejects) when the signal aborts. */
export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function abortError(): WizardError {
  return new WizardError('INTERRUPTED', 'Interrupted.');
}

export interface PollTiming {
  sleep: Sleep;
  now: () => number;
  /** First delay between two checks; grows ×1.5 up to maxDelayMs. */
  minDelayMs: number;
  maxDelayMs: number;
  /** How long to wait in all before giving up. */
  timeoutMs: number;
}

export const DEFAULT_TIMING: PollTiming = {
  sleep,
  now: () => Date.now(),
  minDelayMs: 1000,
  maxDelayMs: 15000,
  timeoutMs: 15 * 60 * 1000,
};

export type PollCheck<T> = () => Promise<{ done: true; value: T } | { done: false; waitingFor: string }>;

/**
 * Checks until done, starting fast and backing off, so readiness is noticed within seconds
 * without throttling ourselves. `progress` hears what is awaited and for how long. On timeout the
 * error says, in plain words, what never became ready.
 */
export async function poll<T>(
  check: PollCheck<T>,
  opts: { timing: PollTiming; signal?: AbortSignal; progress?: (message: string) => void; timeoutHint?: string },
): Promise<T> {
  const { timing } = opts;
  const start = timing.now();
  let delay = timing.minDelayMs;
  for (;;) {
    if (opts.signal?.aborted) throw abortError();
    const r = await check();
    if (r.done) return r.value;
    const elapsed = timing.now() - start;
    if (elapsed >= timing.timeoutMs) {
      throw new WizardError('TIMEOUT', `Timed out after ${Math.round(elapsed / 1000)} s ${r.waitingFor}.`, { hint: opts.timeoutHint });
    }
    opts.progress?.(`${r.waitingFor} (${Math.round(elapsed / 1000)} s)`);
    await timing.sleep(Math.min(delay, Math.max(0, timing.timeoutMs - elapsed)), opts.signal);
    delay = Math.min(timing.maxDelayMs, Math.round(delay * 1.5));
  }
}

/**
 * Runs a call again while it fails with an error AWS clears by itself (DependencyViolation while
 * network interfaces linger, ResourceInUse while something drains), backing off, bounded by the
 * timing's timeout. Any other error is thrown at once.
 */
export async function retryWhile<T>(
  call: () => Promise<T>,
  retryable: (err: unknown) => boolean,
  opts: { timing: PollTiming; signal?: AbortSignal; progress?: (message: string) => void; waitingFor: string; timeoutHint?: string },
): Promise<T> {
  let result: T | undefined;
  await poll<true>(
    async () => {
      try {
        result = await call();
        return { done: true, value: true };
      } catch (err) {
        if (!retryable(err)) throw err;
        const code = (err as { name?: string }).name ?? 'error';
        return { done: false, waitingFor: `${opts.waitingFor} (${code})` };
      }
    },
    opts,
  );
  return result as T;
}
