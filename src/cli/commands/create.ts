import * as path from 'node:path';
import { WizardError, inputError } from '../../errors.js';
import { checkCapacity } from '../../scaling/capacity.js';
import { runCreate, runDestroy } from '../../engine/engine.js';
import { isWaitStep, type EngineEvent, type RunResult, type Step } from '../../engine/types.js';
import { StateFile } from '../../engine/state.js';
import type { StackEnv } from '../../steps/env.js';
import { buildPlan, serviceRemoval, stackRemoval, type ServiceRemoval } from '../../steps/index.js';
import { idFor, servicesOf } from '../../steps/services.js';
import { prepareBoundary } from '../../steps/boundary.js';
import { readAnswersFile, saveAnswersFile, validateAnswers } from '../../wizard/answers-file.js';
import { answersSchema, serviceEntries, type Answers } from '../../wizard/schema.js';
import { awsAccount, type Account } from '../../wizard/account.js';
import { launchImage } from '../../steps/stack/launch-common.js';
import { checkSpotTypes } from '../../steps/stack/instance-placement.js';
import { checkSecretsExist } from '../../steps/service/secrets-policy.js';
import { stackUrl } from '../../steps/url.js';
import type { ServiceOutputs } from '../../steps/outputs.js';
import { waitingForImage, waitingForImageText, type WaitingForImage } from '../waiting-for-image.js';
import { startWizard } from '../../wizard/ask.js';
import { DRAFT_FILE, DraftFile } from '../../wizard/draft.js';
import { answerWarnings, buildReviewPlan, removedServices } from '../../wizard/plan.js';
import { keptProvenance, stackChanges, type GroupBounds, type StackChange } from '../../wizard/changes.js';
import { askWhilePaused } from '../../ui/reporter.js';
import { inquirerPrompter } from '../../wizard/prompter.js';
import { renderPlan } from '../../wizard/review.js';
import { redactAnswers, secretLookingNames, secretWarning } from '../../wizard/redact.js';
import type { AwsCall, AwsClients } from '../../aws/clients.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags, type CommonOptions } from '../options.js';
import { loadPrices } from '../prices.js';
import { typesToPrice } from '../../cost/estimate.js';
import { makeReporter, printResult } from '../output.js';
import { awsTarget, callLog, openStack, openStore, preflight, stackEnv } from '../stack.js';
import { hostTargets, inspectHosts } from '../../hosts/inspect.js';
import { pendingRoll, planRoll, runRoll, type RollSpec } from '../../hosts/roll.js';
import { launchChanges } from '../../steps/stack/launch-common.js';
import type { StackState } from '../../engine/state.js';
import { finish as finishRoll, stepLines } from './hosts.js';
import { releasesOf, whoAmI, withCreateRelease } from '../../deploy/releases.js';
import { REDACTED } from '../../wizard/redact.js';
import { repositoryImage } from '../../steps/service/ecr.js';
import type { EcrRepositoryOutputs, TaskDefinitionOutputs } from '../../steps/outputs.js';
import { awsHint, failureLine } from '../errors-format.js';
import { plural } from '../../words.js';

export interface CreateFlags extends CommonFlags {
  answers?: string;
  yes?: boolean;
  dryRun?: boolean;
  saveAnswers?: string;
  wait?: boolean;
  /** Every question in order, instead of the quick path's few. */
  advanced?: boolean;
}

export async function create(flags: CreateFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const raw = flags.answers ? await readAnswersFile(flags.answers) : {};
  // Ask only on a terminal and without --yes; prompts and the review go to stderr when stdout carries JSON.
  const screen = opts.output === 'json' ? ctx.stderr : ctx.stdout;
  const prompter = ctx.isTTY && !flags.yes ? await (ctx.prompter ?? inquirerPrompter)({ input: ctx.stdin, output: screen, signal: ctx.signal }) : undefined;
  const accounts = new Map<string, Promise<Account>>();
  const lookupClients: AwsClients[] = [];
  // Account lookups (VPCs, subnets, zones, AMI) only after the file's own values passed the schema.
  const accountFor = (region: string | undefined): Promise<Account> => {
    const key = opts.region ?? region ?? '';
    let account = accounts.get(key);
    if (!account) {
      const clients = ctx.makeClients(awsTarget(opts, ctx, { region: key || undefined }));
      lookupClients.push(clients);
      account = preflight(clients).then((r) => awsAccount(clients, r, (types) => loadPrices(opts, ctx, awsTarget(opts, ctx, { region: key || undefined }), r, { instanceTypes: types }).then((p) => p.book)));
      accounts.set(key, account);
    }
    return account;
  };
  // The answers typed in a terminal are kept beside the states (a directory; none for S3) until the stack is created.
  const draftFile = prompter && opts.state.kind === 'file' ? new DraftFile(path.join(opts.state.dir, DRAFT_FILE)) : undefined;
  const existingStacks = async (): Promise<string[]> => {
    const store = await openStore(opts, ctx);
    try {
      return await store.list();
    } finally {
      store.close();
    }
  };
  let wizard;
  try {
    wizard = await startWizard({ file: raw, prompter, yes: flags.yes ?? false, account: accountFor, advanced: flags.advanced, draft: draftFile, cwd: ctx.cwd, existingStacks });
  } finally {
    for (const c of lookupClients) c.destroy();
  }
  let answers: Answers = validateAnswers(wizard.draft);
  // Guard rails on task size vs instance size: refused before any AWS call (a terminal re-asked them), warnings shown below.
  const capacity = checkCapacity(answers);
  if (capacity.problems.length) throw inputError(capacity.problems);
  // With a review screen, the answers (customized there) are saved and warned about after it.
  const reviewing = Boolean(prompter) && !flags.dryRun;

  const reporter = makeReporter(opts, ctx);
  if (!reviewing) for (const w of capacity.warnings) reporter.warn(w);
  // Without a review screen (--yes, no terminal) the review's warnings are said here.
  if (!prompter && !flags.dryRun) for (const w of answerWarnings(answers)) reporter.warn(w);
  const secretNames = secretLookingNames(answers);
  if (secretNames.length) {
    reporter.warn(secretWarning(secretNames));
    // The user asked for a replayable file, so it keeps the real values: say so.
    if (flags.saveAnswers) reporter.warn(`${flags.saveAnswers} holds the values of ${secretNames.join(', ')} in plain text (written with mode 0600): keep it out of version control.`);
  }
  const calls = callLog(opts, (l) => reporter.log(l));
  // A dry run is read-only at the mutation boundary: whatever a step tries, nothing changes.
  const aws = ctx.makeClients({ ...awsTarget(opts, ctx, { region: answers.region }, calls.onCall), readOnly: flags.dryRun ?? false });
  try {
    const region = await preflight(aws);
    // Secrets that name no parameter (a value pasted where its name belongs) stop here: exit 2, the text never echoed nor saved.
    const secrets = () => servicesOf(answers).map((svc) => ({ at: svc.at, secrets: svc.secrets }));
    for (const w of (await checkSecretsExist(aws, answers.stack, secrets(), region)).warnings) reporter.warn(w);
    if (flags.saveAnswers && !reviewing) await saveAnswersFile(flags.saveAnswers, answers);
    // The lock before the review's reads, held through its questions (as Terraform does): what the
    // review shows is what this run changes. A deploy or scale from another shell meanwhile waits
    // (--lock-timeout) or stops naming this run, instead of being reverted unseen.
    const stack = await openStack(opts, answers.stack, flags.dryRun ? 'create --dry-run' : 'create', ctx);
    try {
      // The state as it was (the document is updated in place below): what this create changes is judged against it.
      const before = stack.existing ? structuredClone(stack.existing) : undefined;
      const reviewOf = async (a: Answers) => {
        // Before anything is made: the hosts' image for the type's architecture; a given AMI of another architecture is bad input.
        const image = await launchImage(aws, a.instances, region);
        // Spot types of another architecture than the instance type's could not boot that AMI: bad input, nothing made.
        await checkSpotTypes(aws, a, region, image.architecture);
        // The hosts a changed instance type (or pinned AMI) will replace, and the group's bounds as AWS has them.
        const hosts = before ? await hostsPreview(aws, before, a, region) : undefined;
        // What it costs, before anything is made (for the review and the JSON result; src/cost/).
        const prices = reviewing || flags.dryRun || opts.output === 'json' ? await createPrices(opts, ctx, aws, a, region, calls.onCall) : undefined;
        // Services the state has and these answers do not: deleted alone after the plan (shown, confirmed).
        const removal = before ? serviceRemoval(a, recordedAnswers(before), before.resources) : { services: [], steps: [] };
        const removed = removal.services.length ? removedServices(recordedAnswers(before) ?? a, removal.services, removal.steps) : undefined;
        const review = {
          region,
          amiId: image.amiId,
          architecture: image.architecture,
          ...(hosts?.roll ? { roll: hosts.roll } : {}),
          ...(hosts?.group ? { group: hosts.group } : {}),
          ...(prices ? { prices } : {}),
          ...(removed ? { removed } : {}),
        };
        return { review, removal, changes: before ? stackChanges(before, a, { group: hosts?.group }) : [] };
      };
      let shown = reviewing ? undefined : await reviewOf(answers);
      if (prompter && reviewing) {
        // The review; on the quick path then "Customize a section?" until none, each change checked and shown again.
        await wizard.review(async (a) => {
          shown = await reviewOf(a);
          answers = a;
          const warnings = checkCapacity(a).warnings.map((w) => `warning: ${w}\n`).join('');
          screen.write(`\n${renderPlan(buildReviewPlan(a, { ...shown.review, current: before }))}${warnings}\n`);
        });
        if (flags.saveAnswers) await saveAnswersFile(flags.saveAnswers, answers);
        // Values a day-2 command (scale) set that these answers set back.
        const setBack = shown!.changes.filter((c) => c.changedBy);
        // Default no: creating costs money, and setting back what scale did may not be what the user meant.
        // The draft stays: the next create offers these answers again.
        const removing = shown!.removal.services.map((svc) => svc.name);
        const deleting = removing.length ? ` and delete service${removing.length === 1 ? '' : 's'} ${removing.join(', ')}` : '';
        const question = setBack.length
          ? `Create these resources${deleting}, setting back ${setBack.length === 1 ? 'a value' : `${setBack.length} values`} set by ${[...new Set(setBack.map((c) => c.changedBy!.by))].join(' and ')}?`
          : `Create these resources${deleting}?`;
        if (!(await askWhilePaused(reporter, () => prompter.confirm({ message: question, default: false })))) {
          screen.write('Nothing was created.\n');
          if (setBack.length) screen.write(`To keep ${setBack.length === 1 ? 'it' : 'them'}, set ${setBack.length === 1 ? 'it' : 'them'} in ${flags.answers ?? 'your answers'}:\n${setBack.map((c) => `  ${c.path}: ${JSON.stringify(c.from)}\n`).join('')}`);
          return 0;
        }
      }
      // Set: by the review screen, or above without one.
      const { review, changes, removal } = shown!;
      // Deleting a service is never implied: a terminal confirmed it above; without one, --yes says so.
      if (removal.services.length && !prompter && !flags.yes && !flags.dryRun) {
        const names = removal.services.map((svc) => svc.name);
        throw new WizardError('USAGE', `These answers no longer have service${names.length === 1 ? '' : 's'} ${names.join(', ')} of stack ${answers.stack}: this create would delete ${names.length === 1 ? 'it' : 'them'}.`, {
          problems: names.map((n) => ({ path: `services.${n}`, message: 'is in the stack but not in these answers: add --yes to delete it, or put it back in the answers' })),
          hint: `Run create again with --yes to delete ${names.join(', ')} (nothing shared is touched), or --dry-run to see what goes.`,
        });
      }
      const env = { ...stackEnv(answers, aws, region, ctx, opts), rollPending: stack.existing?.roll !== undefined };
      const steps = buildPlan(answers);
      await verifyExisting(steps, env, answers.stack);
      // Every role carries the account's permissions boundary: made now if a role is to be created, or the run stops here.
      for (const w of await prepareBoundary(env, { dryRun: flags.dryRun ?? false })) reporter.warn(w);
      if (!flags.dryRun) {
        await stack.state.update((s) => {
          // Never a secret in the state file: destroy/status/scale do not need the values.
          s.answers = redactAnswers(answers);
          s.region = region;
          s.endpointUrl = opts.endpointUrl ?? ctx.env.AWS_ENDPOINT_URL;
          // An answer set back is create's again: only what still holds keeps saying who set it.
          s.changedBy = keptProvenance(s.changedBy, before?.answers, answers);
          if (!s.changedBy) delete s.changedBy;
        });
      }
      // Without a review screen, what this create changes in what runs (e.g. reverting a deploy or a scale) is said here.
      if (!prompter && !flags.dryRun) for (const c of changes) reporter.warn(`This create changes what the service runs: ${c.text}`);
      const startedAt = new Date().toISOString();
      const result = await runCreate(steps, {
        env,
        state: stack.state,
        concurrency: opts.concurrency,
        dryRun: flags.dryRun,
        wait: flags.wait !== false,
        signal: ctx.signal,
        onEvent: (e) => reporter.event(e),
      });
      if (!flags.dryRun) await recordRelease(stack.state, before, answers, result, startedAt, ctx).catch((err: unknown) => reporter.warn(`The release was not recorded: ${(err as Error).message}`));
      // Then the services these answers removed, each alone, in reverse: only once everything else converged
      // (the listener no longer forwards to a removed default service's target group).
      const removedRun = result.ok && !flags.dryRun && removal.steps.length ? await removeServices(removal, env, stack.state, opts.concurrency, ctx.signal, (e) => reporter.event(e)) : undefined;
      // Then what the answers turned off of the stack itself (the Service Connect namespace, once no service asks to be found):
      // the plan's services have left it by now.
      const dropped = result.ok && !flags.dryRun && (!removedRun || removedRun.ok) ? stackRemoval(answers, stack.state.state.resources) : [];
      const droppedRun = dropped.length ? await removeStackParts(dropped, env, stack.state, opts.concurrency, ctx.signal, (e) => reporter.event(e)) : undefined;
      // Then the hosts: onto the new launch settings (or on with a roll an earlier run left), one at a time.
      const rolled = result.ok && !flags.dryRun ? await rollHosts(stack.state, aws, region, flags.wait !== false, { ...ctx.timing, timeoutMs: opts.waitTimeoutMs }, ctx.signal, (e) => reporter.event(e), (w) => reporter.warn(w)) : undefined;
      const summary = {
        ...createSummary(answers, result, region, flags.dryRun ?? false, flags.answers),
        ...(removedRun ? { ok: result.ok && removedRun.ok, removed: removal.services.map((svc) => svc.name), removedSteps: removedRun.results.map((r) => ({ id: r.stepId, title: r.title, outcome: r.outcome })) } : {}),
        ...(droppedRun
          ? { ok: result.ok && (removedRun?.ok ?? true) && droppedRun.ok, removedSteps: [...(removedRun?.results ?? []), ...droppedRun.results].map((r) => ({ id: r.stepId, title: r.title, outcome: r.outcome })) }
          : {}),
        ...(rolled ? { ok: result.ok && rolled.run.ok, roll: { reason: rolled.spec.reason, hosts: rolled.spec.hosts.map((h) => h.instanceId), steps: stepLines(rolled.run) } } : {}) };
      const service = result.results.find((r) => r.stepId === 'service')?.outputs as ServiceOutputs | undefined;
      if (service?.tagged === false) reporter.warn(`The service ${service.serviceName} was created without tags: ECS refuses tags on services while the account uses the old ARN format (opt in with \`aws ecs put-account-setting-default --name serviceLongArnFormat --value enabled\`).`);
      if (summary.waitingForImage) reporter.warn(`The service runs 0 tasks: ${summary.waitingForImage.image} has not been pushed yet.`);
      reporter.close();
      // `review` is set: by the review screen, or above without one.
      const plan = buildReviewPlan(answers, { ...review, results: flags.dryRun ? result.results : undefined, current: before });
      if (flags.dryRun && opts.output === 'text') ctx.stdout.write(renderPlan(plan));
      const { cost, ...planShown } = plan;
      printResult(ctx, opts, { ...summary, calls: calls.counts, ...(opts.output === 'json' ? { changes: changes.map(changeJson), plan: planShown, cost } : {}) });
      if (summary.waitingForImage && opts.output === 'text') ctx.stdout.write(waitingForImageText(summary.waitingForImage));
      // Another writer changed the state under this run: that, not the steps it stopped, is the failure.
      if (stack.state.conflict) throw stack.state.conflict;
      if (result.interrupted) {
        const again = rerunCommands(flags, answers.stack);
        throw new WizardError('INTERRUPTED', `Interrupted. The state is saved: run \`${again.create}\` again to resume, or \`${again.destroy}\` to clean up.`);
      }
      if (rolled && opts.output === 'text') ctx.stdout.write(rolled.run.ok ? `Rolled ${plural(rolled.spec.hosts.length, 'host')}: ${rolled.spec.reason}.\n` : '');
      if (rolled) finishRoll(rolled.run, answers.stack);
      if (!result.ok || (removedRun && !removedRun.ok) || (droppedRun && !droppedRun.ok)) {
        const failed = [...result.results, ...(removedRun?.results ?? []), ...(droppedRun?.results ?? [])].filter((r) => r.outcome === 'failed');
        const first = failed[0]?.error;
        throw new WizardError(
          first instanceof WizardError && (first.code === 'INPUT_INVALID' || first.code === 'DRIFT') ? first.code : 'STEP_FAILED',
          failed.map((f) => failureLine(f.title, f.error)).join('\n'),
          { cause: first, hint: first instanceof WizardError ? first.hint : awsHint(first) ?? `The state is saved; fix the cause and run create again to resume, or destroy ${answers.stack}.` },
        );
      }
      // Created: the answers typed on the way are no longer needed.
      if (!flags.dryRun) await wizard.discardDraft();
      return 0;
    } finally {
      await stack.close();
    }
  } finally {
    reporter.close();
    aws.destroy();
    // The review's customizing may have looked the account up again.
    for (const c of lookupClients) c.destroy();
  }
}

/**
 * The commands that resume or clean up after an interrupted create, with what this run was given:
 * its answers file (or the one --save-answers wrote), and the flags that say where the stack and
 * its state are. Without a file the wizard asks again, with the stack name as typed.
 */
export function rerunCommands(flags: CreateFlags, stack: string): { create: string; destroy: string } {
  const quote = (v: string): string => (/^[\w./:@%+=,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const where = [
    ...(flags.stateDir ? ['--state-dir', flags.stateDir] : []),
    ...(flags.region ? ['--region', flags.region] : []),
    ...(flags.profile ? ['--profile', flags.profile] : []),
    ...(flags.endpointUrl ? ['--endpoint-url', flags.endpointUrl] : []),
  ];
  const file = flags.answers ?? flags.saveAnswers;
  const create = ['ecs-wizard', 'create', ...(file ? ['--answers', file] : []), ...(file && flags.yes ? ['--yes'] : []), ...where];
  return { create: create.map(quote).join(' '), destroy: ['ecs-wizard', 'destroy', stack, ...where].map(quote).join(' ') };
}

export interface CreateSummary {
  stack: string;
  region: string;
  dryRun: boolean;
  ok: boolean;
  url?: string;
  resources: Record<string, unknown>;
  steps: { id: string; title: string; outcome: string; word?: string; durationMs: number; error?: string }[];
  /** The stack's ECR repository holds no image yet: the service runs 0 tasks until one is pushed. */
  waitingForImage?: WaitingForImage;
}

function createSummary(answers: Answers, result: RunResult, region: string, dryRun: boolean, answersFile?: string): CreateSummary {
  const wait = waitingForImage(result.results.find((r) => r.stepId === 'service')?.outputs as ServiceOutputs | undefined, region, answersFile);
  const lb = result.results.find((r) => r.stepId === 'load-balancer')?.outputs;
  const dns = lb?.dnsName as string | undefined;
  return {
    stack: answers.stack,
    region,
    dryRun,
    ok: result.ok,
    url: dns ? stackUrl(answers, dns) : undefined,
    resources: Object.fromEntries(result.results.filter((r) => r.outputs).map((r) => [r.stepId, r.outputs])),
    steps: result.results.map((r) => ({
      id: r.stepId,
      title: r.title,
      outcome: r.outcome,
      ...(r.word ? { word: r.word } : {}),
      durationMs: Math.round(r.durationMs),
      ...(r.error ? { error: (r.error as Error).message } : {}),
    })),
    ...(wait ? { waitingForImage: wait } : {}),
  };
}

/**
 * The releases this create made, one per service it moved to a revision (the first create, one
 * that reverts a deploy, a service added to the answers): recorded after the run, each with how
 * its service-stable wait ended (in progress with --no-wait or after Ctrl-C; settled by the next
 * command that looks). Every service has its history, so `rollback --service api` after api's first
 * deploy goes back to what create started.
 */
async function recordRelease(state: StateFile, before: StackState | undefined, answers: Answers, result: RunResult, startedAt: string, ctx: CliContext): Promise<void> {
  const of = (id: string) => result.results.find((r) => r.stepId === id);
  // (the recorded answers as written then: read raw, an earlier release's shape included)
  const earlier = new Map(before ? serviceEntries(before.answers as Answers).map((e) => [e.name, e.answers.environment ?? {}]) : []);
  let releases = state.state.releases;
  for (const svc of servicesOf(answers)) {
    const td = of(idFor(svc, 'task-definition'))?.outputs as TaskDefinitionOutputs | undefined;
    const service = of(idFor(svc, 'service'));
    if (!td || (service?.outcome !== 'created' && service?.outcome !== 'exists')) continue;
    const stable = of(idFor(svc, 'service-stable'));
    const repo = of(idFor(svc, 'ecr-repository'))?.outputs as EcrRepositoryOutputs | undefined;
    const oldEnv = earlier.get(svc.name) ?? {};
    const newEnv = svc.environment;
    const changed = releasesOf(releases, svc).length
      ? [...new Set([...Object.keys(oldEnv), ...Object.keys(newEnv)])].filter((n) => !(n in oldEnv) || !(n in newEnv) || (oldEnv[n] !== newEnv[n] && oldEnv[n] !== REDACTED)).sort()
      : [];
    const failed = stable?.outcome === 'failed';
    releases =
      withCreateRelease(
        releases,
        svc,
        {
          taskDefinitionArn: td.taskDefinitionArn,
          revision: td.revision,
          image: repo ? repositoryImage(svc.image, repo.repositoryUri) : svc.image,
          changed,
          result: stable?.outcome === 'waited' ? 'succeeded' : failed ? 'failed' : 'in-progress',
          ...(failed ? { note: failureLine(undefined, stable?.error) } : {}),
          startedAt,
          by: whoAmI(ctx.env),
        },
        new Date(),
      ) ?? releases;
  }
  if (releases !== state.state.releases) await state.update((s) => void (s.releases = releases));
}

/**
 * Deletes the services these answers removed: the engine's destroy of just their steps (the
 * stack's steps they depend on are not in that plan, so nothing shared is touched); their records
 * leave the state once deleted.
 */
async function removeServices(removal: ServiceRemoval, env: StackEnv, state: StateFile, concurrency: number | undefined, signal: AbortSignal, onEvent: (e: EngineEvent) => void): Promise<RunResult> {
  const run = await runDestroy(removal.steps, { env, state, concurrency, signal, onEvent });
  const gone = new Set(run.results.filter((r) => r.outcome === 'destroyed' || r.outcome === 'absent').map((r) => r.stepId));
  await state.update((s) => {
    for (const id of gone) if (s.resources[id]?.status === 'destroyed' || s.resources[id] === undefined) delete s.resources[id];
  });
  return run;
}

/** Deletes the stack's resources these answers turned off (stackRemoval); their records leave the state once deleted. */
async function removeStackParts(steps: Step<StackEnv>[], env: StackEnv, state: StateFile, concurrency: number | undefined, signal: AbortSignal, onEvent: (e: EngineEvent) => void): Promise<RunResult> {
  return removeServices({ services: [], steps }, env, state, concurrency, signal, onEvent);
}

/** The answers the state recorded, if they still parse. */
function recordedAnswers(state: StackState | undefined): Answers | undefined {
  const parsed = state?.answers === undefined ? undefined : answersSchema.safeParse(state.answers);
  return parsed?.success ? parsed.data : undefined;
}

/** The prices of the answers' instance types (and their other-architecture counterpart), and with Spot the last hour's Spot prices. */
function createPrices(opts: CommonOptions, ctx: CliContext, aws: AwsClients, answers: Answers, region: string, onCall: (c: AwsCall) => void) {
  const spot = answers.instances.spot;
  return loadPrices(opts, ctx, awsTarget(opts, ctx, { region: answers.region }, onCall), region, {
    instanceTypes: typesToPrice(answers),
    ...(spot ? { spot: { aws, instanceTypes: spot.instanceTypes ?? [answers.instances.instanceType], zones: answers.network.availabilityZones } } : {}),
  });
}

/**
 * Resources the answers reuse (an existing VPC and its subnets, private subnets, a certificate, the
 * hosted zone holding the domain) are verified before anything is created: a wrong id or a domain
 * no zone holds is an input error (exit 2) with nothing made, not a failure half-way through
 * after the independent branches (IAM, cluster) have already run.
 */
async function verifyExisting(steps: Step<StackEnv>[], env: StackEnv, stack: string): Promise<void> {
  const external = steps.filter((s) => !isWaitStep(s) && s.external);
  if (external.length === 0) return;
  // A dry run of just these steps: finds only, and nothing is written (the state given is a scratch one).
  const check = await runCreate(external, { env, state: StateFile.scratch(stack), dryRun: true, keepGoing: true });
  const failures = check.results.filter((r) => r.outcome === 'failed');
  // Every bad answer at once (a private subnet and a certificate are checked by different steps).
  const problems = failures.flatMap((f) => (f.error instanceof WizardError && f.error.code === 'INPUT_INVALID' ? f.error.problems : []));
  if (failures.length > 1 && problems.length && failures.every((f) => f.error instanceof WizardError && f.error.code === 'INPUT_INVALID')) throw inputError(problems);
  const failed = failures[0];
  if (failed) throw failed.error instanceof WizardError ? failed.error : new WizardError('AWS', `${failed.title}: ${(failed.error as Error)?.message}`, { cause: failed.error });
}

/**
 * After the plan: the hosts not on what the group now launches are rolled (hosts/roll.ts), or an
 * interrupted roll is continued. With --no-wait nothing is rolled (a roll is all waiting): a
 * warning says how to do it later.
 */
async function rollHosts(
  state: StateFile,
  aws: AwsClients,
  region: string,
  wait: boolean,
  timing: StackEnv['timing'],
  signal: AbortSignal,
  onEvent: Parameters<typeof runRoll>[0]['onEvent'],
  warn: (w: string) => void,
) {
  const targets = hostTargets(state.state);
  let spec: RollSpec | undefined = pendingRoll(state);
  if (!spec) {
    // What this run's launch step changed (recorded with the new version or configuration it made).
    const launched = state.get('launch-template')?.outputs;
    const relaunch = Array.isArray(launched?.changes) ? (launched.changes as string[]) : [];
    spec = planRoll(await inspectHosts(aws, targets, region, { latestAmi: false }), targets, { latestAmi: false, relaunch });
    const previous = launched?.previous;
    if (spec && typeof previous === 'string') spec.retire = previous;
  }
  if (!spec) return undefined;
  if (!wait) {
    warn(`${plural(spec.hosts.length, 'host')} ${spec.hosts.length === 1 ? 'is' : 'are'} not on the new launch settings (${spec.reason}): run \`ecs-wizard hosts refresh ${state.state.stack}\` to replace them (create --no-wait does not).`);
    return undefined;
  }
  return { spec, run: await runRoll({ state, spec, aws, timing, signal, onEvent }) };
}

/**
 * For the review: how many hosts changed launch settings (type, pinned AMI, network, Spot draining)
 * replace (or an interrupted roll still will), and the group's bounds as AWS has them (read anyway).
 */
async function hostsPreview(aws: AwsClients, prior: StackState, answers: Answers, region: string): Promise<{ roll?: { instances: number; reason: string }; group?: GroupBounds } | undefined> {
  const pending = prior.roll?.spec as RollSpec | undefined;
  // (A roll under way has the group's bounds raised for its spare host: they are not compared.)
  if (pending) return { roll: { instances: pending.hosts.length, reason: `${pending.reason} (continuing an interrupted roll)` } };
  if (!prior.resources['auto-scaling-group']) return undefined;
  // Judged by the types the answers give: the group takes on changed Spot types in this create, before its roll.
  const facts = await inspectHosts(aws, hostTargets(prior), region, { latestAmi: false, instanceTypes: answers.instances.spot?.instanceTypes ?? [answers.instances.instanceType] });
  const group = facts.group ? { minSize: facts.group.minSize, maxSize: facts.group.maxSize, desiredCapacity: facts.group.desiredCapacity } : undefined;
  const changes = facts.launch ? launchChanges(answers, facts.launch) : [];
  // Changed launch settings are a new version or configuration, which every host then rolls onto (see planRoll's relaunch).
  const stale = facts.hosts.filter((h) => (h.lifecycleState === 'InService' || h.lifecycleState === 'Pending') && (changes.length > 0 || !h.onLaunchVersion));
  if (stale.length === 0) return { group };
  const reason = changes.length ? changes.join(', ') : 'onto the launch settings';
  return { roll: { instances: stale.length, reason }, group };
}

/** A change in the result's `changes` list: path, from, to, the words, and who set what it replaces. */
function changeJson(c: StackChange): object {
  return { path: c.path, from: c.from, to: c.to, text: c.text, ...(c.changedBy ? { changedBy: c.changedBy } : {}) };
}
