import type { Reporter } from './reporter.js';
import { OUTCOME_WORDS, START_WORDS, errorLine, formatDuration } from './style.js';

/**
 * For CI logs and pipes: one timestamped line per event, no spinner, no escape codes, so a log
 * reads top to bottom and greps well.
 */
export function plainReporter(out: NodeJS.WritableStream, now: () => Date = () => new Date()): Reporter {
  // While a prompt has the terminal, lines wait (with the time they happened) until it is answered.
  let held: string[] | undefined;
  const line = (s: string): void => {
    const text = `${now().toISOString().slice(11, 19)} ${s}\n`;
    if (held) held.push(text);
    else out.write(text);
  };
  const flush = (): void => {
    if (held?.length) out.write(held.join(''));
    held = undefined;
  };
  return {
    event(e) {
      if (e.type === 'start') line(`${e.title}: ${e.verb ?? START_WORDS[e.action]}`);
      else if (e.type === 'progress') line(`${e.title}: ${e.message}`);
      else {
        const why = e.outcome === 'failed' && e.error ? ` — ${errorLine(e.error)}` : '';
        line(`${e.title}: ${e.word ?? OUTCOME_WORDS[e.outcome]}${why} (${formatDuration(e.durationMs)})`);
      }
    },
    info: (m) => line(m),
    warn: (m) => line(`warning: ${m}`),
    log: (m) => line(m),
    pause() {
      held ??= [];
    },
    resume: flush,
    close: flush,
  };
}
