import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { WizardError } from '../../errors.js';
import { isNotFound, unlessNotFound } from '../../aws/errors.js';
import { lowerTags } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { repositoryImage } from './ecr.js';
import type { EcrRepositoryOutputs, LogGroupOutputs, RoleOutputs, ServiceOutputs, TaskDefinitionOutputs } from '../outputs.js';
import { plural } from '../../words.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';
import { makesTaskRole } from './exec.js';
import { portMappingName } from './service-connect.js';

/**
 * The task definition a service's answers ask for: bridge mode, the execution role; a port
 * mapping on a dynamic host port when the service has a port (a worker may have none).
 */
function wanted(ctx: StepContext<StackEnv>, svc: ServiceSpec) {
  const names = serviceNames(ctx.env.names.stack, svc);
  const ecr = ctx.tryOutput<EcrRepositoryOutputs>(idFor(svc, 'ecr-repository'));
  const logGroup = svc.logs ? ctx.tryOutput<LogGroupOutputs>('log-group') : undefined;
  const container = {
    name: names.container,
    image: ecr ? repositoryImage(svc.image, ecr.repositoryUri) : svc.image,
    cpu: svc.cpu,
    memory: svc.memory,
    essential: true,
    // hostPort 0: each task gets a free host port, so several tasks share an instance behind the TG.
    // A discovery service's mapping also carries the name Service Connect serves it under (and HTTP).
    ...(svc.containerPort !== undefined ? { portMappings: [{ containerPort: svc.containerPort, hostPort: 0, protocol: 'tcp' as const, ...portMappingName(svc) }] } : {}),
    ...(svc.command ? { command: svc.command } : {}),
    environment: Object.entries(svc.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    // ECS reads these with the execution role when the task starts: the values never pass through us.
    ...(Object.keys(svc.secrets).length
      ? { secrets: Object.entries(svc.secrets).sort(([a], [b]) => a.localeCompare(b)).map(([name, valueFrom]) => ({ name, valueFrom })) }
      : {}),
    ...(logGroup
      ? {
          logConfiguration: {
            logDriver: 'awslogs' as const,
            options: { 'awslogs-group': logGroup.logGroupName, 'awslogs-region': ctx.env.region, 'awslogs-stream-prefix': names.logStreamPrefix },
          },
        }
      : {}),
  } satisfies ContainerDefinition;
  // The application's role: the one the user brings, or the one the stack made.
  const taskRoleArn = svc.taskRoleArn ?? (makesTaskRole(svc) ? ctx.output<RoleOutputs>(idFor(svc, 'task-role')).roleArn : undefined);
  return { container, executionRoleArn: ctx.output<RoleOutputs>('execution-role').roleArn, taskRoleArn };
}

/**
 * Whether the task role is ecs-wizard's to compare: when the answers name one, or the revision
 * runs the role the stack made (answers that dropped it drop it). A role someone added by hand to
 * a stack without task-role answers is theirs, kept as deploy keeps it.
 */
function managesTaskRole(wantedArn: string | undefined, runningArn: string | undefined, taskRole: string): boolean {
  return wantedArn !== undefined || (runningArn?.endsWith(`:role/${taskRole}`) ?? false);
}

/** Compares what we set (AWS adds defaults of its own, which are ignored). */
function fingerprint(td: { executionRoleArn?: string; taskRoleArn?: string; networkMode?: string; container?: ContainerDefinition }): string {
  const c = td.container;
  return JSON.stringify({
    executionRoleArn: td.executionRoleArn,
    taskRoleArn: td.taskRoleArn,
    networkMode: td.networkMode,
    name: c?.name,
    image: c?.image,
    cpu: c?.cpu,
    memory: c?.memory,
    essential: c?.essential ?? true,
    // The Service Connect name and protocol only where a mapping has them: every other revision compares as before.
    ports: (c?.portMappings ?? []).map((p) => [p.containerPort, p.hostPort ?? 0, p.protocol ?? 'tcp', ...(p.name !== undefined || p.appProtocol !== undefined ? [p.name, p.appProtocol] : [])]),
    command: c?.command?.length ? c.command : undefined,
    environment: [...(c?.environment ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')).map((e) => [e.name, e.value]),
    secrets: [...(c?.secrets ?? [])].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')).map((e) => [e.name, e.valueFrom]),
    logs: c?.logConfiguration
      ? [c.logConfiguration.logDriver, ...['awslogs-group', 'awslogs-region', 'awslogs-stream-prefix'].map((k) => c.logConfiguration?.options?.[k])]
      : null,
  });
}

/** The task definition the service runs now, if there is such a service. */
async function serviceRevision(ctx: StepContext<StackEnv>, spec: ServiceSpec): Promise<string | undefined> {
  const svc = ctx.tryOutput<ServiceOutputs>(idFor(spec, 'service'));
  const cluster = svc?.clusterName ?? ctx.env.names.cluster;
  const service = svc?.serviceName ?? serviceNames(ctx.env.names.stack, spec).service;
  const r = await unlessNotFound(() => ctx.env.aws.get(ECSClient).send(new DescribeServicesCommand({ cluster, services: [service] })));
  const s = r?.services?.find((x) => x.status === 'ACTIVE');
  return s?.taskDefinition;
}

/** Only ARNs just listed are described, so a failure here is a real error. */
async function describe(ctx: StepContext<StackEnv>, arn: string): Promise<TaskDefinition | undefined> {
  const r = await ctx.env.aws.get(ECSClient).send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
  return r.taskDefinition;
}

/** The family's revisions in one status (familyPrefix is a prefix on AWS: only this family's are kept). */
export async function familyRevisions(ecs: ECSClient, family: string, status: 'ACTIVE' | 'INACTIVE'): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status, nextToken }));
    arns.push(...(r.taskDefinitionArns ?? []).filter((a) => a.split('/').pop()?.split(':')[0] === family));
    nextToken = r.nextToken;
  } while (nextToken);
  return arns;
}

const activeRevisions = (ctx: StepContext<StackEnv>, family: string): Promise<string[]> => familyRevisions(ctx.env.aws.get(ECSClient), family, 'ACTIVE');

/**
 * Deletes deregistered (INACTIVE) revisions, ten per call as the API allows. AWS reports a
 * revision it cannot delete among `failures`, not as an error: those are returned.
 */
export async function deleteRevisions(ecs: ECSClient, arns: string[]): Promise<{ arn?: string; reason?: string }[]> {
  const failures: { arn?: string; reason?: string }[] = [];
  for (let i = 0; i < arns.length; i += 10) {
    const r = await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: arns.slice(i, i + 10) }));
    failures.push(...(r.failures ?? []));
  }
  return failures;
}

const revisionOf = (arn: string): number => Number(arn.split(':').pop());

function outputsOf(td: TaskDefinition) {
  return { taskDefinitionArn: td.taskDefinitionArn!, family: td.family!, revision: td.revision! } satisfies TaskDefinitionOutputs;
}

/**
 * Task definitions are immutable revisions: the revision the service runs, else the latest ACTIVE
 * one, is reused when its content matches the answers; otherwise a new revision is registered (the
 * service then moves to it).
 */
export function taskDefinitionStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  const family = (ctx: StepContext<StackEnv>): string => serviceNames(ctx.env.names.stack, svc).taskFamily;
  return {
    id: idFor(svc, 'task-definition'),
    title: svc.primary ? 'Task definition' : `Task definition (${svc.name})`,
    dependsOn: ['execution-role', idFor(svc, 'task-role'), idFor(svc, 'ecr-repository'), 'log-group', idFor(svc, 'secrets-policy')],
    async find(ctx) {
      const w = wanted(ctx, svc);
      const matches = (td: TaskDefinition): boolean => {
        const taskRoleArn = managesTaskRole(w.taskRoleArn, td.taskRoleArn, serviceNames(ctx.env.names.stack, svc).taskRole) ? td.taskRoleArn : w.taskRoleArn;
        return (
          td.containerDefinitions?.length === 1 &&
          fingerprint({ executionRoleArn: td.executionRoleArn, taskRoleArn, networkMode: td.networkMode, container: td.containerDefinitions?.[0] }) ===
            fingerprint({ executionRoleArn: w.executionRoleArn, taskRoleArn: w.taskRoleArn, networkMode: 'bridge', container: w.container })
        );
      };
      // The revision the service runs first: after a deploy or a rollback it need not be the latest,
      // and when the answers name what runs, nothing is registered and the service is not touched.
      const running = await serviceRevision(ctx, svc);
      if (running) {
        const td = await describe(ctx, running);
        if (td?.taskDefinitionArn && td.family === family(ctx) && td.status === 'ACTIVE' && matches(td)) return outputsOf(td);
      }
      const revisions = await activeRevisions(ctx, family(ctx));
      if (revisions.length === 0) return undefined;
      const latest = revisions.reduce((a, b) => (revisionOf(b) > revisionOf(a) ? b : a));
      if (latest === running) return undefined;
      const td = await describe(ctx, latest);
      if (!td?.taskDefinitionArn) return undefined;
      return matches(td) ? outputsOf(td) : undefined;
    },
    async create(ctx) {
      const w = wanted(ctx, svc);
      const r = await ctx.env.aws.get(ECSClient).send(
        new RegisterTaskDefinitionCommand({
          family: family(ctx),
          networkMode: 'bridge',
          requiresCompatibilities: ['EC2'],
          executionRoleArn: w.executionRoleArn,
          ...(w.taskRoleArn ? { taskRoleArn: w.taskRoleArn } : {}),
          containerDefinitions: [w.container],
          tags: lowerTags(ctx.env.tags(family(ctx), svc.name)),
        }),
      );
      return outputsOf(r.taskDefinition!);
    },
    async destroy(ctx, outputs) {
      await deleteFamily(ctx, (outputs.family as string | undefined) ?? family(ctx));
    },
  };
}

/** Deregisters every ACTIVE revision of the family, then deletes the deregistered ones. */
async function deleteFamily(ctx: StepContext<StackEnv>, family: string): Promise<void> {
  const ecs = ctx.env.aws.get(ECSClient);
  // Every ACTIVE revision: earlier runs may have registered several.
  for (const arn of await activeRevisions(ctx, family)) {
    try {
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  // Deregistered revisions stay listed (INACTIVE) for good unless deleted.
  const inactive = await familyRevisions(ecs, family, 'INACTIVE');
  if (inactive.length === 0) return;
  ctx.progress(`deleting ${plural(inactive.length, 'deregistered revision')} of ${family}`);
  const failures = await deleteRevisions(ecs, inactive);
  const left = new Set(await familyRevisions(ecs, family, 'INACTIVE'));
  const stuck = failures.filter((f) => f.arn && left.has(f.arn));
  if (stuck.length) {
    throw new WizardError('AWS', `Could not delete task definition revisions: ${stuck.map((f) => `${f.arn} (${f.reason ?? 'no reason given'})`).join(', ')}.`);
  }
}
