import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  UpdateClusterSettingsCommand,
  type ClusterSetting,
} from '@aws-sdk/client-ecs';
import { lowerTags } from '../aws/tags.js';
import type { ResourceStep, StepContext } from '../engine/types.js';
import { deleteIgnoringNotFound } from './common.js';
import { withEcsServiceLinkedRole } from './ecs-service-role.js';
import type { StackEnv } from './env.js';
import type { ClusterOutputs } from './outputs.js';

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
    // DeleteCluster fails while container instances, services or tasks remain (instances deregister as the ASG terminates them).
    await deleteIgnoringNotFound(ctx, () => ecs.send(new DeleteClusterCommand({ cluster: name })), `the cluster ${name} to be empty`);
  },
};
