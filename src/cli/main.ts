import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { EXIT, exitCodeFor } from './exit.js';
import { WizardError, isWizardError } from '../errors.js';
import { formatError, isPromptExit } from './errors-format.js';
import { INTERRUPT_NOTICE, interruptNotice, quitNotice, runController, terminalHandedOff } from './interrupt.js';
import type { CliContext } from './context.js';

/**
 * The command table. Command modules (and with them the AWS SDK and Inquirer.js) are imported only
 * when their command runs, so `--help` and `--version` stay fast.
 */
export function buildProgram(run: (load: () => Promise<number>) => Promise<void>, getCtx: () => CliContext): Command {
  const program = new Command('ecs-wizard')
    .description('Build a load-balanced, auto-scaled Amazon ECS cluster on EC2 from nothing — and tear it down without orphans.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', PROGRAM_HELP);

  const common = (cmd: Command): Command =>
    cmd
      .option('--state-dir <dir>', 'where stack states live: a directory or s3://BUCKET/PREFIX (default ./.ecs-wizard, or ECS_WIZARD_STATE_DIR)')
      .option('--lock-timeout <duration>', "wait this long (e.g. 30s, 5m) for a stack another run has locked, instead of failing at once")
      .option('--region <region>', 'AWS region (default: answers file, AWS_REGION, profile)')
      .option('--profile <profile>', 'AWS shared-config profile')
      .option('--endpoint-url <url>', 'send every AWS call to this endpoint (e.g. a local emulator)')
      .addOption(new Option('--output <format>', 'result format').choices(['text', 'json']).default('text'))
      .option('--concurrency <n>', 'how many steps may run at once (1 = sequential)')
      .option('--wait-timeout <seconds>', 'give up waiting after this long (default 900)')
      .option('-v, --verbose', 'log every AWS call and show stack traces');

  common(
    program
      .command('create')
      .description('ask (or read an answers file), show the plan, then provision the whole stack')
      .option('--answers <file>', 'answers file (YAML or JSON); only missing answers are asked')
      .option('--advanced', 'ask every question, section by section (default: stack, region, image and port, then a review to customize)')
      .option('-y, --yes', 'accept defaults for anything missing and do not ask for confirmation')
      .option('--dry-run', 'show what would be created and what exists; change nothing')
      .option('--save-answers <file>', 'write the final answers to a file, to replay with --answers')
      .option('--no-wait', 'do not wait for the ALB, instances and service to become ready'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard create\n  ecs-wizard create --advanced\n  ecs-wizard create --answers stack.yaml --yes\n  ecs-wizard create --answers stack.yaml --dry-run')
    .action((flags) => run(async () => (await import('./commands/create.js')).create(flags, getCtx())));

  common(
    program
      .command('destroy [stack]')
      .description('delete everything the stack created, in reverse order, and verify nothing is left')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--discover', 'find resources by the ecs-wizard:stack tag when the state file is missing or stale')
      .option('--force-ecr', 'delete the ECR repository the stack created even if it still holds images'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard destroy shop-web\n  ecs-wizard destroy shop-web --yes --discover')
    .action((stack, flags) => run(async () => (await import('./commands/destroy.js')).destroy(stack, flags, getCtx())));

  common(program.command('status [stack]').description('show what exists, whether it is healthy, and where it is'))
    .addHelpText('after', '\nExamples:\n  ecs-wizard status shop-web\n  ecs-wizard status shop-web --output json')
    .action((stack, flags) => run(async () => (await import('./commands/status.js')).status(stack, flags, getCtx())));

  common(
    program
      .command('scale [stack]')
      .description("change the service's task count and auto scaling bounds, or the Auto Scaling group's instance bounds")
      .option('--service <name>', 'the service whose tasks the --*-count flags change, on a stack of several')
      .option('--desired-count <n>', 'tasks the service should run now')
      .option('--min-count <n>', 'fewest tasks service auto scaling may go to')
      .option('--max-count <n>', 'most tasks service auto scaling may go to')
      .option('--min-size <n>', 'fewest instances in the Auto Scaling group')
      .option('--max-size <n>', 'most instances in the Auto Scaling group')
      .option('--desired-capacity <n>', 'instances the Auto Scaling group should run now'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard scale shop-web --desired-count 4 --max-count 8\n  ecs-wizard scale shop-web --max-size 6 --output json')
    .action((stack, flags) => run(async () => (await import('./commands/scale.js')).scale(stack, flags, getCtx())));

  // `hosts refresh … --output json`: the flags after `refresh` are refresh's own, not `hosts`'s.
  program.enablePositionalOptions();
  const hostsCmd = common(program.command('hosts').argument('[stack]').enablePositionalOptions().description("list the stack's EC2 instances: type, AMI and its age, whether each is current, its ECS agent and tasks"))
    .addHelpText('after', '\nExamples:\n  ecs-wizard hosts shop-web\n  ecs-wizard hosts shop-web --output json\n  ecs-wizard hosts refresh shop-web')
    .action((stack, flags) => run(async () => (await import('./commands/hosts.js')).hosts(stack, flags, getCtx())));
  common(
    hostsCmd
      .command('refresh [stack]')
      .description('move the hosts onto the latest ECS-optimized AMI and the launch settings, one at a time, without dropping a task')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--dry-run', 'show what would be replaced; change nothing'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard hosts refresh shop-web\n  ecs-wizard hosts refresh shop-web --yes --output json')
    .action((stack, flags) => run(async () => (await import('./commands/hosts.js')).hostsRefresh(stack, flags, getCtx())));

  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  common(
    program
      .command('deploy [stack]')
      .description('ship a new revision: the running one with only the changes asked for, rolled out and watched phase by phase')
      .option('--service <name>', 'the service, on a stack of several (see `status`)')
      .option('--image <ref>', 'the image to run (e.g. nginx:1.27, or <repository-uri>:<tag> of the stack\'s ECR repository)')
      .option('--env <KEY=VALUE>', 'set an environment variable (repeatable)', collect)
      .option('--unset-env <KEY>', 'remove an environment variable (repeatable)', collect)
      .option('--force', 'start new tasks even when nothing changes (they pull the image again, e.g. a moved :latest)')
      .option('--no-wait', 'do not watch the rollout (`releases` shows how it ends)'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard deploy shop-web --image nginx:1.27\n  ecs-wizard deploy shop-web --env LOG_LEVEL=debug --unset-env OLD_FLAG\n  ecs-wizard deploy shop-web --force')
    .action((stack, flags) => run(async () => (await import('./commands/deploy.js')).deploy(stack, flags, getCtx())));

  common(
    program
      .command('rollback [stack]')
      .description('go back to the previous successful release (or the revision given), watched the same way')
      .option('--service <name>', 'the service, on a stack of several (see `status`)')
      .option('--to <revision>', 'the task definition revision to go back to (see `releases`)')
      .option('--no-wait', 'do not watch the rollout'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard rollback shop-web\n  ecs-wizard rollback shop-web --to 4')
    .action((stack, flags) => run(async () => (await import('./commands/deploy.js')).rollback(stack, flags, getCtx())));

  common(program.command('releases [stack]').description('the release history, newest first: revision, image, result, started, duration, by whom').option('--service <name>', 'the service, on a stack of several (see `status`)'))
    .addHelpText('after', '\nExamples:\n  ecs-wizard releases shop-web\n  ecs-wizard releases shop-web --output json')
    .action((stack, flags) => run(async () => (await import('./commands/releases.js')).releases(stack, flags, getCtx())));

  common(
    program
      .command('logs [stack]')
      .description("the containers' output from the stack's log group, in time order, each line with its task id")
      .option('--service <name>', 'only this service, on a stack of several (without it: all, each line prefixed [service])')
      .option('--since <when>', 'from this long ago (10m, 2h, 1d) or this ISO-8601 time (default 10m)')
      .option('-f, --follow', 'keep printing new events until Ctrl-C')
      .option('--filter <pattern>', 'only events matching this CloudWatch Logs filter pattern')
      .option('--task <id>', 'only this task (its id, the start of it, or its ARN)'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard logs shop-web --since 1h\n  ecs-wizard logs shop-web --follow --filter ERROR\n  ecs-wizard logs shop-web --output json   (one JSON object per line)')
    .action((stack, flags) => run(async () => (await import('./commands/logs.js')).logs(stack, flags, getCtx())));

  // `run STACK -- CMD…` and `exec STACK -- CMD…`: what follows `--` is the container's command,
  // never a flag of ours; what comes before it (at most one word) is the stack.
  const split = (stack: string | undefined, rest: string[]): { stack?: string; command: string[] } => {
    const operands = [stack, ...rest].filter((x): x is string => x !== undefined);
    // commander keeps the words as given (untyped): only they tell what came after `--`.
    const raw = (program as unknown as { rawArgs: string[] }).rawArgs;
    const dash = raw.indexOf('--');
    const after = dash < 0 ? 0 : raw.length - dash - 1;
    const before = operands.slice(0, operands.length - after);
    if (before.length > 1) {
      throw new WizardError('USAGE', `Put the command after \`--\`: ecs-wizard … ${before[0]} -- ${operands.slice(1).join(' ')}`, {
        problems: [{ path: 'CMD', message: `must follow \`--\` (got "${before.slice(1).join(' ')}" before it)` }],
      });
    }
    return { ...(before[0] !== undefined ? { stack: before[0] } : {}), command: operands.slice(before.length) };
  };
  common(
    program
      .command('run')
      .argument('[stack]')
      .argument('[cmd...]', 'after --: the command the task runs')
      .description("run one task from the service's current task definition with another command (a migration, a backfill), stream its output, exit with its exit code")
      .option('--service <name>', 'the service whose task definition to run (required when the stack has several)')
      .option('--image <ref>', 'run this image instead (a revision registered for this run, deregistered once the task is placed)')
      .option('--env <KEY=VALUE>', 'set an environment variable for this task (repeatable)', collect)
      .option('--cpu <units>', 'CPU units for the container (1024 = one vCPU)')
      .option('--memory <MiB>', 'memory for the container, in MiB')
      .option('--detach', 'print the task ARN and exit at once'),
  )
    .addHelpText('after', "\nExamples:\n  ecs-wizard run shop-web -- ./manage.py migrate\n  ecs-wizard run shop-web --env DRY_RUN=1 -- sh -c 'node scripts/backfill.js'\n  ecs-wizard run shop-web --image ghcr.io/acme/shop:4.3 --output json -- ./migrate\n  ecs-wizard run shop-web --detach -- sleep 3600")
    .action((stack, rest, flags) => run(async () => {
      const { stack: name, command } = split(stack, rest);
      return (await import('./commands/run.js')).run(name, command, flags, getCtx());
    }));

  common(
    program
      .command('exec')
      .argument('[stack]')
      .argument('[cmd...]', 'after --: the command to run (default /bin/sh)')
      .description('open a shell (or run one command) in a running container through ECS Exec, after checking everything it needs')
      .option('--service <name>', 'the service whose task to reach (required when the stack has several)')
      .option('--task <id>', 'the task (its id, the start of it, or its ARN; default: the newest running task of the service)')
      .option('--container <name>', "the container (default: the service's, app)"),
  )
    .addHelpText('after', "\nExamples:\n  ecs-wizard exec shop-web\n  ecs-wizard exec shop-web --task 0f3c… -- ls -la /app\n\nNeeds AWS's session-manager-plugin, and service.exec: true in the answers (ECS Exec is off by default).")
    .action((stack, rest, flags) => run(async () => {
      const { stack: name, command } = split(stack, rest);
      return (await import('./commands/exec.js')).exec(name, command, flags, getCtx());
    }));

  common(
    program
      .command('export [stack]')
      .description("write the stack as infrastructure as code (a CloudFormation template that builds the same shape), from its recorded answers or an answers file — no AWS call")
      .option('--answers <file>', 'export this answers file instead of a stack\'s recorded answers')
      .option('--format <format>', 'the format to write: cloudformation')
      .option('--out <file>', 'write the template to this file (default: stdout)'),
  )
    .addHelpText(
      'after',
      "\nExamples:\n  ecs-wizard export shop-web --format cloudformation --out shop-web.yaml\n  ecs-wizard export --answers stack.yaml --format cloudformation\n\nThe recorded answers are enough: export makes no AWS call (a state kept in S3 is read, nothing else).\nNot carried over: the release history and the state. See the README, 'Leaving ecs-wizard'.",
    )
    .action((stack, flags) => run(async () => (await import('./commands/export.js')).exportCommand(stack, flags, getCtx())));

  common(program.command('list').description("list the stacks in the state directory or S3 prefix (reads their states only, not their resources)"))
    .addHelpText('after', '\nExamples:\n  ecs-wizard list\n  ecs-wizard list --state-dir ~/stacks --output json\n  ecs-wizard list --state-dir s3://my-team-state/ecs-wizard')
    .action((flags) => run(async () => (await import('./commands/list.js')).list(flags, getCtx())));

  common(
    program
      .command('unlock <stack>')
      .description("show who holds a stack's lock and remove it (for a run that died holding it)")
      .option('-y, --yes', 'do not ask for confirmation'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard unlock shop-web\n  ecs-wizard unlock shop-web --yes --state-dir s3://my-team-state/ecs-wizard')
    .action((stack, flags) => run(async () => (await import('./commands/unlock.js')).unlock(stack, flags, getCtx())));

  const state = program.command('state').description('set up and move where stack states are kept');
  common(state.command('init <bucket>').description('create (or complete) an S3 bucket for states: versioning, default encryption, public access blocked'))
    .addHelpText('after', '\nExamples:\n  ecs-wizard state init s3://my-team-state --region eu-west-1')
    .action((bucket, flags) => run(async () => (await import('./commands/state.js')).stateInit(bucket, flags, getCtx())));
  common(
    state
      .command('migrate <stack>')
      .description("move a stack's state from --state-dir to another directory or S3 prefix, under its lock")
      .option('--to <location>', 'where to move it: a directory or s3://BUCKET/PREFIX'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard state migrate shop-web --to s3://my-team-state/ecs-wizard\n  ecs-wizard state migrate shop-web --state-dir s3://my-team-state/ecs-wizard --to ./.ecs-wizard')
    .action((stack, flags) => run(async () => (await import('./commands/state.js')).stateMigrate(stack, flags, getCtx())));

  const iam = program.command('iam').description("set up an account's IAM for ecs-wizard (an administrator, once per account)");
  // Only the flags that mean something for an account (no state, no stack).
  iam
    .command('bootstrap')
    .description('make the permissions boundary every stack role carries (or update it), and print the operator policy for the account')
    .option('--dry-run', 'say what would be made or updated; change nothing')
    .option('--region <region>', 'AWS region: its partition names the ARNs (default: AWS_REGION, profile)')
    .option('--profile <profile>', 'AWS shared-config profile (an administrator\'s)')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (e.g. a local emulator)')
    .addOption(new Option('--output <format>', 'result format').choices(['text', 'json']).default('text'))
    .option('-v, --verbose', 'log every AWS call and show stack traces')
    .addHelpText('after', '\nExamples:\n  ecs-wizard iam bootstrap --profile admin > operator-policy.json\n  ecs-wizard iam bootstrap --region cn-north-1 --output json')
    .action((flags) => run(async () => (await import('./commands/iam.js')).iamBootstrap(flags, getCtx())));

  return program;
}

const PROGRAM_HELP = `
Examples:
  ecs-wizard create                                  ask 4 questions, review (customize any section), provision, print the URL
  ecs-wizard create --answers stack.yaml --yes       the same, non-interactive (CI)
  ecs-wizard create --advanced                       every question, section by section
  ecs-wizard status shop-web                         what exists, is it healthy, where is it
  ecs-wizard scale shop-web --desired-count 4        change task or instance counts
  ecs-wizard hosts shop-web                          the EC2 hosts: AMI, age, current or not
  ecs-wizard hosts refresh shop-web                  patch the hosts onto the latest ECS AMI, no task dropped
  ecs-wizard deploy shop-web --image nginx:1.27      ship a new image (rollback, releases, logs: day 2)
  ecs-wizard run shop-web -- ./manage.py migrate     a one-off task: its output streamed, its exit code returned
  ecs-wizard exec shop-web                           a shell in a running container (ECS Exec)
  ecs-wizard export shop-web --format cloudformation the stack as a CloudFormation template (a way out)
  ecs-wizard list                                    the stacks this directory knows
  ecs-wizard destroy shop-web --yes                  delete everything the stack made
  ecs-wizard state init s3://my-team-state           a bucket to share states (then --state-dir s3://…)
  ecs-wizard iam bootstrap                           an administrator, once per account: the roles' permissions
                                                     boundary, and the operator policy to give everyone else
  ecs-wizard unlock shop-web                         clear the lock a dead run left

Exit codes: 0 done · 1 failed (AWS or runtime; status: not healthy) · 2 bad input or usage (no AWS call made)
            130 interrupted (state saved: run the same command again to resume)
Environment: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ECS_WIZARD_STATE_DIR, NO_COLOR, CI
Run \`ecs-wizard <command> --help\` for a command's flags.`;

export async function main(argv: string[]): Promise<void> {
  // The pinned SDK supports Node 20; its notice about future versions is noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A reader that went away (`ecs-wizard list | head -1`) is not a failure, and must not crash a
  // run half way: what would have been printed is dropped, the command carries on to its end.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
  const controller = runController();
  let ctx: CliContext | undefined;
  const getCtx = (): CliContext => ctx!;
  let interrupts = 0;
  const onSigint = (): void => {
    // The session's own Ctrl-C (exec): the plugin and the shell at the other end act on it.
    if (terminalHandedOff.toChild) return;
    interrupts++;
    if (interrupts === 1) {
      // A live progress display prints the notice itself (above its block), during the abort.
      controller.abort();
      if (!interruptNotice.shown) process.stderr.write(`\n${INTERRUPT_NOTICE}\n`);
    } else if (interrupts === 2) {
      if (quitNotice.message) process.stderr.write(`\n${quitNotice.message}\n`);
      // Every state write is atomic, so the stored state is intact whatever is in flight. Locks are
      // released first (a remote one takes a request; bounded), so the next run is not blocked.
      void import('../engine/store.js')
        .then((m) => m.releaseHeldLocks(3000))
        .finally(() => process.exit(EXIT.interrupted));
    } else {
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);

  let verbose = argv.includes('--verbose') || argv.includes('-v');
  const run = async (load: () => Promise<number>): Promise<void> => {
    const { processContext } = await import('./context.js');
    ctx = processContext(controller.signal);
    process.exitCode = await load();
  };
  const program = buildProgram(run, getCtx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage errors were already printed.
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.usage;
    } else {
      process.stderr.write(formatError(err, verbose));
      // Ctrl-C inside an Inquirer prompt arrives as ExitPromptError (raw mode swallows SIGINT).
      process.exitCode = isPromptExit(err) ? EXIT.interrupted : exitCodeFor(err);
    }
    // With --output json a script reads stdout: it gets one JSON document even when the command failed.
    if (jsonRequested(argv) && !ctx?.resultPrinted && process.exitCode !== 0) {
      process.stdout.write(JSON.stringify(errorDocument(err, Number(process.exitCode)), null, 2) + '\n');
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  verbose = false;
}

function jsonRequested(argv: string[]): boolean {
  const i = argv.indexOf('--output');
  return (i >= 0 && argv[i + 1] === 'json') || argv.includes('--output=json');
}

/** The result document of a command that failed before it could print its own. */
function errorDocument(err: unknown, exitCode: number): object {
  const e = err as { code?: string; name?: string; message?: string; hint?: string; problems?: unknown[] };
  const code = isWizardError(err) ? err.code : err instanceof CommanderError ? 'USAGE' : (e?.name ?? 'Error');
  return {
    ok: false,
    exitCode,
    error: {
      code,
      message: e?.message ?? String(err),
      ...(e?.hint ? { hint: e.hint } : {}),
      ...(e?.problems?.length ? { problems: e.problems } : {}),
    },
  };
}
