import type { StepOutcome } from '../engine/types.js';

/**
 * Colour is a property of the destination, decided once: only on a terminal, never when NO_COLOR
 * is set (https://no-color.org) or FORCE_COLOR=0. FORCE_COLOR=1.. turns it on for a pipe.
 */
export function colourEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (env.TERM === 'dumb') return false;
  return isTTY;
}

export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string): string => s;

export function style(enabled: boolean): Style {
  if (!enabled) return { green: identity, red: identity, yellow: identity, cyan: identity, dim: identity, bold: identity };
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}

/** "0.4 s", "42 s", "3 m 05 s": short enough for a status line, exact enough for a log. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** What an outcome reads as in a sentence. */
export const OUTCOME_WORDS: Record<StepOutcome, string> = {
  created: 'created',
  exists: 'already exists',
  'would-create': 'would be created',
  waited: 'ready',
  destroyed: 'deleted',
  absent: 'already gone',
  kept: 'kept (not ours)',
  skipped: 'skipped',
  interrupted: 'interrupted',
  failed: 'FAILED',
};

export type Mark = 'done' | 'failed' | 'interrupted' | 'skipped' | 'planned';

export function markOf(outcome: StepOutcome): Mark {
  if (outcome === 'failed') return 'failed';
  if (outcome === 'interrupted') return 'interrupted';
  if (outcome === 'skipped') return 'skipped';
  if (outcome === 'would-create') return 'planned';
  return 'done';
}

/** The one-line reason of a failure, for progress lines (the full error comes at the end). */
export function errorLine(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string };
  if (!e) return 'failed';
  const code = typeof e.code === 'string' ? e.code : e.name && e.name !== 'Error' && e.name !== 'WizardError' ? e.name : undefined;
  const first = (e.message ?? String(err)).split('\n')[0] ?? '';
  return code && !first.startsWith(code) ? `${code}: ${first}` : first;
}

/** Progress messages from poll() end in "(42 s)"; a live display shows its own clock instead. */
export function stripElapsed(message: string): string {
  return message.replace(/\s*\(\d+ s\)$/, '');
}

export const START_WORDS = { find: 'checking', create: 'creating', wait: 'waiting', destroy: 'deleting' } as const;
