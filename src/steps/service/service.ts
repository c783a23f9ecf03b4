import {
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  ListContainerInstancesCommand,
  UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { WizardError, isWizardError } from '../../errors.js';
import { isEcsTaggingRefused, isNotFound, unlessNotFound } from '../../aws/errors.js';
import { poll } from '../../aws/poll.js';
import { lowerTags } from '../../aws/tags.js';
import type { ResourceStep, StepContext, WaitStep } from '../../engine/types.js';
import { withEcsServiceLinkedRole } from '../ecs-service-role.js';
import type { StackEnv } from '../env.js';
import { imageExists, repositoryImage, tagOf } from './ecr.js';
import type { CapacityProviderOutputs, ClusterOutputs, EcrRepositoryOutputs, NamespaceOutputs, ServiceOutputs, TargetGroupOutputs, TaskDefinitionOutputs } from '../outputs.js';
import { runningServiceConnect, serviceConnectChange, usesServiceConnect, wantedServiceConnect } from './service-connect.js';
import { noun, plural } from '../../words.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';

function clusterName(ctx: StepContext<StackEnv>): string {
  return ctx.tryOutput<ClusterOutputs>('cluster')?.clusterName ?? ctx.env.names.cluster;
}

/** The service as ECS reports it, whatever its status; undefined when it (or its cluster) does not exist. */
function describeService(ctx: StepContext<StackEnv>, cluster: string, service: string): Promise<Service | undefined> {
  return unlessNotFound(async () => (await ctx.env.aws.get(ECSClient).send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0]);
}

/** A deleted service stays DRAINING, then INACTIVE; until then its name cannot be used again. */
async function waitUntilInactive(ctx: StepContext<StackEnv>, cluster: string, service: string): Promise<void> {
  await poll(
    async () => {
      const s = await describeService(ctx, cluster, service);
      return !s || s.status === 'INACTIVE' ? { done: true, value: undefined } : { done: false, waitingFor: `waiting for the service ${service} to finish draining (${s.status})` };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
  );
}

function outputsOf(s: Service, cluster: string) {
  return { serviceName: s.serviceName!, serviceArn: s.serviceArn ?? '', clusterName: cluster } satisfies ServiceOutputs;
}

/**
 * The image the service would run when it is not there yet: `<uri>:latest` (or the tag a deploy
 * recorded) of the service's own ECR repository before it was pushed. Such a service stays at 0 tasks (a task that cannot
 * pull its image fails the deployment), and the next create after the push starts it.
 */
async function missingImage(ctx: StepContext<StackEnv>, svc: ServiceSpec): Promise<string | undefined> {
  const repo = svc.ecrRepository ? ctx.tryOutput<EcrRepositoryOutputs>(idFor(svc, 'ecr-repository')) : undefined;
  if (!repo) return undefined;
  const image = repositoryImage(svc.image, repo.repositoryUri);
  const tag = tagOf(image);
  // A digest names an image that was pushed: ECR computed it.
  if (tag === undefined) return undefined;
  return (await imageExists(ctx.env.aws, repo.repositoryName, tag)) ? undefined : image;
}

/**
 * The Service Connect configuration to send, if any: on create, the wanted one (none on a stack
 * without a namespace); on a found service, only what differs from the one it runs — or
 * `enabled: false` for a service that still runs it on a stack that no longer has a namespace.
 * Unknown while the namespace is yet to be made (a dry run): nothing to compare.
 */
function serviceConnectOf(ctx: StepContext<StackEnv>, svc: ServiceSpec, running?: Service) {
  const connect = usesServiceConnect(ctx.env.answers);
  // (a namespace the state still records, once no service asks to be found, is on its way out: not joined)
  const ns = connect ? ctx.tryOutput<NamespaceOutputs>('service-connect-namespace') : undefined;
  if (connect && !ns) return undefined;
  const wanted = wantedServiceConnect(svc, ns?.namespaceArn);
  if (!running) return wanted;
  return serviceConnectChange(runningServiceConnect(running.deployments), wanted, ns ? [ns.namespaceName, ns.namespaceId] : []);
}

/** What a load-balanced service waits for before CreateService: ECS refuses a target group no listener or rule forwards to. */
const FRONT = ['listener', 'https-listener'];

/**
 * A service's ECS service: behind its target group (reached by the listener's default action or
 * its rule), or a worker without one. It runs on the capacity provider when there is one, else on
 * the EC2 launch type; the circuit breaker rolls a failing deployment back.
 */
export function serviceStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  const front = svc.loadBalanced ? [idFor(svc, 'target-group'), ...FRONT, idFor(svc, 'listener-rule')] : [];
  const nameOf = (ctx: StepContext<StackEnv>): string => serviceNames(ctx.env.names.stack, svc).service;
  return {
    id: idFor(svc, 'service'),
    title: svc.primary ? 'ECS service' : `ECS service (${svc.name})`,
    // (and the stack's Service Connect namespace, when it has one: every service is a client of it)
    dependsOn: ['cluster', idFor(svc, 'task-definition'), ...front, 'capacity-provider', 'auto-scaling-group', 'service-connect-namespace'],
    // Once the service is at 0 and deleted with force, its hosts and the listener (and rule) in front of
    // it may go while its tasks drain: everything is going. The target group, the capacity provider (no
    // service may still use it) and the cluster (no service may remain) wait until it is gone.
    teardown: { mayGoOnceDeleting: ['auto-scaling-group', ...(svc.loadBalanced ? [...FRONT, idFor(svc, 'listener-rule')] : [])] },
    async find(ctx) {
      const cluster = clusterName(ctx);
      const name = (ctx.recorded?.serviceName as string | undefined) ?? nameOf(ctx);
      const s = await describeService(ctx, cluster, name);
      if (!s?.serviceName || s.status !== 'ACTIVE') return undefined;
      const missing = await missingImage(ctx, svc);
      const waiting = missing ? { imageMissing: missing } : {};
      // Converge (real create only), declaratively: a new task definition revision rolls out to the
      // existing service; a fixed desired count follows the answers (with auto scaling on, scaling
      // owns the count) — except that a service at 0 tasks whose image is now there starts at the
      // answers' count; and a deployment that FAILED, which ECS never retries, gets a new one.
      const td = ctx.tryOutput<TaskDefinitionOutputs>(idFor(svc, 'task-definition'))?.taskDefinitionArn;
      const answered = svc.desiredCount;
      const wantedCount = missing ? undefined : !svc.scaling.enabled ? answered : s.desiredCount === 0 && answered > 0 ? answered : undefined;
      const newTd = td !== undefined && s.taskDefinition !== td;
      const newCount = wantedCount !== undefined && s.desiredCount !== wantedCount;
      const failed = !missing && (s.deployments ?? []).some((d) => d.status === 'PRIMARY' && d.rolloutState === 'FAILED');
      // ECS Exec turned on or off: only tasks started after the change follow it, so a new deployment.
      const execChange = (s.enableExecuteCommand ?? false) !== svc.exec;
      // Service Connect turned on or off, or its names changed: ECS starts a new deployment for it.
      const connect = serviceConnectOf(ctx, svc, s);
      if (ctx.repair && (newTd || newCount || failed || execChange || connect)) {
        ctx.progress(
          newTd
            ? `moving the service to ${td.split('/').pop()}`
            : newCount
              ? `setting the service's desired count to ${wantedCount}`
              : execChange
                ? `turning ECS Exec ${svc.exec ? 'on' : 'off'}: new tasks start`
                : connect
                  ? `turning Service Connect ${connect.enabled ? 'on' : 'off'}: new tasks start`
                  : 'starting a new deployment (the last one failed)',
        );
        const r = await ctx.env.aws.get(ECSClient).send(
          new UpdateServiceCommand({
            cluster,
            service: name,
            ...(newTd ? { taskDefinition: td } : {}),
            ...(newCount ? { desiredCount: wantedCount } : {}),
            ...(failed || execChange ? { forceNewDeployment: true } : {}),
            ...(execChange ? { enableExecuteCommand: svc.exec } : {}),
            ...(connect ? { serviceConnectConfiguration: connect } : {}),
          }),
        );
        return { ...outputsOf(r.service ?? s, cluster), ...waiting };
      }
      return { ...outputsOf(s, cluster), ...waiting };
    },
    async create(ctx) {
      const names = serviceNames(ctx.env.names.stack, svc);
      const cluster = ctx.output<ClusterOutputs>('cluster').clusterName;
      const td = ctx.output<TaskDefinitionOutputs>(idFor(svc, 'task-definition')).taskDefinitionArn;
      const tg = svc.loadBalanced ? ctx.output<TargetGroupOutputs>(idFor(svc, 'target-group')) : undefined;
      const cp = ctx.tryOutput<CapacityProviderOutputs>('capacity-provider');
      const existing = await describeService(ctx, cluster, names.service);
      if (existing && existing.status === 'DRAINING') await waitUntilInactive(ctx, cluster, names.service);
      const missing = await missingImage(ctx, svc);
      if (missing) ctx.progress(`${missing} has not been pushed yet: creating the service with 0 tasks`);
      const connect = serviceConnectOf(ctx, svc);
      const input: CreateServiceCommandInput = {
        cluster,
        serviceName: names.service,
        taskDefinition: td,
        desiredCount: missing ? 0 : svc.desiredCount,
        ...(tg ? { loadBalancers: [{ targetGroupArn: tg.targetGroupArn, containerName: names.container, containerPort: svc.containerPort ?? 80 }], healthCheckGracePeriodSeconds: 60 } : {}),
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: true },
          minimumHealthyPercent: 100,
          maximumPercent: 200,
        },
        ...(cp ? { capacityProviderStrategy: [{ capacityProvider: cp.capacityProviderName, weight: 1, base: 0 }] } : { launchType: 'EC2' as const }),
        schedulingStrategy: 'REPLICA',
        // ECS Exec (off unless the answers say exec: true): `ecs-wizard exec` reaches its tasks.
        ...(svc.exec ? { enableExecuteCommand: true } : {}),
        // Service Connect (a stack where some service has discovery: true): a client of the namespace, or serving by name too.
        ...(connect ? { serviceConnectConfiguration: connect } : {}),
        tags: lowerTags(ctx.env.tags(names.service, svc.name)),
        propagateTags: 'SERVICE',
        enableECSManagedTags: true,
      };
      const ecs = ctx.env.aws.get(ECSClient);
      let r;
      let tagged = true;
      try {
        r = await withEcsServiceLinkedRole(ctx, () => ecs.send(new CreateServiceCommand(input)));
      } catch (err) {
        if (!isEcsTaggingRefused(err)) throw err;
        // An account still on the old ARN format cannot tag services: the service works untagged, and
        // destroy finds it by cluster and name. The refusal made nothing, so sending again is safe.
        ctx.progress('ECS refused tags on the service (the account still uses the old ARN format): creating it untagged');
        const { tags: _tags, propagateTags: _propagate, enableECSManagedTags: _managed, ...untagged } = input;
        r = await withEcsServiceLinkedRole(ctx, () => ecs.send(new CreateServiceCommand(untagged)));
        tagged = false;
      }
      return { ...outputsOf(r.service!, cluster), ...(missing ? { imageMissing: missing } : {}), ...(tagged ? {} : { tagged: false as const }) } satisfies ServiceOutputs;
    },
    async destroy(ctx, outputs) {
      const { cluster, name } = serviceOf(ctx, svc, outputs);
      const ecs = ctx.env.aws.get(ECSClient);
      // DRAINING or INACTIVE: deleted already; the tail waits for it.
      if ((await describeService(ctx, cluster, name))?.status !== 'ACTIVE') return;
      // Scale to zero first, so tasks stop and deregister from the target group before the delete.
      const goneAlready = (err: unknown): void => {
        if (!isNotFound(err)) throw err;
      };
      await ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 })).catch(goneAlready);
      await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true })).catch(goneAlready);
    },
    async waitUntilGone(ctx, outputs) {
      const { cluster, name } = serviceOf(ctx, svc, outputs);
      await waitUntilInactive(ctx, cluster, name);
    },
  };
}

function serviceOf(ctx: StepContext<StackEnv>, svc: ServiceSpec, outputs: Record<string, unknown>): { cluster: string; name: string } {
  return {
    cluster: (outputs.clusterName as string | undefined) ?? ctx.env.names.cluster,
    name: (outputs.serviceName as string | undefined) ?? serviceNames(ctx.env.names.stack, svc).service,
  };
}

/** Stable: as many tasks running as desired, and one deployment (the new one) left, rolled out. */
export function serviceStableStep(svc: ServiceSpec): WaitStep<StackEnv> {
  return {
    id: idFor(svc, 'service-stable'),
    title: svc.primary ? 'Service stable' : `Service stable (${svc.name})`,
    dependsOn: [idFor(svc, 'service')],
    kind: 'wait',
    async run(ctx) {
      const { clusterName: cluster, serviceName: name, imageMissing } = ctx.output<ServiceOutputs>(idFor(svc, 'service'));
      if (imageMissing) {
        ctx.progress(`nothing to wait for: the service runs 0 tasks until ${imageMissing} is pushed`);
        return;
      }
      await waitUntilStable(ctx, cluster, name, svc.desiredCount);
    },
  };
}

async function waitUntilStable(ctx: StepContext<StackEnv>, cluster: string, name: string, answered: number): Promise<void> {
  let running = 0;
  let desired = answered;
  /** What kept a service at its count from being stable: its deployments, as last seen. */
  let rollout = '';
  const started = ctx.env.timing.now();
  try {
    await poll(
      async () => {
        const s = await describeService(ctx, cluster, name);
        if (!s) throw new WizardError('AWS', `The service ${name} disappeared from cluster ${cluster} while waiting for it.`);
        running = s.runningCount ?? 0;
        desired = s.desiredCount ?? desired;
        const deployments = s.deployments ?? [];
        const primary = deployments.find((d) => d.status === 'PRIMARY');
        if (primary?.rolloutState === 'FAILED') {
          throw new WizardError('AWS', `The deployment of service ${name} failed: ${primary.rolloutStateReason ?? 'tasks did not stay healthy'}.`, {
            hint: `Read the service events: aws ecs describe-services --cluster ${cluster} --services ${name}`,
          });
        }
        const rolledOut = deployments.length === 1 && primary !== undefined && (primary.rolloutState === undefined || primary.rolloutState === 'COMPLETED');
        rollout = `${plural(deployments.length, 'deployment')}${primary?.rolloutState ? `, the newest ${primary.rolloutState}` : ''}`;
        return running === desired && rolledOut
          ? { done: true, value: undefined }
          : { done: false, waitingFor: `waiting for the service: ${running}/${desired} ${noun(desired, 'task')} running` };
      },
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
    );
  } catch (err) {
    if (!isWizardError(err, 'TIMEOUT')) throw err;
    const seconds = Math.round((ctx.env.timing.now() - started) / 1000);
    // Every task runs: what is missing is the end of the deployment, not tasks or hosts.
    if (running >= desired) {
      throw new WizardError('TIMEOUT', `The service ${name} runs ${running} of ${plural(desired, 'task')}, but its deployment had not finished after ${seconds} s (${rollout}).`, {
        hint: `Read the service events (aws ecs describe-services --cluster ${cluster} --services ${name}): an old deployment still draining, or tasks replaced as they fail health checks, keep it going.`,
        cause: err,
      });
    }
    // The usual reason on a new stack: the hosts' ECS agents never joined, so no task can be placed.
    const joined = await countContainerInstances(ctx, cluster).catch(() => undefined);
    if (joined === 0 && running === 0) {
      throw new WizardError(
        'TIMEOUT',
        `0 container instances joined cluster ${cluster} in ${seconds} s (the service ${name} has ${running} of ${plural(desired, 'task')} running): check the instance profile, user data (ECS_CLUSTER), and public IP/NAT of the instances.`,
        {
          hint: `The ECS agent on each instance needs the instance role, ECS_CLUSTER=${cluster} in /etc/ecs/ecs.config, and a route to the internet; see /var/log/ecs/ecs-agent.log on an instance.`,
          cause: err,
        },
      );
    }
    // The hosts are there (or could not be counted): what is missing is the tasks, and the service's events say why.
    const hosts = joined === undefined ? '' : ` while ${plural(joined, 'instance')} joined cluster ${cluster}`;
    throw new WizardError('TIMEOUT', `The service ${name} had ${running} of ${plural(desired, 'task')} running after ${seconds} s${hosts}.`, {
      hint: `Read the service events (aws ecs describe-services --cluster ${cluster} --services ${name}): tasks that cannot be placed, images that cannot be pulled, or failing target health checks are the usual causes.`,
      cause: err,
    });
  }
}

async function countContainerInstances(ctx: StepContext<StackEnv>, cluster: string): Promise<number> {
  const r = await ctx.env.aws.get(ECSClient).send(new ListContainerInstancesCommand({ cluster, status: 'ACTIVE' }));
  return r.containerInstanceArns?.length ?? 0;
}
