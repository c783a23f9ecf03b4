import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { WizardError, inputError, isWizardError, type Problem } from '../../errors.js';
import { EXPORT_FORMATS, exportStack, type ExportFormat } from '../../export/index.js';
import type { HostedZoneOutputs } from '../../steps/outputs.js';
import { readAnswersFile, validateAnswers } from '../../wizard/answers-file.js';
import type { Answers } from '../../wizard/schema.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags, type CommonOptions } from '../options.js';
import { NO_CALLS, printResult } from '../output.js';
import { noStack, openStore } from '../state-store.js';

export interface ExportFlags extends CommonFlags {
  answers?: string;
  format?: string;
  out?: string;
}

/**
 * `ecs-wizard export [STACK] [--answers FILE] --format cloudformation [--out FILE]`: the stack as
 * a template that builds the same shape, from its recorded answers or from an answers file. No
 * AWS call: the answers are enough (an S3 state location is read, nothing else).
 */
export async function exportCommand(stackArg: string | undefined, flags: ExportFlags, ctx: CliContext): Promise<number> {
  const { opts, format } = checkFlags(stackArg, flags, ctx);
  const source = flags.answers !== undefined ? { answers: validateAnswers(await readAnswersFile(flags.answers)) } : await recorded(opts, stackArg!, ctx);
  const result = exportStack(source.answers, format, { hostedZoneId: source.hostedZoneId });
  const stack = source.answers.stack;
  if (flags.out !== undefined) {
    await fs.mkdir(path.dirname(path.resolve(ctx.cwd, flags.out)), { recursive: true });
    await fs.writeFile(path.resolve(ctx.cwd, flags.out), result.text);
  }
  const summary = { stack, format, from: flags.answers !== undefined ? 'answers' : 'state', resources: result.resources, parameters: result.parameters, calls: NO_CALLS };
  if (opts.output === 'json') {
    printResult(ctx, opts, flags.out !== undefined ? { ...summary, out: flags.out } : { ...summary, template: result.text });
  } else if (flags.out !== undefined) {
    ctx.resultPrinted = true;
    ctx.stdout.write(
      `Wrote ${flags.out}: stack ${stack} as a CloudFormation template (${result.resources} resources; parameters ${result.parameters.join(', ')}).\n` +
        `Deploy it under a new stack name: aws cloudformation deploy --template-file ${flags.out} --stack-name ${stack}-cfn --capabilities CAPABILITY_IAM\n`,
    );
  } else {
    ctx.resultPrinted = true;
    ctx.stdout.write(result.text);
  }
  return 0;
}

/** Every problem with the flags at once (exit 2 before anything is read). */
function checkFlags(stackArg: string | undefined, flags: ExportFlags, ctx: CliContext): { opts: CommonOptions; format: ExportFormat } {
  const problems: Problem[] = [];
  const formats = EXPORT_FORMATS.join(', ');
  if (flags.format === undefined) problems.push({ path: '--format', message: `is required: --format ${EXPORT_FORMATS[0]} (the formats: ${formats})` });
  else if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) problems.push({ path: '--format', message: `must be one of: ${formats}; got "${flags.format}"` });
  if (stackArg === undefined && flags.answers === undefined) {
    problems.push({ path: 'STACK', message: 'is required: the name of a stack with a state (its recorded answers), or --answers FILE' });
  }
  if (stackArg !== undefined && flags.answers !== undefined) {
    problems.push({ path: '--answers', message: `and STACK (${stackArg}) exclude each other: give the stack to export its recorded answers, or --answers FILE, not both` });
  }
  let opts: CommonOptions | undefined;
  try {
    opts = commonOptions(flags, ctx);
  } catch (err) {
    if (!isWizardError(err, 'INPUT_INVALID')) throw err;
    problems.push(...err.problems);
  }
  if (problems.length) throw inputError(problems, 'options');
  return { opts: opts!, format: flags.format as ExportFormat };
}

/** The answers the stack's state recorded (migrated on read through the schema), and the hosted zone its domain was found in. */
async function recorded(opts: CommonOptions, stack: string, ctx: CliContext): Promise<{ answers: Answers; hostedZoneId?: string }> {
  const store = await openStore(opts, ctx);
  try {
    const state = (await store.read(stack))?.state;
    if (!state?.answers) {
      const { message, hint } = await noStack(store, stack, ctx.cwd);
      const fix = 'Or export from an answers file: ecs-wizard export --answers stack.yaml --format cloudformation.';
      throw new WizardError('INPUT_INVALID', state ? `The state of ${stack} records no answers to export.` : `Nothing to export: ${message}.`, {
        problems: [{ path: 'STACK', message: state ? 'has no recorded answers' : 'has no state' }],
        hint: state ? fix : `${hint} ${fix}`,
      });
    }
    const zone = state.resources['hosted-zone']?.outputs as Partial<HostedZoneOutputs> | undefined;
    return { answers: validateAnswers(state.answers), hostedZoneId: zone?.hostedZoneId };
  } finally {
    store.close();
  }
}
