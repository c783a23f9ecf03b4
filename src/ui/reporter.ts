import type { EngineEvent } from '../engine/types.js';
import { plainReporter } from './plain.js';
import { colourEnabled } from './style.js';
import { ttyReporter } from './tty.js';

export { plainReporter } from './plain.js';
export { ttyReporter } from './tty.js';

/** How progress reaches the user: a renderer per environment, chosen by the CLI. */
export interface Reporter {
  event(e: EngineEvent): void;
  info(message: string): void;
  warn(message: string): void;
  /** Diagnostics (--verbose AWS call log): always on stderr, even with --output json. */
  log(message: string): void;
  /**
   * Hands the terminal to a prompt: the live display is cleared and stops redrawing, and lines
   * are held back, until resume() draws again (see askWhilePaused). Events still count meanwhile.
   */
  pause(): void;
  resume(): void;
  /** Stops any live display; safe to call twice. */
  close(): void;
}

/**
 * The one way a command asks something mid-run: the reporter pauses around the prompt, so neither
 * the spinner nor a warning writes over it, and progress shows again as soon as it is answered
 * (closing the reporter instead would silence the rest of the run).
 */
export async function askWhilePaused<T>(reporter: Reporter, ask: () => Promise<T>): Promise<T> {
  reporter.pause();
  try {
    return await ask();
  } finally {
    reporter.resume();
  }
}

export type ReporterKind = 'tty' | 'plain' | 'json';

export interface ReporterChoice {
  /** Interactive terminal (the CLI context already says no under CI). */
  isTTY: boolean;
  output: 'text' | 'json';
  env: NodeJS.ProcessEnv;
}

/** The one place the renderer is chosen. */
export function reporterKind(c: ReporterChoice): ReporterKind {
  if (c.output === 'json') return 'json';
  const ci = c.env.CI !== undefined && c.env.CI !== '' && c.env.CI !== 'false' && c.env.CI !== '0';
  if (!c.isTTY || ci || c.env.TERM === 'dumb') return 'plain';
  return 'tty';
}

/**
 * Progress always goes to `err` (stderr): stdout is kept for the result. With --output json
 * nothing but warnings and --verbose diagnostics is written, as plain lines.
 */
export function makeReporterFor(c: ReporterChoice & { err: NodeJS.WritableStream; verbose?: boolean }): Reporter {
  const kind = reporterKind(c);
  if (kind === 'tty') return ttyReporter(c.err, { colour: colourEnabled(c.env, true) });
  const plain = plainReporter(c.err);
  if (kind === 'plain') return plain;
  return {
    event: (e) => (c.verbose ? plain.event(e) : undefined),
    info: (m) => (c.verbose ? plain.info(m) : undefined),
    warn: (m) => plain.warn(m),
    log: (m) => plain.log(m),
    pause: () => plain.pause(),
    resume: () => plain.resume(),
    close: () => plain.close(),
  };
}
