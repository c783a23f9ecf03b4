import { describe, expect, it } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  DeleteInternetGatewayCommand,
  DeleteLaunchTemplateCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcCommand,
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeSubnetsCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { CreateServiceLinkedRoleCommand, DeleteRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateListenerCommand, DeleteListenerCommand, DeleteTargetGroupCommand, DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, CreateAutoScalingGroupCommand, DeleteAutoScalingGroupCommand, DeleteLaunchConfigurationCommand, TerminateInstanceInAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { CreateClusterCommand, DeleteClusterCommand, DeleteServiceCommand, DescribeTaskDefinitionCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { DeleteRepositoryCommand, DescribeImagesCommand as DescribeEcrImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketEncryptionCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ACMClient, DeleteCertificateCommand, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeParametersCommand, GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CloudWatchLogsClient, DeleteLogGroupCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  awsErrorCode,
  hasCode,
  isBucketMissing,
  isAutoScalingValidation,
  isBucketOwnedByYou,
  isBucketTaken,
  isCertificateNotYetUsable,
  isConditionFailed,
  isInstanceProfilePropagating,
  isInvalidInstanceType,
  isNotConfigured,
  isNotFound,
  isNotYetVisible,
  isServiceLinkedRoleNotReady,
  isAccessDenied,
  isServiceLinkedRoleTaken,
  isTaskDefinitionMissing,
  isThrottled,
  isTransientDependency,
  unlessNotFound,
} from '../../../src/aws/errors.js';
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
  ['ResourceNotFoundException', ACMClient, DescribeCertificateCommand],
  ['NoSuchKey', S3Client, GetObjectCommand, 404],
  ['NoSuchBucket', S3Client, PutObjectCommand, 404],
  ['InvalidAMIID.NotFound', EC2Client, DescribeImagesCommand],
  ['ImageNotFoundException', ECRClient, DescribeEcrImagesCommand],
  ['NatGatewayNotFound', EC2Client, DeleteNatGatewayCommand],
  ['InvalidNatGatewayID.NotFound', EC2Client, CreateRouteCommand],
  ['InvalidAllocationID.NotFound', EC2Client, ReleaseAddressCommand],
  ['InvalidElasticIpID.NotFound', EC2Client, DescribeAddressesCommand],
  ['NoSuchHostedZone', Route53Client, ListResourceRecordSetsCommand, 404],
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
  // ACM while the load balancer's listener still holds the certificate.
  ['ResourceInUseException', ACMClient, DeleteCertificateCommand],
  ['InvalidIPAddress.InUse', EC2Client, ReleaseAddressCommand],
];

/** Codes that mean neither: a classification that answers yes to everything fails on these. */
const OTHER: Case[] = [
  ['UnauthorizedOperation', EC2Client, DeleteVpcCommand],
  ['AccessDenied', IAMClient, GetRoleCommand, 403],
  ['ValidationError', AutoScalingClient, DeleteAutoScalingGroupCommand],
  ['InvalidParameterException', ECSClient, DeleteClusterCommand],
  ['ThrottlingException', ECSClient, DeleteServiceCommand],
  // Right next to a listed code, but not it.
  ['InvalidInstanceID.NotFound', EC2Client, DescribeAddressesCommand],
  ['NoSuchUpload', S3Client, GetObjectCommand, 404],
  ['InvalidIPAddress.NotFound', EC2Client, DisassociateAddressCommand],
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

/**
 * The narrower classifications, each fed every wire code it lists (from a call that answers it)
 * and codes beside it that it must not take: dropping a code, or answering yes to all, fails here.
 */
const CLASSIFICATIONS: [name: string, classify: (err: unknown) => boolean, yes: Case[], no: Case[]][] = [
  [
    'a conditional S3 write whose condition did not hold',
    isConditionFailed,
    [
      ['PreconditionFailed', S3Client, PutObjectCommand, 412],
      ['ConditionalRequestConflict', S3Client, DeleteObjectCommand, 409],
    ],
    [
      ['NoSuchKey', S3Client, DeleteObjectCommand, 404],
      ['AccessDenied', S3Client, PutObjectCommand, 403],
    ],
  ],
  [
    'a state bucket that does not exist',
    isBucketMissing,
    [
      ['NoSuchBucket', S3Client, GetObjectCommand, 404],
      // HeadBucket's 404 has no body: the SDK names it by its status.
      ['NotFound', S3Client, HeadBucketCommand, 404],
    ],
    [
      ['NoSuchKey', S3Client, GetObjectCommand, 404],
      ['Forbidden', S3Client, HeadBucketCommand, 403],
    ],
  ],
  ['a bucket name this account owns already', isBucketOwnedByYou, [['BucketAlreadyOwnedByYou', S3Client, CreateBucketCommand, 409]], [['BucketAlreadyExists', S3Client, CreateBucketCommand, 409]]],
  ['a bucket name another account owns', isBucketTaken, [['BucketAlreadyExists', S3Client, CreateBucketCommand, 409]], [['BucketAlreadyOwnedByYou', S3Client, CreateBucketCommand, 409]]],
  [
    'a bucket setting never configured',
    isNotConfigured,
    [
      ['ServerSideEncryptionConfigurationNotFoundError', S3Client, GetBucketEncryptionCommand, 404],
      ['NoSuchPublicAccessBlockConfiguration', S3Client, GetPublicAccessBlockCommand, 404],
    ],
    [
      ['NoSuchBucket', S3Client, GetBucketEncryptionCommand, 404],
      ['AccessDenied', S3Client, GetPublicAccessBlockCommand, 403],
    ],
  ],
  ['an instance type the region does not have', isInvalidInstanceType, [['InvalidInstanceType', EC2Client, DescribeInstanceTypesCommand]], [['InvalidParameterValue', EC2Client, DescribeInstanceTypesCommand]]],
  [
    'a task definition revision that does not exist',
    isTaskDefinitionMissing,
    [['ClientException', ECSClient, DescribeTaskDefinitionCommand]],
    [
      ['InvalidParameterException', ECSClient, DescribeTaskDefinitionCommand],
      ['ServerException', ECSClient, DescribeTaskDefinitionCommand],
    ],
  ],
  [
    'a certificate the load balancer cannot use yet',
    isCertificateNotYetUsable,
    [
      ['UnsupportedCertificate', ElasticLoadBalancingV2Client, CreateListenerCommand],
      ['CertificateNotFound', ElasticLoadBalancingV2Client, CreateListenerCommand],
    ],
    [
      ['ValidationError', ElasticLoadBalancingV2Client, CreateListenerCommand],
      ['LoadBalancerNotFound', ElasticLoadBalancingV2Client, CreateListenerCommand],
    ],
  ],
  [
    'Auto Scaling refusing a request as invalid (a decrement at the group\'s minimum)',
    isAutoScalingValidation,
    [['ValidationError', AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand]],
    [
      ['ScalingActivityInProgress', AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand],
      ['ResourceContention', AutoScalingClient, TerminateInstanceInAutoScalingGroupCommand, 500],
    ],
  ],
  [
    'a service-linked role that exists already',
    isServiceLinkedRoleTaken,
    [
      ['InvalidInput', IAMClient, CreateServiceLinkedRoleCommand],
      ['EntityAlreadyExists', IAMClient, CreateServiceLinkedRoleCommand, 409],
    ],
    [
      ['AccessDenied', IAMClient, CreateServiceLinkedRoleCommand, 403],
      ['LimitExceeded', IAMClient, CreateServiceLinkedRoleCommand, 409],
    ],
  ],
  [
    'a call refused for its rate, after the retries',
    isThrottled,
    [
      ['ThrottlingException', CloudWatchLogsClient, FilterLogEventsCommand],
      ['Throttling', ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand],
      ['RequestLimitExceeded', EC2Client, DescribeVpcsCommand, 503],
    ],
    [
      ['LimitExceededException', CloudWatchLogsClient, FilterLogEventsCommand],
      ['ServiceUnavailableException', CloudWatchLogsClient, FilterLogEventsCommand, 503],
    ],
  ],
  [
    'a call the caller may not make',
    isAccessDenied,
    [
      ['AccessDeniedException', SSMClient, DescribeParametersCommand],
      ['AccessDenied', IAMClient, GetRoleCommand, 403],
    ],
    [
      ['ValidationException', SSMClient, DescribeParametersCommand],
      ['InvalidFilterValue', SSMClient, DescribeParametersCommand],
    ],
  ],
];

describe('the narrower classifications, by wire code', () => {
  it.each(CLASSIFICATIONS.flatMap(([name, classify, yes, no]) => [...yes.map((c) => [name, c[0], classify, c, true] as const), ...no.map((c) => [name, c[0], classify, c, false] as const)]))(
    '%s: %s → %s',
    async (_name, code, classify, c, expected) => {
      const err = await wire(c);
      expect(awsErrorCode(err)).toBe(code);
      expect(classify(err)).toBe(expected);
    },
  );

  it('a service-linked role not ready yet is told by its message, under either code ECS gives it', async () => {
    const message = 'Unable to assume the service linked role. Please verify that the ECS service linked role exists.';
    expect(isServiceLinkedRoleNotReady(await sdkError(ECSClient, CreateClusterCommand, 'InvalidParameterException', message))).toBe(true);
    expect(isServiceLinkedRoleNotReady(await sdkError(ECSClient, CreateClusterCommand, 'ClientException', message))).toBe(true);
    // The message under another code is something else.
    expect(isServiceLinkedRoleNotReady(await sdkError(ECSClient, CreateClusterCommand, 'AccessDeniedException', message))).toBe(false);
    expect(isServiceLinkedRoleNotReady(undefined)).toBe(false);
  });

  it('a NotFound for a NAT gateway or an Elastic IP just made is "not yet"; one for a kind without a fresh id is not', async () => {
    const nat = await sdkError(EC2Client, CreateRouteCommand, 'InvalidNatGatewayID.NotFound', "The natGateway ID 'nat-0a1b2c3d' does not exist");
    const natGone = await sdkError(EC2Client, DeleteNatGatewayCommand, 'NatGatewayNotFound', 'NAT gateway nat-0a1b2c3d was not found');
    const eip = await sdkError(EC2Client, CreateNatGatewayCommand, 'InvalidAllocationID.NotFound', "The allocation ID 'eipalloc-0a1b2c3d' does not exist");
    expect(isNotYetVisible(nat, ['nat-0a1b2c3d'])).toBe(true);
    expect(isNotYetVisible(natGone, ['nat-0a1b2c3d'])).toBe(true);
    expect(isNotYetVisible(eip, ['eipalloc-0a1b2c3d'])).toBe(true);
    expect(isNotYetVisible(eip, ['nat-0a1b2c3d', 'subnet-0a1b2c3d'])).toBe(false);
    expect(isNotYetVisible(undefined, ['nat-0a1b2c3d'])).toBe(false);
  });
});
