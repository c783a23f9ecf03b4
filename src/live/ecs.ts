import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  type ContainerInstance,
  type DesiredStatus,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.js';

/**
 * The live reads of a stack's ECS side (services, tasks, container instances, targets), batched as
 * AWS allows: one module that status, hosts, deploy, destroy, run and exec share. Read-only.
 */

/** DescribeServices takes at most 10 services per call. */
export const DESCRIBE_SERVICES_MAX = 10;
/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_TASKS_MAX = 100;

/** Every container instance of the cluster, described (status, agent, running tasks): status and `hosts` read the same. */
export async function listContainerInstances(aws: AwsClients, cluster: string): Promise<ContainerInstance[]> {
  const ecs = aws.get(ECSClient);
  const out: ContainerInstance[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecs.send(new ListContainerInstancesCommand({ cluster, nextToken }));
    const arns = r.containerInstanceArns ?? [];
    // DescribeContainerInstances takes at most 100 at a time, as ListContainerInstances pages them.
    if (arns.length) out.push(...((await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? []));
    nextToken = r.nextToken;
  } while (nextToken);
  return out;
}

/**
 * The named services of a cluster, described in batches of 10 (one call per batch, in parallel),
 * keyed by service name. A service ECS does not know (or knows as INACTIVE) is absent from the map.
 */
export async function describeServices(aws: AwsClients, cluster: string, names: string[]): Promise<Map<string, Service>> {
  const ecs = aws.get(ECSClient);
  const batches: string[][] = [];
  for (let i = 0; i < names.length; i += DESCRIBE_SERVICES_MAX) batches.push(names.slice(i, i + DESCRIBE_SERVICES_MAX));
  const answers = await Promise.all(batches.map((services) => ecs.send(new DescribeServicesCommand({ cluster, services }))));
  const out = new Map<string, Service>();
  for (const svc of answers.flatMap((a) => a.services ?? [])) if (svc.serviceName && svc.status !== 'INACTIVE') out.set(svc.serviceName, svc);
  return out;
}

/** The tasks of a service with this desired status (at most `limit`, 500 by default), described. */
export async function serviceTasks(aws: AwsClients, cluster: string, service: string, desiredStatus: DesiredStatus, limit = 500): Promise<Task[]> {
  const ecs = aws.get(ECSClient);
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, nextToken }));
    arns.push(...(r.taskArns ?? []));
    nextToken = r.nextToken;
  } while (nextToken && arns.length < limit);
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_MAX) tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + DESCRIBE_TASKS_MAX) }))).tasks ?? []));
  return tasks;
}

/**
 * The tasks of `service` (its ECS service name, e.g. `serviceNames(stack, svc).service`) that run
 * now — desired RUNNING and last seen RUNNING — newest first (by startedAt, then createdAt), so
 * `runningTasks(…)[0]` is the task `exec` attaches to. An empty list when none runs; a cluster or
 * service that is gone throws the SDK's error (ClusterNotFoundException / ServiceNotFoundException).
 */
export async function runningTasks(aws: AwsClients, cluster: string, service: string): Promise<Task[]> {
  const tasks = await serviceTasks(aws, cluster, service, 'RUNNING');
  const at = (t: Task): number => (t.startedAt ?? t.createdAt)?.getTime() ?? 0;
  return tasks.filter((t) => t.lastStatus === 'RUNNING').sort((a, b) => at(b) - at(a));
}

export interface TargetHealth {
  id: string;
  port?: number;
  state?: string;
  reason?: string;
  description?: string;
}

/** The targets of one target group and their health (DescribeTargetHealth is one call per group). */
export async function targetHealth(aws: AwsClients, targetGroupArn: string): Promise<TargetHealth[]> {
  const r = await aws.get(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return (r.TargetHealthDescriptions ?? []).map((t) => ({
    id: t.Target?.Id ?? '',
    port: t.Target?.Port,
    state: t.TargetHealth?.State,
    ...(t.TargetHealth?.Reason ? { reason: t.TargetHealth.Reason } : {}),
    ...(t.TargetHealth?.Description ? { description: t.TargetHealth.Description } : {}),
  }));
}
