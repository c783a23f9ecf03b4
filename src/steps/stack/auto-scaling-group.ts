import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
  DetachLoadBalancerTargetGroupsCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { WizardError } from '../../errors.js';
import type { AwsClients } from '../../aws/clients.js';
import { isInstanceProfilePropagating, isTransientDependency, launchFailure } from '../../aws/errors.js';
import { poll, retryWhile } from '../../aws/poll.js';
import type { ResourceStep, StepContext, WaitStep } from '../../engine/types.js';
import { noteCreated, wasCreatedThisRun } from '../common.js';
import type { StackEnv } from '../env.js';
import type { AutoScalingGroupOutputs, LaunchOutputs } from '../outputs.js';
import { convergePlacement, instanceSubnetIds, withSpot } from './instance-placement.js';
import { noun, plural } from '../../words.js';
import { serviceNames } from '../services.js';

export async function describeGroup(ctx: StepContext<StackEnv>, name: string): Promise<AutoScalingGroup | undefined> {
  const r = await ctx.env.aws.get(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
  return r.AutoScalingGroups?.[0];
}

/** A group being deleted keeps its name until its instances are gone. */
async function waitUntilGone(ctx: StepContext<StackEnv>, name: string): Promise<void> {
  await poll(
    async () => {
      const g = await describeGroup(ctx, name);
      return g ? { done: false, waitingFor: `waiting for the Auto Scaling group ${name} and its ${plural(g.Instances?.length ?? 0, 'instance')} to be deleted` } : { done: true, value: undefined };
    },
    { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress },
  );
}

/**
 * Changed instances.minSize / maxSize in the answers reach the group on the next create. The
 * desired capacity is left to scaling (the capacity provider or the CPU policy owns it once the
 * group exists) unless the new bounds exclude it.
 */
async function convergeBounds(ctx: StepContext<StackEnv>, group: AutoScalingGroup): Promise<void> {
  const { minSize, maxSize } = ctx.env.answers.instances;
  if (group.MinSize === minSize && group.MaxSize === maxSize) return;
  const current = group.DesiredCapacity ?? minSize;
  const desired = Math.min(maxSize, Math.max(minSize, current));
  ctx.progress(`setting the group's bounds to ${minSize}–${maxSize} instances`);
  await ctx.env.aws.get(AutoScalingClient).send(
    new UpdateAutoScalingGroupCommand({
      AutoScalingGroupName: group.AutoScalingGroupName,
      MinSize: minSize,
      MaxSize: maxSize,
      ...(desired !== current ? { DesiredCapacity: desired } : {}),
    }),
  );
}

/**
 * Legacy mode: a changed instance type is a new launch configuration (they cannot change), which
 * the group must use from now on; the host roll then replaces the instances. (A launch template's
 * new version needs nothing here: the group launches `$Latest`.)
 */
async function useLaunchConfiguration(ctx: StepContext<StackEnv>, group: AutoScalingGroup): Promise<void> {
  const launch = ctx.tryOutput<LaunchOutputs>('launch-template');
  if (launch?.kind !== 'configuration' || group.LaunchConfigurationName === launch.launchConfigurationName) return;
  ctx.progress(`switching the group to launch configuration ${launch.launchConfigurationName}`);
  await ctx.env.aws.get(AutoScalingClient).send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: group.AutoScalingGroupName, LaunchConfigurationName: launch.launchConfigurationName }));
}

/**
 * An earlier version attached the group to the stack's target group. The group then registered
 * each instance on the target group's port, where nothing listens in bridge mode: unhealthy
 * forever, and the ALB fails open to them. A rerun detaches it.
 */
async function detachTargetGroups(ctx: StepContext<StackEnv>, group: AutoScalingGroup): Promise<void> {
  // (Only ever the primary service's: the versions that attached it had no other.)
  const targetGroup = serviceNames(ctx.env.names.stack, { name: ctx.env.names.stack, primary: true }).targetGroup;
  const ours = (group.TargetGroupARNs ?? []).filter((arn) => arn.includes(`:targetgroup/${targetGroup}/`));
  if (ours.length === 0) return;
  ctx.progress(`detaching the group from target group ${targetGroup} (ECS registers the tasks itself)`);
  await ctx.env.aws.get(AutoScalingClient).send(new DetachLoadBalancerTargetGroupsCommand({ AutoScalingGroupName: group.AutoScalingGroupName, TargetGroupARNs: ours }));
}

/**
 * The ECS hosts' Auto Scaling group, across the instances' subnets (the private ones with
 * instanceSubnets: private), On-Demand or a Spot mix (instance-placement.ts). It is NOT attached to the target
 * group: ECS registers each task on its dynamic host port. Health checks are EC2 for the same
 * reason. (The target group stays a dependency so that a group an earlier version attached is
 * deleted before its target group.)
 */
export const autoScalingGroupStep: ResourceStep<StackEnv> = {
  id: 'auto-scaling-group',
  title: 'Auto Scaling group',
  // Private hosts launch once their subnets route to a NAT gateway (it may still be pending).
  dependsOn: ['launch-template', 'subnets', 'target-group', 'route-table', 'private-subnets', 'private-route-tables'],
  async find(ctx) {
    // moto silently replaces a group created again under the same name: this lookup is the only guard.
    const name = (ctx.recorded?.autoScalingGroupName as string | undefined) ?? ctx.env.names.autoScalingGroup;
    const group = await describeGroup(ctx, name);
    if (!group?.AutoScalingGroupName) return undefined;
    if (group.Status) {
      // "Delete in progress": it is going away; once gone, create makes it anew.
      await waitUntilGone(ctx, name);
      return undefined;
    }
    if (ctx.repair) {
      if (!ctx.env.rollPending) await convergeBounds(ctx, group);
      await useLaunchConfiguration(ctx, group);
      await detachTargetGroups(ctx, group);
      await convergePlacement(ctx, group);
    }
    return { autoScalingGroupName: group.AutoScalingGroupName, autoScalingGroupArn: group.AutoScalingGroupARN ?? '' } satisfies AutoScalingGroupOutputs;
  },
  async create(ctx) {
    const { names, answers } = ctx.env;
    const launch = ctx.output<LaunchOutputs>('launch-template');
    const name = names.autoScalingGroup;
    const as = ctx.env.aws.get(AutoScalingClient);
    const command = new CreateAutoScalingGroupCommand(withSpot({
      AutoScalingGroupName: name,
      ...(launch.kind === 'template'
        ? { LaunchTemplate: { LaunchTemplateId: launch.launchTemplateId, Version: '$Latest' } }
        : { LaunchConfigurationName: launch.launchConfigurationName }),
      MinSize: answers.instances.minSize,
      MaxSize: answers.instances.maxSize,
      DesiredCapacity: answers.instances.desiredCapacity,
      VPCZoneIdentifier: instanceSubnetIds(ctx).join(','),
      HealthCheckType: 'EC2',
      HealthCheckGracePeriod: 120,
      // Managed termination protection of the capacity provider requires scale-in protection.
      NewInstancesProtectedFromScaleIn: answers.scaling.instances.managed,
      Tags: ctx.env.tags(`${names.stack}-ecs-host`).map((t) => ({ ...t, PropagateAtLaunch: true, ResourceId: name, ResourceType: 'auto-scaling-group' })),
    }, answers));
    await retryWhile(() => as.send(command), isInstanceProfilePropagating, {
      timing: ctx.env.timing,
      signal: ctx.signal,
      progress: ctx.progress,
      waitingFor: 'waiting for the new instance profile to reach Auto Scaling',
    });
    noteCreated(ctx, name);
    const group = await describeGroup(ctx, name);
    return { autoScalingGroupName: name, autoScalingGroupArn: group?.AutoScalingGroupARN ?? '' } satisfies AutoScalingGroupOutputs;
  },
  async destroy(ctx, outputs) {
    const name = outputs.autoScalingGroupName as string;
    if (!(await describeGroup(ctx, name))) return;
    // ForceDelete terminates the instances too; AWS removes the group once they are gone.
    await retryWhile(
      () => ctx.env.aws.get(AutoScalingClient).send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true })),
      (err) => isTransientDependency(err),
      { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for scaling activities of ${name} to end` },
    ).catch(async (err: unknown) => {
      // Deleted between our look and the call (AWS says so only with a generic ValidationError).
      if (!(await describeGroup(ctx, name))) return;
      throw err;
    });
    await waitUntilGone(ctx, name);
  },
};

/** Insufficient-capacity failures in a row after which the shortage counts as lasting, not passing. */
export const CAPACITY_RETRIES = 3;

/**
 * Reads the group's recent launch activities (newest first, since `since`): a permanent failure —
 * vCPU limit, unsupported configuration, an AMI of the wrong architecture, or capacity still short
 * after CAPACITY_RETRIES attempts — stops the wait at once with AWS's own words; anything else
 * (a launch in progress, a passing shortage) lets it go on.
 */
export async function checkLaunches(aws: AwsClients, name: string, since: Date): Promise<void> {
  const r = await aws.get(AutoScalingClient).send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: 20 }));
  const recent = (r.Activities ?? []).filter((a) => !a.StartTime || a.StartTime >= since);
  let shortages = 0;
  for (const a of recent) {
    // A launch that worked after the failures means AWS got past them.
    if (a.StatusCode === 'Successful') return;
    if (a.StatusCode !== 'Failed' || !a.StatusMessage) continue;
    const failure = launchFailure(a.StatusMessage);
    if (failure.reason === 'capacity') shortages++;
    if (failure.permanent || shortages >= CAPACITY_RETRIES) {
      throw new WizardError('AWS', `The Auto Scaling group ${name} cannot launch instances: ${a.StatusMessage}`, {
        hint: `${failure.hint ?? ''} See aws autoscaling describe-scaling-activities --auto-scaling-group-name ${name}.`.trim(),
      });
    }
  }
}

/**
 * Waits until the group's desired number of instances are InService. Launch failures show only in
 * the group's scaling activities, so those are read while instances are missing.
 */
export const instancesInServiceStep: WaitStep<StackEnv> = {
  id: 'instances-in-service',
  title: 'Instances in service',
  dependsOn: ['auto-scaling-group'],
  kind: 'wait',
  async run(ctx) {
    const name = ctx.output<AutoScalingGroupOutputs>('auto-scaling-group').autoScalingGroupName;
    const waitStarted = new Date(ctx.env.timing.now());
    await poll(
      async () => {
        const g = await describeGroup(ctx, name);
        const desired = g?.DesiredCapacity ?? ctx.env.answers.instances.desiredCapacity;
        const inService = (g?.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length;
        if (inService >= desired) return { done: true, value: undefined };
        // A group this run made: all its activities count; an older one: only those since the wait
        // began (a failure from before a fix, such as a raised quota, must not stop the rerun).
        const created = wasCreatedThisRun(ctx, name) ? g?.CreatedTime : undefined;
        await checkLaunches(ctx.env.aws, name, created ?? waitStarted);
        return { done: false, waitingFor: `waiting for ${inService}/${desired} ${noun(desired, 'instance')} in service` };
      },
      {
        timing: ctx.env.timing,
        signal: ctx.signal,
        progress: ctx.progress,
        timeoutHint: `Look at the group's scaling activities (aws autoscaling describe-scaling-activities --auto-scaling-group-name ${name}): an instance type not offered in a subnet's AZ, or an account limit, stops launches.`,
      },
    );
  },
};
