import { setMaxListeners } from 'node:events';

/**
 * The first Ctrl-C aborts the run; whoever is drawing on the terminal (a live progress block)
 * prints the notice itself so it lands above the block instead of being erased by the next
 * redraw, and says so here. main.ts prints it otherwise.
 */
export const INTERRUPT_NOTICE = 'Interrupted: finishing the calls in flight and saving the state (Ctrl-C again to quit at once)…';

export const interruptNotice = { shown: false };

/** Steps that may run at once (--concurrency is at most this). */
export const MAX_CONCURRENCY = 64;

/**
 * The controller whose signal the first Ctrl-C aborts. Every step that waits (a poll's sleep, a
 * retry's backoff) listens on it while it waits and stops listening after: with up to
 * --concurrency steps waiting at once, plus the live display and a lock wait, more than Node's
 * default of 10 listeners is normal use, not a leak. The bound stays finite so a real leak still warns.
 */
export function runController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(MAX_CONCURRENCY + 16, controller.signal);
  return controller;
}

/**
 * A command that leaves something running when the user quits (Ctrl-C a second time) says here
 * what it leaves and how to stop it: `run` with its task still going. main.ts prints it on the way out.
 */
export const quitNotice: { message?: string } = {};

/**
 * While a child process has the terminal (`exec`'s session-manager-plugin), Ctrl-C is the
 * session's: main.ts neither aborts the run nor quits, as the AWS CLI ignores it in its own process.
 */
export const terminalHandedOff = { toChild: false };
