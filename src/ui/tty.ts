import { spinners } from 'ora';
import type { EngineEvent, StepOutcome } from '../engine/types.js';
import type { Reporter } from './reporter.js';
import { OUTCOME_WORDS, START_WORDS, errorLine, formatDuration, markOf, stripElapsed, style, type Style } from './style.js';

export interface TtyOptions {
  /** Milliseconds clock (tests pass a fixed one). */
  now?: () => number;
  colour?: boolean;
  /** Redraw on a timer so spinners turn and clocks tick (tests turn it off and see event redraws only). */
  animate?: boolean;
  /** At most this many running steps get a line of their own; the rest are summed up in one. */
  maxLines?: number;
}

interface Running {
  title: string;
  action: keyof typeof START_WORDS;
  /** The step's own word for its action ("updating"), when it has one. */
  verb?: string;
  startedAt: number;
  message?: string;
}

const ESC = '\x1b[';

/**
 * A live block on a terminal: finished steps scroll up as permanent lines (✔ ✖ –), below them one
 * line per running step with a spinner (ora's frames), what it is doing or waiting for, and how
 * long it has taken. Steps run in parallel, so a single spinner would hide most of them; the block
 * is redrawn in place (cursor up + erase), like log-update, and lines are cut to the terminal width
 * so that redrawing never leaves wrapped debris behind in tmux or narrow windows.
 */
export function ttyReporter(out: NodeJS.WritableStream & { columns?: number }, opts: TtyOptions = {}): Reporter {
  const now = opts.now ?? (() => Date.now());
  const s = style(opts.colour ?? true);
  const spinner = spinners.dots;
  const maxLines = opts.maxLines ?? 8;
  const running = new Map<string, Running>();
  let drawn = 0;
  let frame = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  // Paused while a prompt has the terminal: nothing is drawn, permanent lines wait here.
  let held: string[] | undefined;

  const width = (): number => Math.max(40, (out.columns || 80) - 1);

  const clear = (): void => {
    if (drawn > 0) out.write(`\r${ESC}${drawn}A${ESC}J`);
    drawn = 0;
  };

  const draw = (): void => {
    if (closed || held || running.size === 0) return;
    const f = spinner.frames[frame % spinner.frames.length]!;
    const lines: string[] = [];
    const all = [...running.values()];
    for (const r of all.slice(0, maxLines)) lines.push(runningLine(s, f, r, now() - r.startedAt, width()));
    if (all.length > maxLines) lines.push(s.dim(`  … and ${all.length - maxLines} more running`));
    out.write(lines.map((l) => `${l}\n`).join(''));
    drawn = lines.length;
  };

  /** Writes permanent lines above the live block. */
  const above = (text: string): void => {
    if (held) return void held.push(text);
    clear();
    out.write(text.endsWith('\n') ? text : `${text}\n`);
    draw();
  };

  const start = (): void => {
    if (opts.animate === false || timer || closed || held) return;
    timer = setInterval(() => {
      frame++;
      clear();
      draw();
    }, spinner.interval);
    timer.unref();
  };
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const stopIfIdle = (): void => {
    if (running.size === 0) stop();
  };
  const flush = (): void => {
    const lines = held ?? [];
    held = undefined;
    for (const l of lines) out.write(l.endsWith('\n') ? l : `${l}\n`);
  };

  return {
    event(e: EngineEvent) {
      if (closed) return;
      if (e.type === 'start') {
        const prev = running.get(e.stepId);
        // find → create is one step to the reader: keep its clock running.
        running.set(e.stepId, { title: e.title, action: e.action, verb: e.verb, startedAt: prev?.startedAt ?? now() });
        clear();
        draw();
        start();
      } else if (e.type === 'progress') {
        const r = running.get(e.stepId);
        if (r) r.message = e.message;
        else running.set(e.stepId, { title: e.title, action: 'wait', startedAt: now(), message: e.message });
        clear();
        draw();
      } else {
        running.delete(e.stepId);
        above(doneLine(s, e.title, e.outcome, e.durationMs, e.error, e.word));
        stopIfIdle();
      }
      frame++;
    },
    info: (m) => !closed && above(m),
    warn: (m) => !closed && above(s.yellow(`⚠ ${m}`)),
    log: (m) => !closed && above(s.dim(m)),
    pause() {
      if (closed || held) return;
      stop();
      clear();
      held = [];
    },
    resume() {
      if (closed || !held) return;
      flush();
      draw();
      if (running.size) start();
    },
    close() {
      if (closed) return;
      stop();
      clear();
      // Lines that came while a prompt had the terminal (a prompt that threw) are still said.
      flush();
      closed = true;
    },
  };
}

function runningLine(s: Style, frame: string, r: Running, elapsedMs: number, width: number): string {
  const what = r.message ? stripElapsed(r.message) : (r.verb ?? START_WORDS[r.action]);
  const clock = formatDuration(elapsedMs);
  const fixed = `${frame} ${r.title}: `.length + 2 + clock.length;
  return `${s.cyan(frame)} ${r.title}: ${truncate(what, width - fixed)}  ${s.dim(clock)}`;
}

function doneLine(s: Style, title: string, outcome: StepOutcome, durationMs: number, error: unknown, word?: string): string {
  const clock = s.dim(formatDuration(durationMs));
  switch (markOf(outcome)) {
    case 'failed':
      return `${s.red('✖')} ${title}: ${s.red(`failed — ${errorLine(error)}`)} ${clock}`;
    case 'skipped':
      return s.dim(`- ${title}: skipped`);
    case 'planned':
      return `${s.yellow('+')} ${title}: ${OUTCOME_WORDS[outcome]}`;
    default:
      return `${s.green('✔')} ${title}: ${outcome === 'created' || outcome === 'destroyed' || outcome === 'waited' ? (word ?? OUTCOME_WORDS[outcome]) : s.dim(word ?? OUTCOME_WORDS[outcome])} ${clock}`;
  }
}

function truncate(text: string, max: number): string {
  if (max <= 1) return '';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
