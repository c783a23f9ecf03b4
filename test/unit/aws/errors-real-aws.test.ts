import { describe, expect, it } from 'vitest';
import { AuthorizeSecurityGroupIngressCommand, CreateRouteCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CreateServiceLinkedRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { isNotYetVisible, isServiceLinkedRoleNotReady, isServiceLinkedRoleTaken, launchFailure } from '../../../src/aws/errors.js';
import { sdkError } from '../../support/aws-wire.js';
import { LAUNCH_FAILURE } from '../../support/strict-rules.js';

/** The real-AWS classifications in src/aws/errors.ts, fed errors exactly as the SDK raises them from AWS's wire answers. */
describe('errors AWS gives a real account', () => {
  it('a NotFound is "not yet" only for an id of its kind that this run created', async () => {
    // GIVEN EC2 saying a group, then a route table, does not exist
    const sg = await sdkError(EC2Client, AuthorizeSecurityGroupIngressCommand, 'InvalidGroup.NotFound', "The security group 'sg-0a1b2c3d' does not exist");
    const rtb = await sdkError(EC2Client, CreateRouteCommand, 'InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-0a1b2c3d' does not exist");
    // THEN each is "not yet" for a fresh id of its own kind, and for nothing else
    expect(isNotYetVisible(sg, ['sg-0a1b2c3d'])).toBe(true);
    expect(isNotYetVisible(sg, ['rtb-0a1b2c3d'])).toBe(false);
    expect(isNotYetVisible(sg, [])).toBe(false);
    expect(isNotYetVisible(rtb, ['igw-0a1b2c3d', 'rtb-0a1b2c3d'])).toBe(true);
    // AND a name that merely starts like an id kind is no id
    expect(isNotYetVisible(sg, ['sg-web-ecs'])).toBe(false);
  });

  it('tells "unable to assume the service linked role" from any other bad parameter', async () => {
    const slr = await sdkError(ECSClient, CreateClusterCommand, 'InvalidParameterException', 'Unable to assume the service linked role. Please verify that the ECS service linked role exists.');
    const other = await sdkError(ECSClient, CreateServiceCommand, 'InvalidParameterException', 'The target group does not have an associated load balancer.');
    expect(isServiceLinkedRoleNotReady(slr)).toBe(true);
    expect(isServiceLinkedRoleNotReady(other)).toBe(false);
  });

  it('reads "has been taken" (and moto\'s EntityAlreadyExists) as the role existing', async () => {
    const taken = await sdkError(IAMClient, CreateServiceLinkedRoleCommand, 'InvalidInput', 'Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.');
    const exists = await sdkError(IAMClient, CreateServiceLinkedRoleCommand, 'EntityAlreadyExists', 'Role with name AWSServiceRoleForecs already exists.', { status: 409 });
    const denied = await sdkError(IAMClient, CreateServiceLinkedRoleCommand, 'AccessDenied', 'not authorized', { status: 403 });
    expect(taken).toMatchObject({ name: 'InvalidInputException', Code: 'InvalidInput' });
    expect([taken, exists, denied].map(isServiceLinkedRoleTaken)).toEqual([true, true, false]);
  });

  it('sorts launch activity messages into permanent failures (with a hint) and passing ones', () => {
    expect(launchFailure(LAUNCH_FAILURE.vcpuLimit)).toMatchObject({ permanent: true, reason: 'vcpu-limit' });
    expect(launchFailure(LAUNCH_FAILURE.unsupported)).toMatchObject({ permanent: true, reason: 'unsupported' });
    expect(launchFailure(LAUNCH_FAILURE.architecture)).toMatchObject({ permanent: true, reason: 'architecture' });
    expect(launchFailure("Your requested instance type (t3.small) is not supported in your requested Availability Zone (us-east-1e).")).toMatchObject({ permanent: true, reason: 'unsupported' });
    expect(launchFailure(LAUNCH_FAILURE.capacity)).toMatchObject({ permanent: false, reason: 'capacity' });
    expect(launchFailure('Invalid IamInstanceProfile: arn:aws:iam::123456789012:instance-profile/x')).toMatchObject({ permanent: false, reason: 'other' });
    for (const m of [LAUNCH_FAILURE.vcpuLimit, LAUNCH_FAILURE.unsupported, LAUNCH_FAILURE.architecture]) expect(launchFailure(m).hint).toBeTruthy();
  });
});
