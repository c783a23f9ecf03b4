import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  ECSClient,
  PutClusterCapacityProvidersCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider,
  type CapacityProviderStrategyItem,
  type ManagedScaling,
} from '@aws-sdk/client-ecs';
import { WizardError } from '../../errors.js';
import { hasCode, isNotFound } from '../../aws/errors.js';
import { poll, retryWhile, type PollTiming } from '../../aws/poll.js';
import { lowerTags } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { withEcsServiceLinkedRole } from '../ecs-service-role.js';
import type { StackEnv } from '../env.js';
import type { AutoScalingGroupOutputs, CapacityProviderOutputs, ClusterOutputs } from '../outputs.js';

/**
 * At most this many instances are launched in one managed scale-out. AWS's default (10000) lets a
 * burst of pending tasks start — and bill — a whole fleet at once; 10 still catches up quickly,
 * and instances.maxSize stays the hard cap.
 */
export const MAXIMUM_SCALING_STEP_SIZE = 10;

/** Errors that clear once ECS finishes an update or a service lets go of the provider. */
const isBusy = (err: unknown): boolean => hasCode(err, 'ResourceInUseException', 'UpdateInProgressException');

function wantedScaling(ctx: StepContext<StackEnv>): Required<Pick<ManagedScaling, 'status' | 'targetCapacity' | 'minimumScalingStepSize' | 'maximumScalingStepSize'>> {
  return {
    status: 'ENABLED',
    targetCapacity: ctx.env.answers.scaling.instances.targetCapacityPercent,
    minimumScalingStepSize: 1,
    maximumScalingStepSize: MAXIMUM_SCALING_STEP_SIZE,
  };
}

/**
 * The provider by name, if it is alive. moto answers DescribeCapacityProviders without names with
 * HTTP 500, so the name is always passed. A deleted provider turns INACTIVE (or DELETE_IN_PROGRESS)
 * on AWS and lingers in describes for a while: that counts as gone.
 */
export async function describeCapacityProvider(ecs: ECSClient, name: string): Promise<CapacityProvider | undefined> {
  const cp = await describeAnyCapacityProvider(ecs, name);
  if (!cp || cp.updateStatus === 'DELETE_IN_PROGRESS') return undefined;
  return cp;
}

/** The provider as ECS lists it, a deletion in progress included; undefined once it is really gone. */
async function describeAnyCapacityProvider(ecs: ECSClient, name: string): Promise<CapacityProvider | undefined> {
  const r = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ['TAGS'] }));
  const cp = r.capacityProviders?.find((p) => p.name === name || p.capacityProviderArn === name);
  if (!cp || cp.status === 'INACTIVE' || cp.updateStatus === 'DELETE_COMPLETE') return undefined;
  return cp;
}

function scalingDiffers(cp: CapacityProvider, ctx: StepContext<StackEnv>): boolean {
  const have = cp.autoScalingGroupProvider;
  const want = wantedScaling(ctx);
  return (
    have?.managedTerminationProtection !== 'ENABLED' ||
    have?.managedDraining !== 'ENABLED' ||
    (Object.keys(want) as (keyof typeof want)[]).some((k) => have?.managedScaling?.[k] !== want[k])
  );
}

const isDefaultStrategy = (strategy: CapacityProviderStrategyItem[] | undefined, name: string): boolean =>
  strategy?.length === 1 && strategy[0]!.capacityProvider === name && (strategy[0]!.weight ?? 0) === 1 && (strategy[0]!.base ?? 0) === 0;

/** Makes the provider the cluster's (only) default strategy; no call when it already is. */
async function attachToCluster(ctx: StepContext<StackEnv>, ecs: ECSClient, name: string): Promise<void> {
  const clusterName = ctx.output<ClusterOutputs>('cluster').clusterName;
  const r = await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }));
  const cluster = r.clusters?.find((c) => c.status !== 'INACTIVE');
  if (!cluster) throw new WizardError('AWS', `ECS cluster ${clusterName} does not exist, so capacity provider ${name} cannot be attached to it.`);
  const providers = cluster.capacityProviders ?? [];
  if (providers.includes(name) && isDefaultStrategy(cluster.defaultCapacityProviderStrategy, name)) return;
  ctx.progress(`attaching capacity provider ${name} to cluster ${clusterName}`);
  await retryWhile(
    () =>
      ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster: clusterName,
          // Providers the user added by hand stay; ours becomes the default for new services and tasks.
          capacityProviders: providers.includes(name) ? providers : [...providers, name],
          defaultCapacityProviderStrategy: [{ capacityProvider: name, weight: 1, base: 0 }],
        }),
      ),
    isBusy,
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for cluster ${clusterName} to finish updating` },
  );
}

/** Updates managed scaling (and draining) when it differs from the answers, and makes sure the cluster uses the provider. */
async function repair(ctx: StepContext<StackEnv>, ecs: ECSClient, cp: CapacityProvider): Promise<void> {
  const name = cp.name!;
  if (scalingDiffers(cp, ctx)) {
    ctx.progress(`updating managed scaling of capacity provider ${name}`);
    await retryWhile(
      () => ecs.send(new UpdateCapacityProviderCommand({ name, autoScalingGroupProvider: { managedScaling: wantedScaling(ctx), managedTerminationProtection: 'ENABLED', managedDraining: 'ENABLED' } })),
      isBusy,
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for capacity provider ${name} to finish updating` },
    );
  }
  await attachToCluster(ctx, ecs, name);
}

function outputsOf(cp: CapacityProvider): CapacityProviderOutputs & Record<string, unknown> {
  return { capacityProviderName: cp.name!, capacityProviderArn: cp.capacityProviderArn! };
}

/**
 * The ECS capacity provider over the stack's Auto Scaling group, with managed scaling (ECS sizes
 * the group to fit the tasks) and managed termination protection (ECS never scales in an instance
 * still running tasks; the group is created protected from scale-in for this), attached to the
 * cluster as its default strategy.
 */
export const capacityProviderStep: ResourceStep<StackEnv> = {
  id: 'capacity-provider',
  title: 'Capacity provider',
  dependsOn: ['auto-scaling-group', 'cluster'],
  // The group's ForceDelete terminates its instances, scale-in protected or not, whether or not a
  // provider still names the group: its long wait need not queue behind the provider's delete.
  teardown: { mayGoFirst: ['auto-scaling-group'] },
  async find(ctx) {
    const ecs = ctx.env.aws.get(ECSClient);
    const name = (ctx.recorded?.capacityProviderName as string | undefined) ?? ctx.env.names.capacityProvider;
    const cp = await describeCapacityProvider(ecs, name);
    if (!cp) return undefined;
    const asgArn = ctx.tryOutput<AutoScalingGroupOutputs>('auto-scaling-group')?.autoScalingGroupArn;
    const haveArn = cp.autoScalingGroupProvider?.autoScalingGroupArn;
    if (asgArn && haveArn && haveArn !== asgArn) {
      throw new WizardError('DRIFT', `Capacity provider ${name} manages Auto Scaling group ${haveArn}, not the stack's ${asgArn}. A capacity provider's group cannot change.`, {
        hint: `Run \`ecs-wizard destroy ${ctx.env.names.stack}\` and create the stack again, or delete capacity provider ${name} by hand.`,
      });
    }
    // Only in a real create: bring managed scaling back to the answers and re-attach a provider a crash left detached.
    if (ctx.repair) await repair(ctx, ecs, cp);
    return outputsOf(cp);
  },
  async create(ctx) {
    const ecs = ctx.env.aws.get(ECSClient);
    const name = ctx.env.names.capacityProvider;
    const command = new CreateCapacityProviderCommand({
      name,
      autoScalingGroupProvider: {
        autoScalingGroupArn: ctx.output<AutoScalingGroupOutputs>('auto-scaling-group').autoScalingGroupArn,
        managedScaling: wantedScaling(ctx),
        managedTerminationProtection: 'ENABLED',
        // ECS drains an instance before its group scales it in (or replaces it), so its tasks move first.
        managedDraining: 'ENABLED',
      },
      tags: lowerTags(ctx.env.tags(name)),
    });
    const r = await withEcsServiceLinkedRole(ctx, () => ecs.send(command));
    const outputs = outputsOf(r.capacityProvider!);
    await ctx.note({ ...outputs });
    await attachToCluster(ctx, ecs, name);
    return outputs;
  },
  async destroy(ctx, outputs) {
    const name = (outputs.capacityProviderName as string | undefined) ?? ctx.env.names.capacityProvider;
    const clusterName = ctx.tryOutput<ClusterOutputs>('cluster')?.clusterName ?? ctx.env.names.cluster;
    await deleteCapacityProvider(ctx.env.aws.get(ECSClient), name, clusterName, { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress });
  },
};

/**
 * Detaches the provider from the cluster, deletes it, and waits until it is really gone, bounded by
 * the wait timeout. DeleteCapacityProvider raises no error for a provider still attached (or whose
 * detach has not settled): it answers with updateStatus DELETE_FAILED and leaves it — so that
 * answer is read, and the detach and delete tried again. A deleted provider stays listed as
 * DELETE_IN_PROGRESS for a while before it is gone. Shared by the plan's destroy and the cleanup pass.
 */
export async function deleteCapacityProvider(
  ecs: ECSClient,
  name: string,
  clusterName: string | undefined,
  opts: { timing: PollTiming; signal?: AbortSignal; progress?: (message: string) => void },
): Promise<void> {
  await poll(
    async () => {
      const cp = await describeAnyCapacityProvider(ecs, name);
      if (!cp) return { done: true, value: undefined };
      if (cp.updateStatus === 'DELETE_IN_PROGRESS') return { done: false, waitingFor: `waiting for capacity provider ${name} to be deleted (DELETE_IN_PROGRESS)` };
      try {
        // The service that used it is gone by now; a cluster still updating answers "busy": look again.
        if (clusterName) await detachFromCluster(ecs, clusterName, name);
        const r = await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: name }));
        if (r.capacityProvider?.updateStatus === 'DELETE_FAILED') {
          return { done: false, waitingFor: `waiting for capacity provider ${name} to be deletable (DELETE_FAILED: ${r.capacityProvider.updateStatusReason ?? 'no reason given'})` };
        }
      } catch (err) {
        if (isNotFound(err)) return { done: true, value: undefined };
        if (!isBusy(err)) throw err;
        return { done: false, waitingFor: `waiting for capacity provider ${name} to be released (${(err as Error).name})` };
      }
      // Deleting: look again until it is gone.
      return { done: false, waitingFor: `waiting for capacity provider ${name} to be deleted` };
    },
    opts,
  );
}

async function detachFromCluster(ecs: ECSClient, clusterName: string, name: string): Promise<void> {
  let cluster;
  try {
    cluster = (await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }))).clusters?.find((c) => c.status !== 'INACTIVE');
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (!cluster?.capacityProviders?.includes(name)) return;
  try {
    await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: clusterName,
        capacityProviders: cluster.capacityProviders.filter((p) => p !== name),
        defaultCapacityProviderStrategy: (cluster.defaultCapacityProviderStrategy ?? []).filter((s) => s.capacityProvider !== name),
      }),
    );
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
}
