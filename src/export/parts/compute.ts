import { MAXIMUM_SCALING_STEP_SIZE } from '../../steps/stack/capacity-provider.js';
import { mixedInstancesPolicy } from '../../steps/stack/instance-placement.js';
import { ecsUserData, METADATA_OPTIONS, type Architecture } from '../../steps/stack/launch-common.js';
import type { Answers } from '../../wizard/schema.js';
import { base64, getAtt, ref, sub, type Fragment, type Value } from '../cfn.js';
import { ID, instanceSubnets, PARAM, privateInstances, tags, type TemplatePart } from '../env.js';
import { hostRoutes } from './network.js';

/**
 * The architecture of an instance type, from its name: Graviton families carry a `g` right after
 * their generation digit (t4g, m7g, c6gn, r8gd, im4gn, x2gd, g5g) and a1 is Graviton's first. The
 * wizard asks EC2 (`architectureOf`); an export makes no AWS call, so it reads the name.
 */
export function architectureOfName(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  return family === 'a1' || /^[a-z]+\d+g[a-z]*$/.test(family) ? 'arm64' : 'x86_64';
}

/** The hosts' image: the pinned AMI, or the ECS-optimized one AWS's SSM parameter names at deploy time. */
const imageId = (a: Answers): Value => ref(a.instances.amiId ? PARAM.amiId : PARAM.ecsAmi);

/** The wizard's own user data (ecsUserData), with the cluster's name filled in at deploy time. */
function userData(a: Answers, opts: { spotDraining?: boolean }): Value {
  const text = Buffer.from(ecsUserData('${Cluster}', opts), 'base64').toString('utf8');
  return base64(sub(text));
}

const hostTags = (a: Answers): Value[] => tags(a, 'ecs-host');

export const launchTemplate: TemplatePart = {
  resources({ answers: a }): Fragment {
    if (a.instances.launch === 'configuration') {
      return {
        [ID.launchConfiguration]: {
          Type: 'AWS::AutoScaling::LaunchConfiguration',
          Properties: {
            ImageId: imageId(a),
            InstanceType: a.instances.instanceType,
            IamInstanceProfile: ref(ID.instanceProfile),
            SecurityGroups: [ref(ID.instanceSecurityGroup)],
            ...(privateInstances(a) ? { AssociatePublicIpAddress: false } : {}),
            MetadataOptions: { ...METADATA_OPTIONS },
            UserData: userData(a, {}),
            ...(a.instances.keyName ? { KeyName: a.instances.keyName } : {}),
          },
        },
      };
    }
    const group = ref(ID.instanceSecurityGroup);
    return {
      [ID.launchTemplate]: {
        Type: 'AWS::EC2::LaunchTemplate',
        Properties: {
          LaunchTemplateData: {
            ImageId: imageId(a),
            InstanceType: a.instances.instanceType,
            IamInstanceProfile: { Arn: getAtt(ID.instanceProfile, 'Arn') },
            // Private hosts get no public IP (an interface of their own); public ones take the subnet's.
            ...(privateInstances(a)
              ? { NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: [group], DeleteOnTermination: true }] }
              : { SecurityGroupIds: [group] }),
            MetadataOptions: { ...METADATA_OPTIONS },
            UserData: userData(a, { spotDraining: a.instances.spot !== undefined }),
            ...(a.instances.keyName ? { KeyName: a.instances.keyName } : {}),
            TagSpecifications: [
              { ResourceType: 'instance', Tags: hostTags(a) },
              { ResourceType: 'volume', Tags: hostTags(a) },
            ],
          },
          TagSpecifications: [{ ResourceType: 'launch-template', Tags: tags(a, 'ecs') }],
        },
      },
    };
  },
};

export const autoScalingGroup: TemplatePart = {
  resources(env): Fragment {
    const a = env.answers;
    const spec = { LaunchTemplateId: ref(ID.launchTemplate), Version: getAtt(ID.launchTemplate, 'LatestVersionNumber') };
    const launch: Record<string, Value> =
      a.instances.launch === 'configuration'
        ? { LaunchConfigurationName: ref(ID.launchConfiguration) }
        : a.instances.spot
          ? { MixedInstancesPolicy: mixedInstancesPolicy(a.instances.spot, spec as never) as unknown as Value, CapacityRebalance: true }
          : { LaunchTemplate: spec };
    const routes = hostRoutes(env);
    return {
      [ID.autoScalingGroup]: {
        Type: 'AWS::AutoScaling::AutoScalingGroup',
        Properties: {
          ...launch,
          MinSize: String(a.instances.minSize),
          MaxSize: String(a.instances.maxSize),
          DesiredCapacity: String(a.instances.desiredCapacity),
          VPCZoneIdentifier: instanceSubnets(a),
          // Not attached to a target group: ECS registers each task on its dynamic host port.
          HealthCheckType: 'EC2',
          HealthCheckGracePeriod: 120,
          // Managed termination protection of the capacity provider requires scale-in protection.
          NewInstancesProtectedFromScaleIn: a.scaling.instances.managed,
          Tags: hostTags(a).map((t) => ({ ...(t as object), PropagateAtLaunch: true }) as Value),
        },
        // Hosts boot once their subnets route out (their agent must reach ECS).
        ...(routes.length ? { DependsOn: routes } : {}),
      },
    };
  },
};

export const cluster: TemplatePart = {
  resources: (env): Fragment => ({
    [ID.cluster]: {
      Type: 'AWS::ECS::Cluster',
      Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: env.answers.cluster.containerInsights ? 'enabled' : 'disabled' }], Tags: tags(env.answers, 'cluster') },
    },
  }),
};

/** The capacity provider with managed scaling, attached to the cluster as its default strategy. */
export const capacityProvider: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.capacityProvider]: {
      Type: 'AWS::ECS::CapacityProvider',
      Properties: {
        AutoScalingGroupProvider: {
          AutoScalingGroupArn: ref(ID.autoScalingGroup),
          ManagedScaling: { Status: 'ENABLED', TargetCapacity: a.scaling.instances.targetCapacityPercent, MinimumScalingStepSize: 1, MaximumScalingStepSize: MAXIMUM_SCALING_STEP_SIZE },
          ManagedTerminationProtection: 'ENABLED',
          ManagedDraining: 'ENABLED',
        },
        Tags: tags(a, 'cp'),
      },
    },
    [ID.clusterCapacityProviders]: {
      Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
      Properties: {
        Cluster: ref(ID.cluster),
        CapacityProviders: [ref(ID.capacityProvider)],
        DefaultCapacityProviderStrategy: [{ CapacityProvider: ref(ID.capacityProvider), Weight: 1, Base: 0 }],
      },
    },
  }),
};

/** Without a capacity provider: a target tracking policy on the group's average CPU. */
export const asgScalingPolicy: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.instanceScalingPolicy]: {
      Type: 'AWS::AutoScaling::ScalingPolicy',
      Properties: {
        AutoScalingGroupName: ref(ID.autoScalingGroup),
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: a.scaling.instances.targetCpuPercent },
      },
    },
  }),
};
