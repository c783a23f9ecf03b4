import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ECSClient,
  ListContainerInstancesCommand,
  UpdateClusterSettingsCommand,
  type ClusterSetting,
  type ContainerInstance,
} from '@aws-sdk/client-ecs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { isClusterHoldingInstances, unlessNotFound } from '../../aws/errors.js';
import { lowerTags } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { deleteIgnoringNotFound } from '../common.js';
import { withEcsServiceLinkedRole } from '../ecs-service-role.js';
import type { StackEnv } from '../env.js';
import type { ClusterOutputs } from '../outputs.js';

/** Container Insights as the answers ask: it costs money per metric, so it is off unless asked. */
function insightsSetting(ctx: StepContext<StackEnv>): ClusterSetting {
  return { name: 'containerInsights', value: ctx.env.answers.cluster.containerInsights ? 'enabled' : 'disabled' };
}

/** "enhanced" (a newer, pricier level) counts as on: we never downgrade it. */
const insightsOn = (value: string | undefined): boolean => value === 'enabled' || value === 'enhanced';

/** The ECS cluster. Found by name; an INACTIVE cluster (deleted, still listed for a while) counts as absent. */
export const clusterStep: ResourceStep<StackEnv> = {
  id: 'cluster',
  title: 'ECS cluster',
  dependsOn: [],
  async find(ctx) {
    const name = (ctx.recorded?.clusterName as string | undefined) ?? ctx.env.names.cluster;
    const ecs = ctx.env.aws.get(ECSClient);
    const r = await ecs.send(new DescribeClustersCommand({ clusters: [name], include: ['SETTINGS'] }));
    const cluster = r.clusters?.find((c) => c.status === 'ACTIVE');
    if (!cluster?.clusterName) return undefined;
    const wanted = insightsSetting(ctx);
    const current = cluster.settings?.find((s) => s.name === 'containerInsights')?.value;
    if (ctx.repair && insightsOn(current) !== (wanted.value === 'enabled')) {
      await ecs.send(new UpdateClusterSettingsCommand({ cluster: cluster.clusterName, settings: [wanted] }));
    }
    return { clusterName: cluster.clusterName, clusterArn: cluster.clusterArn ?? '' } satisfies ClusterOutputs;
  },
  async create(ctx) {
    const name = ctx.env.names.cluster;
    const command = new CreateClusterCommand({ clusterName: name, tags: lowerTags(ctx.env.tags(name)), settings: [insightsSetting(ctx)] });
    const r = await withEcsServiceLinkedRole(ctx, () => ctx.env.aws.get(ECSClient).send(command));
    return { clusterName: r.cluster?.clusterName ?? name, clusterArn: r.cluster?.clusterArn ?? '' } satisfies ClusterOutputs;
  },
  async destroy(ctx, outputs) {
    const name = outputs.clusterName as string;
    const ecs = ctx.env.aws.get(ECSClient);
    // DeleteCluster fails while container instances, services or tasks remain (instances deregister as the ASG
    // terminates them — but for those whose agent had lost its connection: deregisterTerminatedHosts).
    await deleteIgnoringNotFound(
      ctx,
      async () => {
        try {
          await ecs.send(new DeleteClusterCommand({ cluster: name }));
        } catch (err) {
          if (isClusterHoldingInstances(err)) await deregisterTerminatedHosts(ctx, name);
          throw err;
        }
      },
      `the cluster ${name} to be empty`,
    );
  },
};

/**
 * ECS deregisters the container instance of a host that terminates — unless the host's agent had
 * lost its connection first: "instances with disconnected agents aren't automatically deregistered
 * when terminated". A private host's agent loses it when the NAT gateways go, which a destroy
 * starts at once (beside the hosts' ForceDelete, so the stack goes in minutes, not in minutes
 * more). Such a container instance keeps the cluster until it is deregistered with force: done
 * here for every one whose EC2 instance is terminated (or gone), never for a live one.
 */
async function deregisterTerminatedHosts(ctx: StepContext<StackEnv>, cluster: string): Promise<void> {
  const ecs = ctx.env.aws.get(ECSClient);
  const registered: ContainerInstance[] = [];
  let nextToken: string | undefined;
  do {
    const r = await ecs.send(new ListContainerInstancesCommand({ cluster, nextToken }));
    const arns = r.containerInstanceArns ?? [];
    // ListContainerInstances pages by 100, as many as DescribeContainerInstances takes.
    if (arns.length) registered.push(...((await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }))).containerInstances ?? []));
    nextToken = r.nextToken;
  } while (nextToken);
  const ids = registered.map((c) => c.ec2InstanceId).filter((id): id is string => !!id);
  if (!ids.length) return;
  const live = new Set<string>();
  const ec2 = ctx.env.aws.get(EC2Client);
  let next: string | undefined;
  do {
    // By filter, not InstanceIds: an instance AWS has forgotten is gone, not an error.
    const r = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ids }], NextToken: next }));
    for (const i of (r.Reservations ?? []).flatMap((x) => x.Instances ?? [])) if (i.State?.Name !== 'terminated') live.add(i.InstanceId!);
    next = r.NextToken;
  } while (next);
  for (const c of registered) {
    if (!c.ec2InstanceId || live.has(c.ec2InstanceId)) continue;
    ctx.progress(`deregistering container instance ${c.containerInstanceArn?.split('/').pop()} of terminated instance ${c.ec2InstanceId} (its ECS agent had lost its connection, so ECS keeps it)`);
    await unlessNotFound(() => ecs.send(new DeregisterContainerInstanceCommand({ cluster, containerInstance: c.containerInstanceArn, force: true })));
  }
}
