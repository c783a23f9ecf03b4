import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { isWizardError } from '../errors.js';
import { EXIT, exitCodeFor } from './exit.js';
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
    .exitOverride();

  const common = (cmd: Command): Command =>
    cmd
      .option('--state-dir <dir>', 'where state files live (default ./.ecs-wizard, or ECS_WIZARD_STATE_DIR)')
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
      .option('-y, --yes', 'accept defaults for anything missing and do not ask for confirmation')
      .option('--dry-run', 'show what would be created and what exists; change nothing')
      .option('--save-answers <file>', 'write the final answers to a file, to replay with --answers')
      .option('--no-wait', 'do not wait for the ALB, instances and service to become ready'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard create\n  ecs-wizard create --answers stack.yaml --yes\n  ecs-wizard create --answers stack.yaml --dry-run')
    .action((flags) => run(async () => (await import('./commands/create.js')).create(flags, getCtx())));

  common(
    program
      .command('destroy [stack]')
      .description('delete everything the stack created, in reverse order, and verify nothing is left')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--discover', 'find resources by the ecs-wizard:stack tag when the state file is missing or stale'),
  )
    .addHelpText('after', '\nExamples:\n  ecs-wizard destroy shop-web\n  ecs-wizard destroy shop-web --yes --discover')
    .action((stack, flags) => run(async () => (await import('./commands/destroy.js')).destroy(stack, flags, getCtx())));

  common(program.command('status [stack]').description('show what exists, whether it is healthy, and where it is'))
    .addHelpText('after', '\nExamples:\n  ecs-wizard status shop-web\n  ecs-wizard status shop-web --output json')
    .action((stack, flags) => run(async () => (await import('./commands/status.js')).status(stack, flags, getCtx())));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // The pinned SDK supports Node 20; its notice about future versions is noise on every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  let ctx: CliContext | undefined;
  const getCtx = (): CliContext => ctx!;
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nInterrupted: finishing the calls in flight and saving the state (Ctrl-C again to quit at once)…\n');
      controller.abort();
    } else {
      // Every state write is atomic, so the file on disk is intact whatever is in flight.
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
      reportError(err, verbose);
      process.exitCode = exitCodeFor(err);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  verbose = false;
}

function reportError(err: unknown, verbose: boolean): void {
  if (isWizardError(err)) {
    process.stderr.write(`Error: ${err.message}\n`);
    if (err.hint) process.stderr.write(`Hint: ${err.hint}\n`);
  } else {
    const e = err as Error;
    process.stderr.write(`Error: ${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}\n`);
  }
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}
