import { parseExecRequest, prepareExec, startExec, type ExecCheck, type ExecFlags } from '../../tasks/exec.js';
import { pluginArgs, runPlugin } from '../../tasks/session-plugin.js';
import { targetService } from '../../tasks/target.js';
import type { CliContext } from '../context.js';
import { terminalHandedOff } from '../interrupt.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, preflight, readExistingStack } from '../stack.js';

export interface ExecCommandFlags extends CommonFlags, ExecFlags {
  service?: string;
}

/** `--output json` after the session: what was reached and how the session ended. */
export interface ExecResult {
  stack: string;
  service: string;
  taskArn: string;
  container: string;
  command: string;
  exitCode: number;
  checks: ExecCheck[];
  calls: { mutating: number; read: number };
}

/**
 * `ecs-wizard exec [STACK] [--service NAME] [--task ID] [--container NAME] [-- CMD]`: a shell (by
 * default /bin/sh) in a running container through ECS Exec. Five checks first, each failure exit 2
 * with its fix; then ExecuteCommand, and the session handed to session-manager-plugin exactly as
 * the AWS CLI does. The exit status is the plugin's.
 */
export async function exec(stackArg: string | undefined, command: string[], flags: ExecCommandFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const req = parseExecRequest(flags, command);
  const { stack, state } = await readExistingStack(opts, stackArg, ctx, 'exec');
  const target = targetService(state, flags.service, 'exec');
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
  try {
    const region = await preflight(aws);
    const env = { aws, region, env: ctx.env };
    const prepared = await prepareExec(env, target, req, (m) => reporter.warn(m));
    const session = await startExec(env, target, prepared, req, opts.profile ?? ctx.env.AWS_PROFILE ?? '');
    reporter.info(`Session ${session.session.sessionId} to ${prepared.container.name} in task ${session.taskId}: \`exit\` ends it.`);
    reporter.close();
    // With --output json stdout carries the result alone: the session's output goes to stderr.
    const exitCode = await runPlugin(prepared.pluginPath, pluginArgs(session), {
      env: ctx.env,
      stdout: opts.output === 'json' ? 'stderr' : 'inherit',
      whileRunning: (running) => void (terminalHandedOff.toChild = running),
    });
    const result: ExecResult = { stack, service: target.name, taskArn: prepared.task.taskArn!, container: prepared.container.name!, command: req.command, exitCode, checks: prepared.checks, calls: calls.counts };
    if (opts.output === 'json') printResult(ctx, opts, result);
    else ctx.resultPrinted = true;
    return exitCode;
  } finally {
    reporter.close();
    aws.destroy();
  }
}
