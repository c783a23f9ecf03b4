import { ACMClient, DeleteCertificateCommand } from '@aws-sdk/client-acm';
import { Route53Client } from '@aws-sdk/client-route-53';
import {
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteNatGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DetachInternetGatewayCommand,
  DescribeNatGatewaysCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  ReleaseAddressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeleteLoadBalancerCommand, DeleteTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AutoScalingClient,
  DeleteAutoScalingGroupCommand,
  DeleteLaunchConfigurationCommand,
  DeletePolicyCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterContainerInstanceCommand,
  DeregisterTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
  PutClusterCapacityProvidersCommand,
} from '@aws-sdk/client-ecs';
import {
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { DeleteRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { AwsClients } from '../aws/clients.js';
import { deleteNamespace } from '../steps/stack/service-connect-namespace.js';
import { hasCode, isAddressStillHeld, isTransientDependency, unlessNotFound } from '../aws/errors.js';
import { poll, retryWhile, type PollTiming } from '../aws/poll.js';
import { deleteCapacityProvider } from '../steps/stack/capacity-provider.js';
import { LEFTOVER_ORDER, describeLeftover, type Leftover } from './inventory.js';
import { deleteRevisions } from '../steps/service/task-definition.js';
import { deleteRecordSets, recordSet } from '../steps/stack/dns.js';

export interface CleanupOptions {
  timing: PollTiming;
  signal?: AbortSignal;
  progress?: (message: string) => void;
  /** Delete an ECR repository even when it holds images. */
  forceEcr?: boolean;
}

export interface CleanupResult {
  deleted: Leftover[];
  kept: { item: Leftover; reason: string }[];
  failed: { item: Leftover; error: unknown }[];
}

class Kept extends Error {}

/**
 * The backstop after the plan's own destroy: deletes what the plan could not see (a second ALB or
 * launch configuration, old task definition revisions, alarms of scaling policies, anything a lost
 * state file forgot). Kinds go in teardown order; items of one kind in parallel; AWS's transient
 * dependency errors are retried within the wait timeout.
 */
export async function deleteLeftovers(aws: AwsClients, items: readonly Leftover[], opts: CleanupOptions): Promise<CleanupResult> {
  const result: CleanupResult = { deleted: [], kept: [], failed: [] };
  for (const type of LEFTOVER_ORDER) {
    // Security groups refer to each other (instances allow the ALB's group): delete the instance group first.
    const ofType = items.filter((i) => i.type === type).sort((a, b) => Number(b.name?.endsWith('-instances') ?? 0) - Number(a.name?.endsWith('-instances') ?? 0));
    const batches = type === 'security-group' ? ofType.map((i) => [i]) : [ofType];
    for (const batch of batches) {
      await Promise.all(
        batch.map(async (item) => {
          try {
            // An Elastic IP is refused for a while after its NAT gateway is deleted (AuthFailure and others): that call only.
            const stillBusy = item.type === 'elastic-ip' ? isAddressStillHeld : isTransientDependency;
            await retryWhile(() => unlessNotFound(() => deleteOne(aws, item, opts)), stillBusy, {
              timing: opts.timing,
              signal: opts.signal,
              progress: opts.progress,
              waitingFor: `waiting to delete ${describeLeftover(item)}`,
            });
            result.deleted.push(item);
          } catch (error) {
            if (error instanceof Kept) result.kept.push({ item, reason: error.message });
            else result.failed.push({ item, error });
          }
        }),
      );
    }
  }
  return result;
}

async function deleteOne(aws: AwsClients, item: Leftover, opts: CleanupOptions): Promise<void> {
  const ec2 = (): EC2Client => aws.get(EC2Client);
  const ecs = (): ECSClient => aws.get(ECSClient);
  const iam = (): IAMClient => aws.get(IAMClient);
  const meta = item.meta ?? {};
  switch (item.type) {
    case 'app-scaling-policy':
      await aws.get(ApplicationAutoScalingClient).send(new DeleteScalingPolicyCommand({ PolicyName: item.id, ServiceNamespace: 'ecs', ResourceId: meta.resourceId, ScalableDimension: meta.dimension as ScalableDimension }));
      return;
    case 'scalable-target':
      await aws.get(ApplicationAutoScalingClient).send(new DeregisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: item.id, ScalableDimension: meta.dimension as ScalableDimension }));
      return;
    case 'alarm':
      await aws.get(CloudWatchClient).send(new DeleteAlarmsCommand({ AlarmNames: [item.id] }));
      return;
    case 'log-group':
      await aws.get(CloudWatchLogsClient).send(new DeleteLogGroupCommand({ logGroupName: item.id }));
      return;
    case 'ecs-service':
      // force: deletes a service that still has a desired count, without scaling it down first.
      await ecs().send(new DeleteServiceCommand({ cluster: meta.cluster, service: item.id, force: true }));
      return;
    case 'task-definition': {
      if (meta.status !== 'INACTIVE') await ecs().send(new DeregisterTaskDefinitionCommand({ taskDefinition: item.id }));
      const [failure] = await deleteRevisions(ecs(), [item.id]);
      if (failure) throw new Error(`DeleteTaskDefinitions: ${failure.reason ?? 'failed'}`);
      return;
    }
    case 'service-connect-namespace':
      // With the Cloud Map services ECS left in it; ResourceInUse while ECS lets go is retried within.
      await deleteNamespace(aws.get(ServiceDiscoveryClient), { namespaceId: item.id, namespaceName: item.name ?? item.id }, opts);
      return;
    case 'asg-scaling-policy':
      await aws.get(AutoScalingClient).send(new DeletePolicyCommand({ AutoScalingGroupName: meta.autoScalingGroupName, PolicyName: item.id }));
      return;
    case 'capacity-provider':
      // Detached first (DeleteCapacityProvider "succeeds" with DELETE_FAILED while attached), then waited for until gone.
      await deleteCapacityProvider(ecs(), item.id, meta.cluster, opts);
      return;
    case 'auto-scaling-group': {
      const asg = aws.get(AutoScalingClient);
      await asg.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: item.id, ForceDelete: true })).catch((err: unknown) => {
        // A delete already under way is what we want.
        if (!hasCode(err, 'ScalingActivityInProgress', 'ScalingActivityInProgressFault')) throw err;
      });
      await poll(
        async () => {
          const r = await asg.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [item.id] }));
          return r.AutoScalingGroups?.length ? { done: false, waitingFor: `waiting for Auto Scaling group ${item.id} to terminate its instances` } : { done: true, value: undefined };
        },
        opts,
      );
      return;
    }
    case 'instance':
      await ec2().send(new TerminateInstancesCommand({ InstanceIds: [item.id] }));
      return;
    case 'launch-configuration':
      await aws.get(AutoScalingClient).send(new DeleteLaunchConfigurationCommand({ LaunchConfigurationName: item.id }));
      return;
    case 'launch-template':
      await ec2().send(new DeleteLaunchTemplateCommand({ LaunchTemplateId: item.id }));
      return;
    case 'load-balancer':
      // Deleting an ALB deletes its listeners.
      await aws.get(ElasticLoadBalancingV2Client).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: item.id }));
      return;
    case 'target-group':
      await aws.get(ElasticLoadBalancingV2Client).send(new DeleteTargetGroupCommand({ TargetGroupArn: item.id }));
      return;
    case 'cluster': {
      // Instances of a deleted ASG deregister by themselves on AWS; deregistering leftovers speeds that up.
      const r = await ecs().send(new ListContainerInstancesCommand({ cluster: item.id }));
      for (const arn of r.containerInstanceArns ?? []) {
        await ecs().send(new DeregisterContainerInstanceCommand({ cluster: item.id, containerInstance: arn, force: true }));
      }
      await unlessNotFound(() => ecs().send(new PutClusterCapacityProvidersCommand({ cluster: item.id, capacityProviders: [], defaultCapacityProviderStrategy: [] })));
      await ecs().send(new DeleteClusterCommand({ cluster: item.id }));
      return;
    }
    case 'instance-profile':
      for (const role of (meta.roles ?? '').split(',').filter(Boolean)) {
        await unlessNotFound(() => iam().send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: item.id, RoleName: role })));
      }
      await iam().send(new DeleteInstanceProfileCommand({ InstanceProfileName: item.id }));
      return;
    case 'iam-role': {
      const profiles = await iam().send(new ListInstanceProfilesForRoleCommand({ RoleName: item.id }));
      for (const p of profiles.InstanceProfiles ?? []) {
        await unlessNotFound(() => iam().send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: item.id })));
      }
      const attached = await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: item.id }));
      for (const p of attached.AttachedPolicies ?? []) await unlessNotFound(() => iam().send(new DetachRolePolicyCommand({ RoleName: item.id, PolicyArn: p.PolicyArn })));
      const inline = await iam().send(new ListRolePoliciesCommand({ RoleName: item.id }));
      for (const name of inline.PolicyNames ?? []) await unlessNotFound(() => iam().send(new DeleteRolePolicyCommand({ RoleName: item.id, PolicyName: name })));
      await iam().send(new DeleteRoleCommand({ RoleName: item.id }));
      return;
    }
    case 'ecr-repository': {
      const ecr = aws.get(ECRClient);
      if (!opts.forceEcr) {
        const images = await ecr.send(new DescribeImagesCommand({ repositoryName: item.id, maxResults: 1 }));
        if (images.imageDetails?.length) throw new Kept(`repository ${item.id} holds images; pass --force-ecr to delete it with them`);
      }
      await ecr.send(new DeleteRepositoryCommand({ repositoryName: item.id, force: opts.forceEcr }));
      return;
    }
    case 'security-group':
      await ec2().send(new DeleteSecurityGroupCommand({ GroupId: item.id }));
      return;
    case 'route-table':
      for (const id of (meta.associationIds ?? '').split(',').filter(Boolean)) {
        await unlessNotFound(() => ec2().send(new DisassociateRouteTableCommand({ AssociationId: id })));
      }
      await ec2().send(new DeleteRouteTableCommand({ RouteTableId: item.id }));
      return;
    case 'internet-gateway':
      for (const vpcId of (meta.vpcIds ?? '').split(',').filter(Boolean)) {
        await unlessNotFound(() => ec2().send(new DetachInternetGatewayCommand({ InternetGatewayId: item.id, VpcId: vpcId })));
      }
      await ec2().send(new DeleteInternetGatewayCommand({ InternetGatewayId: item.id }));
      return;
    case 'subnet':
      await ec2().send(new DeleteSubnetCommand({ SubnetId: item.id }));
      return;
    case 'vpc':
      await ec2().send(new DeleteVpcCommand({ VpcId: item.id }));
      return;
    case 'dns-record': {
      // Exactly as Route 53 holds it now (a DELETE must match); gone already is done.
      const route53 = aws.get(Route53Client);
      const set = await recordSet(route53, meta.hostedZoneId!, meta.recordName!, meta.recordType!);
      if (set) await deleteRecordSets(route53, meta.hostedZoneId!, [set], 'ecs-wizard: destroy (cleanup)');
      return;
    }
    case 'certificate':
      // ResourceInUseException while a listener still uses it: retried above, within the timeout.
      await aws.get(ACMClient).send(new DeleteCertificateCommand({ CertificateArn: item.id }));
      return;
    case 'nat-gateway': {
      if (meta.state !== 'deleting') await ec2().send(new DeleteNatGatewayCommand({ NatGatewayId: item.id }));
      await poll(
        async () => {
          const r = await ec2().send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'nat-gateway-id', Values: [item.id] }] }));
          const state = r.NatGateways?.[0]?.State;
          return !state || state === 'deleted' ? { done: true, value: undefined } : { done: false, waitingFor: `waiting for NAT gateway ${item.id} (${state}) to be deleted` };
        },
        opts,
      );
      return;
    }
    case 'elastic-ip':
      // Refused until its NAT gateway is deleted, and for a while after (isAddressStillHeld): retried above.
      await ec2().send(new ReleaseAddressCommand({ AllocationId: item.id }));
      return;
  }
}
