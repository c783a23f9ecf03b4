import { WizardError, isWizardError } from '../../errors.js';
import { stackTags } from '../../aws/tags.js';
import { checkRunAgainst, neverRan, parseRunRequest, startRun, stopRun, stopTaskCommand, watchRun, type RunEnv, type RunFlags, type RunOutcome, type StartedRun } from '../../tasks/run.js';
import { targetService } from '../../tasks/target.js';
import { askWhilePaused } from '../../ui/reporter.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import { inquirerPrompter } from '../../wizard/prompter.js';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit.js';
import { interruptNotice, quitNotice } from '../interrupt.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, preflight, readExistingStack } from '../stack.js';

export interface RunCommandFlags extends CommonFlags, RunFlags {
  service?: string;
}

/** `--output json`: the run's result (the keys are a contract: DESIGN.md). */
export interface RunResult {
  stack: string;
  service: string;
  taskArn: string;
  exitCode: number | null;
  stoppedReason: string | null;
  startedAt: string | null;
  stoppedAt: string | null;
  stopCode?: string;
  detached?: true;
  /** A revision registered for --image (deregistered once the task was placed). */
  oneOffRevision?: string;
  calls: { mutating: number; read: number };
}

/**
 * `ecs-wizard run [STACK] [--service NAME] … -- CMD [ARG…]`: one task from the service's current
 * task definition with CMD, its log lines streamed, exiting with the essential container's exit
 * code (1 when it never ran, with ECS's reason). `--detach` prints the task ARN and exits 0.
 * Ctrl-C asks whether to stop the task (default yes; without a terminal it is stopped).
 */
export async function run(stackArg: string | undefined, command: string[], flags: RunCommandFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const req = parseRunRequest(flags, command);
  const { stack, state } = await readExistingStack(opts, stackArg, ctx, 'run');
  const target = targetService(state, flags.service, 'run');
  const answers = validateAnswers(state.answers);
  checkRunAgainst(req, target, target.secrets);

  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
  // Ctrl-C is answered here (stop the task or leave it), not with create's "saving the state".
  interruptNotice.shown = true;
  let started: StartedRun | undefined;
  try {
    await preflight(aws);
    const env: RunEnv = {
      aws,
      timing: { ...ctx.timing, timeoutMs: opts.waitTimeoutMs },
      signal: ctx.signal,
      tags: [...stackTags(stack, undefined, answers.tags), { Key: 'ecs-wizard:service', Value: target.name }],
    };
    const hooks = { progress: (m: string) => reporter.info(m), warn: (m: string) => reporter.warn(m) };
    started = await startRun(env, target, req, hooks);
    const base = { stack, service: target.name, taskArn: started.taskArn, ...(started.oneOffRevision ? { oneOffRevision: started.oneOffRevision.arn } : {}) };
    if (req.detach) {
      reporter.close();
      const result: RunResult = { ...base, exitCode: null, stoppedReason: null, startedAt: null, stoppedAt: null, detached: true, calls: calls.counts };
      if (opts.output === 'json') printResult(ctx, opts, result);
      else {
        ctx.resultPrinted = true;
        ctx.stdout.write(`${started.taskArn}\n`);
        ctx.stderr.write(`Started task ${started.taskId}${started.enableExecuteCommand ? ` (reach it with \`ecs-wizard exec ${stack} --task ${started.taskId}\`)` : ''}. Follow it with \`ecs-wizard logs ${stack} --task ${started.taskId} --follow\`; stop it with \`${stopTaskCommand(started)}\`.\n`);
      }
      return 0;
    }
    quitNotice.message = `Task ${started.taskId} is left running: stop it with \`${stopTaskCommand(started)}\`.`;
    if (ctx.signal.aborted) return await interrupted(started, env, ctx, opts.output, reporter);
    reporter.info(`Started task ${started.taskId}: waiting for it to stop${target.logGroup ? ', its output below' : ' (the service does not log: no output is shown)'}. Ctrl-C asks whether to stop it.`);
    // The task's output is the command's: on stdout, except with --output json (then stderr, beside the progress).
    const out = opts.output === 'json' ? ctx.stderr : ctx.stdout;
    let outcome: RunOutcome;
    try {
      outcome = await watchRun(env, target, started, { ...hooks, logLine: (l) => void out.write(`${l.message}\n`) });
    } catch (err) {
      if (isWizardError(err, 'INTERRUPTED') || ctx.signal.aborted) return await interrupted(started, env, ctx, opts.output, reporter);
      throw err;
    }
    quitNotice.message = undefined;
    reporter.close();
    const result: RunResult = {
      ...base,
      exitCode: outcome.exitCode,
      stoppedReason: outcome.stoppedReason ?? null,
      startedAt: outcome.startedAt ?? null,
      stoppedAt: outcome.stoppedAt ?? null,
      ...(outcome.stopCode ? { stopCode: outcome.stopCode } : {}),
      calls: calls.counts,
    };
    if (opts.output === 'json') printResult(ctx, opts, result);
    else ctx.resultPrinted = true;
    if (outcome.exitCode === null) {
      ctx.stderr.write(`Task ${started.taskId} never ran its command: ${neverRan(outcome)}.\n`);
      return EXIT.failed;
    }
    const code = Math.max(0, Math.min(255, outcome.exitCode));
    if (opts.output === 'text') ctx.stderr.write(`Task ${started.taskId} exited with ${code}${outcome.containerReason ? ` (${outcome.containerReason})` : ''}.\n`);
    return code;
  } finally {
    reporter.close();
    aws.destroy();
  }
}

/**
 * Ctrl-C while the task runs: on a terminal, ask whether to stop it (default yes); without one,
 * stop it. Answering no, or Ctrl-C again, leaves it running and says how to stop it. Exit 130.
 */
async function interrupted(started: StartedRun, env: RunEnv, ctx: CliContext, output: 'text' | 'json', reporter: ReturnType<typeof makeReporter>): Promise<never> {
  const leave = `Task ${started.taskId} is left running: stop it with \`${stopTaskCommand(started)}\`.`;
  let stop = true;
  if (ctx.isTTY) {
    const screen = output === 'json' ? ctx.stderr : ctx.stdout;
    // A prompter of its own: the run's signal is already aborted.
    const prompter = await (ctx.prompter ?? inquirerPrompter)({ input: ctx.stdin, output: screen });
    try {
      stop = await askWhilePaused(reporter, () => prompter.confirm({ message: `Stop task ${started.taskId}?`, default: true }));
    } catch (err) {
      if (!isWizardError(err, 'INTERRUPTED')) throw err;
      stop = false;
    }
  }
  if (!stop) {
    quitNotice.message = undefined;
    ctx.stderr.write(`${leave}\n`);
    throw new WizardError('INTERRUPTED', `Interrupted: task ${started.taskId} is still running.`, { hint: `Stop it with \`${stopTaskCommand(started)}\`.` });
  }
  reporter.info(`Stopping task ${started.taskId}${ctx.isTTY ? '' : ' (no terminal to ask)'}…`);
  await stopRun(env, started);
  quitNotice.message = undefined;
  throw new WizardError('INTERRUPTED', `Interrupted: task ${started.taskId} was stopped.`);
}
