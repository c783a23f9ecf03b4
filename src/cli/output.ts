import { plainReporter, type Reporter } from '../ui/reporter.js';
import type { CliContext } from './context.js';
import type { CommonOptions } from './options.js';

/** Progress goes to stderr; stdout is kept for the result (one JSON document with --output json). */
export function makeReporter(opts: CommonOptions, ctx: CliContext): Reporter {
  if (opts.output === 'json') {
    return { event() {}, info() {}, warn: (m) => void ctx.stderr.write(`warning: ${m}\n`), close() {} };
  }
  return plainReporter(ctx.stderr);
}

/** Prints a command's result: one JSON document, or readable text. */
export function printResult(ctx: CliContext, opts: CommonOptions, result: object): void {
  if (opts.output === 'json') {
    ctx.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  const r = result as { stack?: string; url?: string; dryRun?: boolean; steps?: { title: string; outcome: string }[] };
  for (const s of r.steps ?? []) ctx.stdout.write(`  ${s.outcome.padEnd(13)} ${s.title}\n`);
  if (r.url) ctx.stdout.write(`\nURL: ${r.url}\n`);
}
