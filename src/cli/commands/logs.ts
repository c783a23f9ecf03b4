import { CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { WizardError } from '../../errors.js';
import { isNotFound, isThrottled } from '../../aws/errors.js';
import { followEvents, pacer, parseLogFlags, readEvents, toLine, type LogQuery } from '../../deploy/logs.js';
import { stackNames } from '../../steps/names.js';
import type { LogGroupOutputs } from '../../steps/outputs.js';
import { colourEnabled, style } from '../../ui/style.js';
import type { CliContext } from '../context.js';
import { interruptNotice } from '../interrupt.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter } from '../output.js';
import { serviceNames } from '../../steps/services.js';
import { awsTarget, callLog, preflight, readExistingStack } from '../stack.js';

export interface LogsFlags extends CommonFlags {
  since?: string;
  follow?: boolean;
  filter?: string;
  task?: string;
}

/** A word for a POSIX shell: as it is when it needs no quoting, else in single quotes. */
const shellQuote = (v: string): string => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);

/**
 * `ecs-wizard logs [STACK]`: the containers' output from the stack's log group, in time order,
 * each line prefixed with its task id. `--follow` keeps polling until Ctrl-C (exit 0). With
 * `--output json` every event is one JSON object on its own line — the one exception to "one
 * document", because logs stream.
 */
/** The names of the service named after the stack (part 2 of issue 23 picks a service with --service). */
const primaryNames = (stack: string) => serviceNames(stack, { name: stack, primary: true });

export async function logs(stackArg: string | undefined, flags: LogsFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const parsed = parseLogFlags(flags, Date.now());
  const { stack, state } = await readExistingStack(opts, stackArg, ctx, 'logs');
  const answers = state.answers as { service?: { logs?: boolean } } | undefined;
  if (answers?.service?.logs === false) {
    throw new WizardError('USAGE', `Container logs are off for ${stack} (service.logs: false): there is no log group to read.`, {
      problems: [{ path: 'service.logs', message: 'is false for this stack' }],
      hint: 'Set service.logs: true in the answers file and run `ecs-wizard create --answers FILE`; new tasks then log to /ecs/<stack>.',
    });
  }
  const group = (state.resources['log-group']?.outputs as Partial<LogGroupOutputs> | undefined)?.logGroupName ?? stackNames(stack).logGroup;
  const query: LogQuery = {
    logGroupName: group,
    startTime: parsed.startTime,
    ...(parsed.task ? { streamPrefix: `${primaryNames(stack).logStreamPrefix}/${primaryNames(stack).container}/${parsed.task}` } : {}),
    ...(parsed.filterPattern ? { filterPattern: parsed.filterPattern } : {}),
  };
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
  const s = style(colourEnabled(ctx.env, Boolean((ctx.stdout as { isTTY?: boolean }).isTTY)));
  // How far the output got: a throttled read says where to continue from.
  let printed = 0;
  let lastPrinted: string | undefined;
  const print = (e: FilteredLogEvent): void => {
    // Once a line is out, a failure must not add an error document to the stream (main would).
    ctx.resultPrinted = true;
    const line = toLine(e);
    printed++;
    lastPrinted = line.timestamp;
    ctx.stdout.write(opts.output === 'json' ? `${JSON.stringify(line)}\n` : `${s.dim(line.timestamp)} ${s.cyan(line.task.slice(0, 12))} ${line.message}\n`);
  };
  // One pace for every FilterLogEvents request of this command: its pages and --follow's polls.
  const pace = pacer(ctx.timing);
  try {
    await preflight(aws);
    const client = aws.get(CloudWatchLogsClient);
    if (flags.follow) {
      // Following ends only with Ctrl-C, and that is the normal way out: no "interrupted" notice, exit 0.
      interruptNotice.shown = true;
      if (opts.output === 'text') reporter.info(`Following ${group}${parsed.task ? ` (task ${parsed.task})` : ''}: Ctrl-C to stop.`);
      await followEvents(client, query, print, { sleep: ctx.timing.sleep, signal: ctx.signal, pacer: pace, minDelayMs: Math.min(1000, ctx.timing.maxDelayMs), maxDelayMs: Math.min(10_000, ctx.timing.maxDelayMs * 10) });
      return 0;
    }
    const count = await readEvents(client, query, print, { pacer: pace, signal: ctx.signal });
    if (ctx.signal.aborted) throw new WizardError('INTERRUPTED', 'Interrupted.');
    if (count === 0 && opts.output === 'text') reporter.info(`No log events in ${group} since ${new Date(parsed.startTime).toISOString()}${parsed.filterPattern ? ` matching ${parsed.filterPattern}` : ''}.`);
    return 0;
  } catch (err) {
    // A stack whose log group is gone (or never made): say so plainly.
    if (isNotFound(err)) {
      throw new WizardError('STATE_MISSING', `The log group ${group} does not exist.`, { hint: `Run \`ecs-wizard status ${stack}\`; \`ecs-wizard create --answers FILE\` makes it again.`, cause: err });
    }
    // Still throttled after the SDK's retries: say how far the output got and how to go on from there.
    if (isThrottled(err)) {
      const from = lastPrinted ?? new Date(parsed.startTime).toISOString();
      const again = ['ecs-wizard logs', stack, '--since', from, ...(flags.task ? ['--task', parsed.task!] : []), ...(parsed.filterPattern ? ['--filter', shellQuote(parsed.filterPattern)] : []), ...(flags.follow ? ['--follow'] : []), ...(opts.output === 'json' ? ['--output', 'json'] : [])].join(' ');
      throw new WizardError(
        'AWS',
        `CloudWatch Logs throttled the reads of ${group} (FilterLogEvents: 5 requests a second per account and region, shared with everyone reading logs there)${lastPrinted ? `: ${printed} event${printed === 1 ? '' : 's'} printed, the last at ${lastPrinted}` : ' before any event was printed'}.`,
        { hint: `Continue from there in a moment${lastPrinted ? ' (the events at that instant print again)' : ''}: ${again}`, cause: err },
      );
    }
    throw err;
  } finally {
    reporter.close();
    aws.destroy();
  }
}
