import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { WizardError, inputError, isWizardError, type Problem } from '../../errors.js';
import { runCreate } from '../../engine/engine.js';
import type { ReleaseRecord, StackState } from '../../engine/state.js';
import type { EngineEvent, RunResult } from '../../engine/types.js';
import { unlessNotFound } from '../../aws/errors.js';
import { parseDeployFlags, parseRevision, type DeployFlags, type DeployRequest } from '../../deploy/change.js';
import { newestFirst, previousSuccessful, reconcileReleases, whoAmI } from '../../deploy/releases.js';
import { RolloutFailed, type DeployEnv, type RolloutFailure } from '../../steps/service/deploy.js';
import { imageExists, imagePushInstructions, tagOf } from '../../steps/service/ecr.js';
import { checkSecretsExist } from '../../steps/service/secrets-policy.js';
import { buildDeployPlan } from '../../steps/index.js';
import { stackNames } from '../../steps/names.js';
import type { EcrRepositoryOutputs, ServiceOutputs, TaskDefinitionOutputs } from '../../steps/outputs.js';
import { formatDuration } from '../../ui/style.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import { SECRET_NAME, redactAnswers, secretWarning } from '../../wizard/redact.js';
import type { Answers } from '../../wizard/schema.js';
import type { AwsClients } from '../../aws/clients.js';
import type { CliContext } from '../context.js';
import { failureLine } from '../errors-format.js';
import { commonOptions, type CommonFlags, type CommonOptions } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { idFor, selectService, serviceAnswersOf, serviceNames, type ServiceSpec } from '../../steps/services.js';
import { awsTarget, callLog, noStackError, openStack, preflight, readStack, stackEnv } from '../stack.js';

export interface DeployCommandFlags extends CommonFlags, DeployFlags {
  wait?: boolean;
}

export interface RollbackFlags extends CommonFlags {
  to?: string;
  wait?: boolean;
}

/** The result document of deploy and rollback (`--output json`). */
export interface DeployResult {
  stack: string;
  ok: boolean;
  kind: ReleaseRecord['kind'];
  revision?: number;
  previousRevision?: number;
  image?: string;
  /** Environment variable names set or removed (never values). */
  changed: string[];
  /** True when the service already ran this revision: nothing was changed, only watched. */
  unchanged: boolean;
  release?: ReleaseRecord;
  phases: { id: string; title: string; outcome: string; durationMs: number; error?: string }[];
  durationMs: number;
  failure?: RolloutFailure;
  calls: { mutating: number; read: number };
}

/** `ecs-wizard deploy [STACK]`: a new revision from the current one with only the asked changes, rolled out and watched. */
export async function deploy(stackArg: string | undefined, flags: DeployCommandFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const req = parseDeployFlags(flags);
  // The same command, to follow an interrupted rollout; a secret-looking value is not echoed back.
  const quote = (v: string): string => (/^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const again = [
    `ecs-wizard deploy {stack}`,
    flags.image ? `--image ${quote(flags.image)}` : '',
    ...Object.entries(req.set).map(([k, v]) => `--env ${k}=${SECRET_NAME.test(k) && v ? '<value>' : quote(v)}`),
    ...req.unset.map((n) => `--unset-env ${n}`),
  ]
    .filter(Boolean)
    .join(' ');
  // A forced deployment run again would force another one: only `releases` follows it.
  return release(stackArg, opts, ctx, { req, wait: flags.wait !== false, command: 'deploy', again: req.kind === 'force' ? '' : again });
}

/** `ecs-wizard rollback [STACK] [--to REVISION]`: back to the previous successful release (or the one named), watched the same way. */
export async function rollback(stackArg: string | undefined, flags: RollbackFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const to = parseRevision(flags.to);
  const req: DeployRequest = { kind: 'rollback', set: {}, unset: [], force: false, ...(to !== undefined ? { toRevision: to } : {}) };
  return release(stackArg, opts, ctx, { req, wait: flags.wait !== false, command: 'rollback', again: 'ecs-wizard rollback {stack} --to {revision}' });
}

/** Checks the request against what the state knows, before any AWS call: every problem at once (exit 2). */
function checkAgainstState(req: DeployRequest, svc: ServiceSpec, state: StackState, stack: string): void {
  const problems: Problem[] = [];
  for (const name of Object.keys(req.set)) {
    if (name in svc.secrets) problems.push({ path: '--env', message: `"${name}" is a secret of this stack (${svc.at}.secrets): change it where it is stored, or remove it from ${svc.at}.secrets first` });
  }
  if (req.kind === 'rollback') {
    const releases = state.releases ?? [];
    const running = (state.resources[idFor(svc, 'task-definition')]?.outputs as Partial<TaskDefinitionOutputs> | undefined)?.revision;
    if (req.toRevision !== undefined) {
      if (releases.length && !releases.some((r) => r.revision === req.toRevision)) {
        problems.push({ path: '--to', message: `revision ${req.toRevision} is not a release of ${stack}: its releases are ${[...new Set(releases.map((r) => r.revision))].sort((a, b) => a - b).join(', ')} (see \`ecs-wizard releases ${stack}\`)` });
      }
    } else {
      const back = previousSuccessful(releases, running);
      if (!back) {
        throw new WizardError('USAGE', `Nothing to roll back to: ${stack} has no successful release before the one it runs${running ? ` (revision ${running})` : ''}.`, {
          problems: [{ path: '--to', message: 'is required when there is no earlier successful release' }],
          hint: `\`ecs-wizard releases ${stack}\` lists its releases; name a revision with --to.`,
        });
      }
      req.toRevision = back.revision;
    }
  }
  if (problems.length) throw inputError(problems, 'options');
}

/** With the stack's own ECR repository, the image must be there before a deploy: else ECS cannot pull it and rolls back. */
async function checkRepositoryImage(aws: AwsClients, req: DeployRequest, svc: ServiceSpec, state: StackState, region: string, stack: string): Promise<void> {
  const repo = state.resources[idFor(svc, 'ecr-repository')]?.outputs as Partial<EcrRepositoryOutputs> | undefined;
  if (!req.image || !repo?.repositoryUri || !repo.repositoryName || !req.image.startsWith(`${repo.repositoryUri}:`)) return;
  const tag = tagOf(req.image);
  if (!tag || (await imageExists(aws, repo.repositoryName, tag))) return;
  const [login, build, push, again] = imagePushInstructions(repo.repositoryUri, region, `ecs-wizard deploy ${stack} --image ${req.image}`, tag);
  throw new WizardError('AWS', `${req.image} is not in the repository ${repo.repositoryName}: push it first, or ECS cannot pull it.`, {
    hint: `${login}\n  ${build}\n  ${push}\n  ${again}`,
  });
}

interface ReleaseOptions {
  req: DeployRequest;
  wait: boolean;
  command: 'deploy' | 'rollback';
  /** The command that follows the rollout again after an interruption ({stack}, {revision} filled in). */
  again: string;
}

async function release(stackArg: string | undefined, opts: CommonOptions, ctx: CliContext, o: ReleaseOptions): Promise<number> {
  const { req } = o;
  const name = stackArg ?? (await readStack(opts, undefined, ctx, o.command)).stack;
  const stack = await openStack(opts, name, o.command, ctx);
  const reporter = makeReporter(opts, ctx);
  try {
    const existing = stack.existing;
    if (!existing?.answers) {
      throw await noStackError(stack.store, name, ctx.cwd);
    }
    const answers = validateAnswers(existing.answers);
    // The service deployed (several services: --service, which part 2 of issue 23 adds; until then exit 2 naming them).
    const svc = selectService(answers, undefined, o.command);
    checkAgainstState(req, svc, existing, name);
    const secretNames = Object.keys(req.set).filter((n) => SECRET_NAME.test(n) && req.set[n] !== '').sort();
    if (secretNames.length) reporter.warn(secretWarning(secretNames));

    const calls = callLog(opts, (l) => reporter.log(l));
    const aws = ctx.makeClients(awsTarget(opts, ctx, { region: existing.region, endpointUrl: existing.endpointUrl }, calls.onCall));
    try {
      const region = await preflight(aws);
      await checkRepositoryImage(aws, req, svc, existing, region, name);
      // A deploy keeps the stack's secrets, but its new tasks read them as they start: one gone since create would fail the rollout.
      if (req.kind !== 'rollback') {
        const hint = `deploy does not change secrets: fix ${svc.at}.secrets in the answers file and run \`ecs-wizard create --answers FILE\`, or create the parameter.`;
        for (const w of (await checkSecretsExist(aws, name, [{ at: svc.at, secrets: svc.secrets }], region, { hint })).warnings) reporter.warn(w);
      }
      const names = { cluster: stackNames(name).cluster, ...serviceNames(name, svc) };
      const service = existing.resources[idFor(svc, 'service')]?.outputs as Partial<ServiceOutputs> | undefined;
      // Releases a stopped command left in progress: how they ended, from the service's deployments.
      if ((existing.releases ?? []).some((r) => r.result === 'in-progress')) {
        const svc = await unlessNotFound(async () => (await aws.get(ECSClient).send(new DescribeServicesCommand({ cluster: service?.clusterName ?? names.cluster, services: [service?.serviceName ?? names.service] }))).services?.[0]);
        const reconciled = reconcileReleases(existing.releases, svc);
        if (reconciled.changed) await stack.state.update((s) => void (s.releases = reconciled.releases));
      }

      const env: DeployEnv = { ...stackEnv(answers, aws, region, ctx, opts), deploy: { ...req, report: { changed: [] } }, service: svc, releases: stack.state.state.releases ?? [] };
      const plan = buildDeployPlan({ startScaling: Boolean(service?.imageMissing) && svc.scaling.enabled, service: svc });
      const started = new Date();
      let record: ReleaseRecord | undefined;
      let recorded: Promise<void> = Promise.resolve();
      const onEvent = (e: EngineEvent): void => {
        reporter.event(e);
        // The release is recorded once its revision is known and before the service is updated
        // (writes are queued in order): a run stopped after the update leaves it "in progress".
        if (e.type === 'end' && e.stepId === idFor(svc, 'task-definition') && (e.outcome === 'created' || e.outcome === 'exists')) {
          const td = stack.state.get(idFor(svc, 'task-definition'))?.outputs as TaskDefinitionOutputs | undefined;
          const report = env.deploy.report;
          if (!td || (td.taskDefinitionArn === report.previous?.taskDefinitionArn && !req.force)) return;
          record = {
            revision: td.revision,
            taskDefinitionArn: td.taskDefinitionArn,
            image: report.image ?? '',
            changed: report.changed,
            kind: req.kind,
            startedAt: started.toISOString(),
            result: 'in-progress',
            by: whoAmI(ctx.env),
            ...(report.previous ? { previousRevision: report.previous.revision } : {}),
          };
          const r = record;
          recorded = stack.state.update((s) => void (s.releases = [...(s.releases ?? []), r]));
        }
        // The deployment ECS started for it: what a later command follows, even once ECS no longer lists it.
        const deploymentId = env.deploy.report.deploymentId;
        if (e.type === 'end' && e.stepId === idFor(svc, 'service') && e.outcome === 'created' && record && deploymentId) {
          const r = record;
          record = { ...r, deploymentId };
          const withId = record;
          recorded = recorded.then(() => stack.state.update((s) => void (s.releases = (s.releases ?? []).map((x) => (x.startedAt === r.startedAt && x.taskDefinitionArn === r.taskDefinitionArn ? withId : x)))));
        }
      };
      const result = await runCreate(plan, { env, state: stack.state, concurrency: opts.concurrency, wait: o.wait, signal: ctx.signal, onEvent });
      await recorded.catch(() => undefined);
      reporter.close();

      const td = result.results.find((r) => r.stepId === idFor(svc, 'task-definition'))?.outputs as TaskDefinitionOutputs | undefined;
      const moved = ['created', 'exists'].includes(result.results.find((r) => r.stepId === idFor(svc, 'service'))?.outcome ?? '');
      const failure = env.deploy.report.failure;
      const waited = result.results.filter((r) => r.stepId.startsWith('rollout-'));
      const rolledOut = moved && waited.length > 0 && waited.every((r) => r.outcome === 'waited');
      // The release this run follows: the one it recorded, or (nothing new to deploy) the newest one of this revision.
      const current = stack.state.state.releases ?? [];
      const followed = record ?? (td ? newestFirst(current).find((r) => r.taskDefinitionArn === td.taskDefinitionArn) : undefined);
      const ended = new Date().toISOString();
      let outcome: Partial<ReleaseRecord> | undefined;
      if (failure) {
        const back = failure.rolledBackTo?.revision;
        outcome = { result: back !== undefined ? 'rolled-back' : 'failed', endedAt: ended, note: back !== undefined ? `ECS rolled back to revision ${back}` : failure.reason };
      } else if (rolledOut) {
        outcome = { result: 'succeeded', endedAt: ended };
      } else if (!moved && record) {
        const err = result.results.find((r) => r.outcome === 'failed')?.error;
        outcome = result.interrupted ? { result: 'interrupted', endedAt: ended, note: 'stopped before the service was updated' } : { result: 'failed', endedAt: ended, note: failureLine(undefined, err) };
      }
      const finalRecord = followed && outcome && followed.result === 'in-progress' ? { ...followed, ...outcome } : followed;
      await stack.state.update((s) => {
        if (finalRecord && followed && finalRecord !== followed) s.releases = (s.releases ?? []).map((r) => (r === followed || (r.startedAt === followed.startedAt && r.taskDefinitionArn === followed.taskDefinitionArn) ? finalRecord : r));
        // The answers say what runs, so a later `create --answers` shows what it would change back.
        if (moved && !failure && td) {
          const report = env.deploy.report;
          const next = structuredClone(answers);
          const own = serviceAnswersOf(next, svc.name)!;
          if (report.image) own.image = report.image;
          if (report.environment) own.environment = report.environment;
          s.answers = redactAnswers(next);
        }
        // ECS put the previous revision back: the state says so too.
        if (failure?.rolledBackTo?.revision !== undefined && td) {
          const rec = s.resources[idFor(svc, 'task-definition')];
          if (rec) rec.outputs = { taskDefinitionArn: failure.rolledBackTo.taskDefinitionArn, family: td.family, revision: failure.rolledBackTo.revision };
        }
      });

      const summary: DeployResult = {
        stack: name,
        ok: result.ok && !failure,
        kind: req.kind,
        ...(td ? { revision: td.revision } : {}),
        ...(env.deploy.report.previous ? { previousRevision: env.deploy.report.previous.revision } : {}),
        ...(env.deploy.report.image ? { image: env.deploy.report.image } : {}),
        changed: env.deploy.report.changed,
        unchanged: !record,
        ...(finalRecord ? { release: finalRecord } : {}),
        phases: result.results.map((r) => ({
          id: r.stepId,
          title: r.title,
          outcome: r.outcome,
          durationMs: Math.round(r.durationMs),
          ...(r.error ? { error: (r.error as Error).message.split('\n')[0] } : {}),
        })),
        durationMs: Date.now() - started.getTime(),
        ...(failure ? { failure } : {}),
        calls: calls.counts,
      };
      if (opts.output === 'json') printResult(ctx, opts, summary);
      else {
        ctx.resultPrinted = true;
        ctx.stdout.write(deployText(summary, rolledOut, o.wait));
      }
      if (stack.state.conflict) throw stack.state.conflict;
      if (failure) throw new RolloutFailed(failure);
      if (result.interrupted) {
        const follow = o.again && o.again.replace('{stack}', name).replace('{revision}', String(td?.revision ?? req.toRevision ?? ''));
        throw new WizardError(
          'INTERRUPTED',
          moved
            ? `Interrupted: the rollout of revision ${td?.revision} goes on in AWS without us. ${follow ? `Run \`${follow}\` to follow it again (it changes nothing more), or \`ecs-wizard releases ${name}\` to see how it ended.` : `Run \`ecs-wizard releases ${name}\` to see how it ended.`}`
            : `Interrupted before the service was updated: nothing was deployed.${follow ? ` Run \`${follow}\` to start again.` : ''}`,
        );
      }
      if (!result.ok) throw stepFailure(result);
      return 0;
    } finally {
      aws.destroy();
    }
  } finally {
    reporter.close();
    await stack.close();
  }
}

function stepFailure(result: RunResult): WizardError {
  const failed = result.results.filter((r) => r.outcome === 'failed');
  const first = failed[0]?.error;
  if (isWizardError(first)) return first;
  return new WizardError('STEP_FAILED', failed.map((f) => failureLine(f.title, f.error)).join('\n'), { cause: first });
}

/** The text summary: one line for a release that rolled out, the explanation for one that failed. */
export function deployText(r: DeployResult, rolledOut: boolean, wait: boolean): string {
  const what = r.kind === 'rollback' ? 'Rolled back' : 'Deployed';
  const rev = `revision ${r.revision}${r.image ? ` (${r.image})` : ''}`;
  const was = r.previousRevision !== undefined && r.previousRevision !== r.revision ? ` — was revision ${r.previousRevision}` : '';
  if (r.failure) return failureText(r.failure);
  if (rolledOut) return `\n✔ ${what} ${r.stack}: ${rev} in ${formatDuration(r.durationMs)}${r.unchanged ? ' (it was already the running revision)' : was}\n`;
  if (!wait && r.ok) return `\n${what === 'Rolled back' ? 'Rolling back' : 'Deploying'} ${r.stack}: ${rev}${was}. Not waiting (--no-wait): \`ecs-wizard releases ${r.stack}\` shows how it ends.\n`;
  return '';
}

/** Why a rollout failed, as AWS tells it. */
export function failureText(f: RolloutFailure): string {
  const lines = [`\n✖ The deployment of revision ${f.revision ?? '?'} failed: ${f.reason.replace(/\.$/, '')}.`];
  if (f.stoppedTasks.length) {
    lines.push('Stopped tasks:');
    for (const t of f.stoppedTasks) {
      lines.push(`  ${t.taskId}  ${t.stoppedReason ?? t.stopCode ?? 'stopped'}`);
      for (const c of t.containers) if (c.reason || c.exitCode !== undefined) lines.push(`    container ${c.name}: ${[c.exitCode !== undefined ? `exit code ${c.exitCode}` : '', c.reason ?? ''].filter(Boolean).join(', ')}`);
    }
  }
  if (f.logs) lines.push(`Last log lines of task ${f.logs.taskId}:`, ...f.logs.lines.map((l) => `  ${l}`));
  if (f.targets.length) {
    lines.push('Targets not healthy:');
    for (const t of f.targets) lines.push(`  ${t.id}${t.port ? `:${t.port}` : ''}  ${t.state ?? '?'}${t.reason ? `  ${t.reason}` : ''}${t.description ? ` (${t.description})` : ''}`);
  }
  if (f.unavailable.length) lines.push(`Not shown (could not be read): ${f.unavailable.join(', ')}`);
  if (f.rolledBackTo) lines.push(`ECS rolled back to revision ${f.rolledBackTo.revision ?? f.rolledBackTo.taskDefinitionArn}.`);
  return lines.join('\n') + '\n';
}
