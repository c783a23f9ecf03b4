import type { EngineEvent } from '../engine/types.js';

/** How progress reaches the user: a renderer per environment, chosen by the CLI. */
export interface Reporter {
  event(e: EngineEvent): void;
  info(message: string): void;
  warn(message: string): void;
  close(): void;
}

export type ReporterKind = 'tty' | 'plain' | 'json';

/** Plain lines with timestamps for CI and pipes: no spinners, no colour codes. */
export function plainReporter(out: NodeJS.WritableStream, now: () => Date = () => new Date()): Reporter {
  const line = (s: string): void => {
    out.write(`${now().toISOString().slice(11, 19)} ${s}\n`);
  };
  return {
    event(e) {
      if (e.type === 'start') line(`${e.title}: ${e.action === 'find' ? 'checking' : e.action === 'create' ? 'creating' : e.action === 'wait' ? 'waiting' : 'deleting'}`);
      else if (e.type === 'progress') line(`${e.title}: ${e.message}`);
      else line(`${e.title}: ${e.outcome}${e.outcome === 'failed' && e.error ? ` — ${(e.error as Error).message}` : ''} (${(e.durationMs / 1000).toFixed(1)} s)`);
    },
    info: (m) => line(m),
    warn: (m) => line(`warning: ${m}`),
    close() {},
  };
}
