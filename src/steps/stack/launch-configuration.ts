import {
  AutoScalingClient,
  CreateLaunchConfigurationCommand,
  DeleteLaunchConfigurationCommand,
  DescribeLaunchConfigurationsCommand,
  type LaunchConfiguration,
} from '@aws-sdk/client-auto-scaling';
import { WizardError } from '../../errors.js';
import { hasCode, isInstanceProfilePropagating, isTransientDependency } from '../../aws/errors.js';
import { retryWhile } from '../../aws/poll.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { METADATA_OPTIONS, ecsUserData, launchChanges, resolveAmi, type FoundLaunch } from './launch-common.js';
import type { ClusterOutputs, InstanceProfileOutputs, LaunchOutputs, SecurityGroupOutputs } from '../outputs.js';

async function describeLaunchConfiguration(ctx: StepContext<StackEnv>, name: string): Promise<LaunchConfiguration | undefined> {
  const r = await ctx.env.aws.get(AutoScalingClient).send(new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] }));
  // moto accepts duplicate names: the first one is the one an earlier run made.
  return r.LaunchConfigurations?.[0];
}

/**
 * What launchChanges compares. A configuration made for private instances says
 * AssociatePublicIpAddress false; one made for public instances leaves it out, which moto reports
 * as false too: so only "public → private" can be read from it, never the way back.
 */
export function foundLaunch(lc: LaunchConfiguration): FoundLaunch {
  return { instanceType: lc.InstanceType, amiId: lc.ImageId, ...(lc.AssociatePublicIpAddress === false ? {} : { privateNetwork: false }) };
}

/** The stack's launch configurations are `<base>`, then `<base>-v2`, `<base>-v3`… (each new type or AMI is a new one). */
export function nextName(base: string, current: string): string {
  const n = current === base ? 1 : Number(/-v(\d+)$/.exec(current)?.[1] ?? 1);
  return `${base}-v${n + 1}`;
}

async function createLaunchConfiguration(ctx: StepContext<StackEnv>, name: string): Promise<LaunchOutputs & { kind: 'configuration' }> {
  const { answers } = ctx.env;
  const profile = ctx.output<InstanceProfileOutputs>('instance-profile');
  const sg = ctx.output<SecurityGroupOutputs>('instance-security-group');
  const cluster = ctx.output<ClusterOutputs>('cluster');
  const amiId = await resolveAmi(ctx);
  const command = new CreateLaunchConfigurationCommand({
    LaunchConfigurationName: name,
    ImageId: amiId,
    InstanceType: answers.instances.instanceType,
    IamInstanceProfile: profile.instanceProfileArn,
    SecurityGroups: [sg.groupId],
    // Private instances get no public IP, whatever the subnet says; public ones take the subnet's.
    ...(answers.network.instanceSubnets === 'private' ? { AssociatePublicIpAddress: false } : {}),
    MetadataOptions: { ...METADATA_OPTIONS },
    UserData: ecsUserData(cluster.clusterName),
    ...(answers.instances.keyName ? { KeyName: answers.instances.keyName } : {}),
  });
  try {
    await retryWhile(() => ctx.env.aws.get(AutoScalingClient).send(command), isInstanceProfilePropagating, {
      timing: ctx.env.timing,
      signal: ctx.signal,
      progress: ctx.progress,
      waitingFor: 'waiting for the new instance profile to reach Auto Scaling',
    });
  } catch (err) {
    // Accounts created since October 2024 cannot create launch configurations at all.
    if (hasCode(err, 'UnsupportedOperation')) {
      throw new WizardError('AWS', 'This AWS account cannot create launch configurations (AWS no longer offers them to new accounts).', {
        hint: 'Set instances.launch: template in the answers (the default) and run create again.',
        cause: err,
      });
    }
    throw err;
  }
  return { kind: 'configuration', launchConfigurationName: name, amiId, instanceType: answers.instances.instanceType };
}

/**
 * Legacy mode (instances.launch: configuration) for accounts that still use launch configurations.
 * Same content as the launch template; launch configurations cannot be tagged or versioned.
 */
export const launchConfigurationStep: ResourceStep<StackEnv> = {
  id: 'launch-template',
  title: 'Launch configuration',
  dependsOn: ['instance-profile', 'instance-security-group', 'cluster'],
  async find(ctx) {
    const name = (ctx.recorded?.launchConfigurationName as string | undefined) ?? ctx.env.names.launchConfiguration;
    const lc = await describeLaunchConfiguration(ctx, name);
    if (!lc?.LaunchConfigurationName) return undefined;
    const changes = launchChanges(ctx.env.answers, foundLaunch(lc));
    // A launch configuration cannot change: a changed type, pinned AMI or network is a new one, which the
    // group then uses and the hosts roll onto; the roll deletes the old one when it is done.
    if (changes.length && ctx.repair) {
      ctx.progress(`new launch configuration for ${changes.join(', ')}`);
      const next = nextName(ctx.env.names.launchConfiguration, lc.LaunchConfigurationName);
      // A run that died after making it left it unrecorded: use it rather than fail on its name.
      const made = await describeLaunchConfiguration(ctx, next);
      const fresh =
        made && launchChanges(ctx.env.answers, foundLaunch(made)).length === 0
          ? ({ kind: 'configuration', launchConfigurationName: next, amiId: made.ImageId ?? '', instanceType: made.InstanceType } satisfies LaunchOutputs)
          : await createLaunchConfiguration(ctx, next);
      return { ...fresh, previous: lc.LaunchConfigurationName, changes };
    }
    return { kind: 'configuration', launchConfigurationName: lc.LaunchConfigurationName, amiId: lc.ImageId ?? '', instanceType: lc.InstanceType } satisfies LaunchOutputs;
  },
  create: (ctx) => createLaunchConfiguration(ctx, ctx.env.names.launchConfiguration),
  async destroy(ctx, outputs) {
    const name = outputs.launchConfigurationName as string;
    const as = ctx.env.aws.get(AutoScalingClient);
    // AWS answers a delete of a missing launch configuration with a generic ValidationError: look first.
    if (!(await describeLaunchConfiguration(ctx, name))) return;
    await retryWhile(() => as.send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: name })), isTransientDependency, {
      timing: ctx.env.timing,
      signal: ctx.signal,
      progress: ctx.progress,
      waitingFor: `waiting for the launch configuration ${name} to be out of use`,
    });
  },
};
