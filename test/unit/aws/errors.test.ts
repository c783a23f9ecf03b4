import { describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeleteRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteListenerCommand, DeleteTargetGroupCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, DeleteLaunchConfigurationCommand } from '@aws-sdk/client-auto-scaling';
import { DeleteClusterCommand, DeleteServiceCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DeleteRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand } from '@aws-sdk/client-application-auto-scaling';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { awsErrorCode, hasCode, isInstanceProfilePropagating, isNotFound, isTransientDependency, unlessNotFound } from '../../../src/aws/errors.js';
import { sdkError } from '../../support/aws-wire.js';

/**
 * The error classification, fed the errors the real SDK makes of AWS's wire answers (sdkError):
 * every code the tool relies on, from a call that really answers it. A code dropped from a list —
 * or a list answered for the wrong question — fails here, in the unit tier.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Case = [code: string, client: any, command: any, status?: number];

const NOT_FOUND: Case[] = [
  ['InvalidVpcID.NotFound', EC2Client, DescribeVpcsCommand],
  ['InvalidSubnetID.NotFound', EC2Client, DescribeSubnetsCommand],
  ['InvalidInternetGatewayID.NotFound', EC2Client, DeleteInternetGatewayCommand],
  ['InvalidRouteTableID.NotFound', EC2Client, CreateRouteCommand],
  ['InvalidAssociationID.NotFound', EC2Client, DisassociateRouteTableCommand],
  ['InvalidGroup.NotFound', EC2Client, AuthorizeSecurityGroupIngressCommand],
  ['InvalidGroupId.NotFound', EC2Client, DeleteSecurityGroupCommand],
  ['InvalidLaunchTemplateId.NotFound', EC2Client, DeleteLaunchTemplateCommand],
  ['InvalidLaunchTemplateName.NotFoundException', EC2Client, DescribeLaunchTemplatesCommand],
  ['InvalidPermission.NotFound', EC2Client, RevokeSecurityGroupIngressCommand],
  ['Gateway.NotAttached', EC2Client, DetachInternetGatewayCommand],
  ['NoSuchEntity', IAMClient, GetRoleCommand, 404],
  ['LoadBalancerNotFound', ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand],
  ['TargetGroupNotFound', ElasticLoadBalancingV2Client, DeleteTargetGroupCommand],
  ['ListenerNotFound', ElasticLoadBalancingV2Client, DeleteListenerCommand],
  ['RepositoryNotFoundException', ECRClient, DeleteRepositoryCommand],
  ['ClusterNotFoundException', ECSClient, DeleteClusterCommand],
  ['ServiceNotFoundException', ECSClient, DeleteServiceCommand],
  ['ServiceNotActiveException', ECSClient, UpdateServiceCommand],
  ['ObjectNotFoundException', ApplicationAutoScalingClient, PutScalingPolicyCommand],
  ['ParameterNotFound', SSMClient, GetParameterCommand],
  ['ResourceNotFoundException', CloudWatchLogsClient, DeleteLogGroupCommand],
  ['ResourceNotFound', CloudWatchClient, DeleteAlarmsCommand, 404],
];

const TRANSIENT: Case[] = [
  ['DependencyViolation', EC2Client, DeleteVpcCommand],
  ['ResourceInUse', ElasticLoadBalancingV2Client, DeleteTargetGroupCommand],
  ['ResourceInUse', AutoScalingClient, DeleteLaunchConfigurationCommand],
  ['ScalingActivityInProgress', AutoScalingClient, DeleteAutoScalingGroupCommand],
  ['ClusterContainsContainerInstancesException', ECSClient, DeleteClusterCommand],
  ['ClusterContainsServicesException', ECSClient, DeleteClusterCommand],
  ['ClusterContainsTasksException', ECSClient, DeleteClusterCommand],
  ['DeleteConflict', IAMClient, DeleteRoleCommand, 409],
];

/** Codes that mean neither: a classification that answers yes to everything fails on these. */
const OTHER: Case[] = [
  ['UnauthorizedOperation', EC2Client, DeleteVpcCommand],
  ['AccessDenied', IAMClient, GetRoleCommand, 403],
  ['ValidationError', AutoScalingClient, DeleteAutoScalingGroupCommand],
  ['InvalidParameterException', ECSClient, DeleteClusterCommand],
  ['ThrottlingException', ECSClient, DeleteServiceCommand],
];

const wire = ([code, Client, Command, status]: Case, message?: string) => sdkError(Client, Command, code, message, status ? { status } : {});

describe('AWS error classification, by wire code', () => {
  it.each(NOT_FOUND.map((c) => [c[0], c] as const))('%s means "not found" (and nothing else)', async (code, c) => {
    const err = await wire(c);
    expect(awsErrorCode(err)).toBe(code);
    expect(isNotFound(err)).toBe(true);
    expect(isTransientDependency(err)).toBe(false);
  });

  it.each(TRANSIENT.map((c) => [`${c[0]} from ${String(c[2].name).replace(/Command$/, '')}`, c] as const))('%s clears by itself (and is not "not found")', async (_name, c) => {
    const err = await wire(c);
    expect(isTransientDependency(err)).toBe(true);
    expect(isNotFound(err)).toBe(false);
  });

  it.each(OTHER.map((c) => [c[0], c] as const))('%s is neither', async (_code, c) => {
    const err = await wire(c);
    expect(isNotFound(err)).toBe(false);
    expect(isTransientDependency(err)).toBe(false);
  });

  it('reads the code the SDK puts in `Code` before the exception class name', async () => {
    // GIVEN IAM's NoSuchEntity, which the SDK raises as NoSuchEntityException with Code NoSuchEntity
    const err = await sdkError(IAMClient, GetRoleCommand, 'NoSuchEntity', 'The role cannot be found.', { status: 404 });
    expect(err.name).toBe('NoSuchEntityException');
    // THEN its code is the wire code, and it can be asked for by it
    expect(awsErrorCode(err)).toBe('NoSuchEntity');
    expect(hasCode(err, 'Throttling', 'NoSuchEntity')).toBe(true);
    expect(hasCode(err, 'NoSuchEntityException')).toBe(false);
  });

  it('has no code for what is not an AWS error, and classifies it as nothing', () => {
    for (const thing of [undefined, null, 'boom', {}]) {
      expect(awsErrorCode(thing)).toBeUndefined();
      expect(hasCode(thing, 'NoSuchEntity')).toBe(false);
      expect(isNotFound(thing)).toBe(false);
    }
    // A Node system error carries its code in `code`.
    expect(awsErrorCode(Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' }))).toBe('Error');
  });
});

describe('unlessNotFound', () => {
  it('gives the result, or undefined when AWS says the thing does not exist; any other error is thrown', async () => {
    const gone = await sdkError(EC2Client, DescribeVpcsCommand, 'InvalidVpcID.NotFound');
    const denied = await sdkError(EC2Client, DescribeVpcsCommand, 'UnauthorizedOperation');
    await expect(unlessNotFound(async () => 'vpc-1')).resolves.toBe('vpc-1');
    await expect(unlessNotFound(async () => Promise.reject(gone))).resolves.toBeUndefined();
    await expect(unlessNotFound(async () => Promise.reject(denied))).rejects.toBe(denied);
  });
});

describe('an instance profile still propagating (the one classification that reads the message)', () => {
  it.each([
    ['Auto Scaling', AutoScalingClient, CreateAutoScalingGroupCommand, 'ValidationError', 'You must use a valid fully-formed launch template. Invalid IamInstanceProfile: shop-ecs-instance'],
    ['EC2', EC2Client, RunInstancesCommand, 'InvalidParameterValue', "Value (shop-ecs-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"],
  ] as const)('%s: %s naming the instance profile is propagation', async (_svc, Client, Command, code, message) => {
    expect(isInstanceProfilePropagating(await sdkError(Client, Command, code, message))).toBe(true);
  });

  it('the same codes about anything else, or another code naming the profile, are not', async () => {
    expect(isInstanceProfilePropagating(await sdkError(AutoScalingClient, CreateAutoScalingGroupCommand, 'ValidationError', 'Max bound, 1, must be greater than or equal to min bound, 2'))).toBe(false);
    expect(isInstanceProfilePropagating(await sdkError(EC2Client, RunInstancesCommand, 'InvalidParameterValue', 'Invalid value for InstanceType'))).toBe(false);
    expect(isInstanceProfilePropagating(await sdkError(EC2Client, RunInstancesCommand, 'UnauthorizedOperation', 'not allowed to pass the IamInstanceProfile'))).toBe(false);
    expect(isInstanceProfilePropagating(undefined)).toBe(false);
  });
});
