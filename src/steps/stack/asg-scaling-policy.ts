import {
  AutoScalingClient,
  DeletePolicyCommand,
  DescribePoliciesCommand,
  PutScalingPolicyCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-auto-scaling';
import { hasCode, isNotFound } from '../../aws/errors.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { AsgScalingPolicyOutputs, AutoScalingGroupOutputs } from '../outputs.js';

const METRIC = 'ASGAverageCPUUtilization';

const policyName = (ctx: StepContext<StackEnv>): string => `${ctx.env.names.stack}-cpu`;
const groupName = (ctx: StepContext<StackEnv>): string =>
  ctx.tryOutput<AutoScalingGroupOutputs>('auto-scaling-group')?.autoScalingGroupName ?? ctx.env.names.autoScalingGroup;

async function describePolicy(ctx: StepContext<StackEnv>, name: string): Promise<ScalingPolicy | undefined> {
  const asg = ctx.env.aws.get(AutoScalingClient);
  try {
    const r = await asg.send(new DescribePoliciesCommand({ AutoScalingGroupName: groupName(ctx), PolicyNames: [name] }));
    return r.ScalingPolicies?.find((p) => p.PolicyName === name);
  } catch (err) {
    // Auto Scaling says "group not found" as a ValidationError.
    if (isNotFound(err) || hasCode(err, 'ValidationError')) return undefined;
    throw err;
  }
}

function outputsOf(name: string, arn: string | undefined): AsgScalingPolicyOutputs & Record<string, unknown> {
  // moto returns no PolicyARN: the key is left out rather than stored as null.
  return arn ? { policyName: name, policyArn: arn } : { policyName: name };
}

async function putPolicy(ctx: StepContext<StackEnv>, name: string): Promise<AsgScalingPolicyOutputs> {
  const r = await ctx.env.aws.get(AutoScalingClient).send(
    new PutScalingPolicyCommand({
      AutoScalingGroupName: groupName(ctx),
      PolicyName: name,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: METRIC },
        TargetValue: ctx.env.answers.scaling.instances.targetCpuPercent,
      },
    }),
  );
  return outputsOf(name, r.PolicyARN);
}

/**
 * The article's alternative to a capacity provider, for users who decline one: a plain target
 * tracking policy that keeps the group's average CPU at the chosen percentage.
 */
export const asgScalingPolicyStep: ResourceStep<StackEnv> = {
  id: 'asg-scaling-policy',
  title: 'Instance scaling policy',
  dependsOn: ['auto-scaling-group'],
  async find(ctx) {
    const name = (ctx.recorded?.policyName as string | undefined) ?? policyName(ctx);
    const policy = await describePolicy(ctx, name);
    if (!policy) return undefined;
    const tt = policy.TargetTrackingConfiguration;
    const right =
      policy.PolicyType === 'TargetTrackingScaling' &&
      tt?.PredefinedMetricSpecification?.PredefinedMetricType === METRIC &&
      tt.TargetValue === ctx.env.answers.scaling.instances.targetCpuPercent;
    if (right || !ctx.repair) return outputsOf(name, policy.PolicyARN);
    ctx.progress(`updating scaling policy ${name}`);
    // PutScalingPolicy replaces a policy of the same name in place.
    const put = await putPolicy(ctx, name);
    return { ...put, ...(put.policyArn || !policy.PolicyARN ? {} : { policyArn: policy.PolicyARN }) };
  },
  async create(ctx) {
    return { ...(await putPolicy(ctx, policyName(ctx))) };
  },
  async destroy(ctx, outputs) {
    const name = outputs.policyName as string;
    if (!(await describePolicy(ctx, name))) return;
    try {
      await ctx.env.aws.get(AutoScalingClient).send(new DeletePolicyCommand({ AutoScalingGroupName: groupName(ctx), PolicyName: name }));
    } catch (err) {
      if (isNotFound(err) || hasCode(err, 'ValidationError')) return;
      throw err;
    }
  },
};
