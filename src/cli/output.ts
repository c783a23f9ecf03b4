import { makeReporterFor, reporterKind, type Reporter } from '../ui/reporter.js';
import { INTERRUPT_NOTICE, interruptNotice } from './interrupt.js';
import { OUTCOME_WORDS, colourEnabled, style } from '../ui/style.js';
import type { StepOutcome } from '../engine/types.js';
import type { CliContext } from './context.js';
import type { CommonOptions } from './options.js';
import { plural } from '../words.js';

/** Progress goes to stderr; stdout is kept for the result (one JSON document with --output json). */
export function makeReporter(opts: CommonOptions, ctx: CliContext): Reporter {
  const reporter = makeReporterFor({ isTTY: ctx.isTTY, output: opts.output, env: ctx.env, err: ctx.stderr, verbose: opts.verbose });
  if (reporterKind({ isTTY: ctx.isTTY, output: opts.output, env: ctx.env }) === 'tty') {
    const onAbort = (): void => {
      // A command for which Ctrl-C is the normal way out (logs --follow) said so beforehand: it saves nothing.
      if (interruptNotice.shown) return;
      interruptNotice.shown = true;
      reporter.warn(INTERRUPT_NOTICE);
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const close = reporter.close.bind(reporter);
    reporter.close = () => {
      ctx.signal.removeEventListener('abort', onAbort);
      close();
    };
  }
  return reporter;
}

/**
 * The `calls` of a command that made no AWS call about a stack's resources (list, unlock, state
 * migrate): `calls` counts those, never the reads and writes that keep the states themselves.
 */
export const NO_CALLS = Object.freeze({ mutating: 0, read: 0 });

interface StepLine {
  title: string;
  outcome: string;
  /** The step's own word for the outcome ("up to date"): counted under it, not as "already exists". */
  word?: string;
  durationMs?: number;
  error?: string;
}

/**
 * Prints a command's result: one JSON document, or a short summary — the progress lines already
 * showed every step, so text mode sums them up, names failures again, and ends with the URL.
 */
export function printResult(ctx: CliContext, opts: CommonOptions, result: object): void {
  ctx.resultPrinted = true;
  if (opts.output === 'json') {
    ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const s = style(colourEnabled(ctx.env, Boolean((ctx.stdout as { isTTY?: boolean }).isTTY) && ctx.isTTY));
  const r = result as { stack?: string; url?: string; dryRun?: boolean; ok?: boolean; steps?: StepLine[]; note?: string };
  const steps = r.steps ?? [];
  if (steps.length) {
    const counts = new Map<string, number>();
    for (const st of steps) {
      const word = st.word ?? OUTCOME_WORDS[st.outcome as StepOutcome] ?? st.outcome;
      counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    const parts = [...counts].map(([word, n]) => `${n} ${word}`);
    const head = r.ok === false ? s.red('✖ Not finished') : r.dryRun ? s.yellow('Plan') : s.green('✔ Done');
    ctx.stdout.write(`\n${head}${r.stack ? ` — stack ${s.bold(r.stack)}` : ''}: ${plural(steps.length, 'step')} (${parts.join(', ')})\n`);
    if (r.dryRun) for (const st of steps.filter((x) => x.outcome === 'would-create')) ctx.stdout.write(`  + ${st.title}\n`);
    for (const st of steps.filter((x) => x.outcome === 'failed')) ctx.stdout.write(`  ${s.red('✖')} ${st.title}${st.error ? `: ${st.error.split('\n')[0]}` : ''}\n`);
  } else if (r.note) {
    ctx.stdout.write(`${r.note}\n`);
  }
  if (r.url) ctx.stdout.write(`\nURL: ${s.bold(r.url)}\n`);
}
