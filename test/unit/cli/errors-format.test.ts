import { describe, expect, it } from 'vitest';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeVpcsCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AutoScalingClient, CreateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import { WizardError } from '../../../src/errors.js';
import { awsHint, failureLine, formatError, missingAction } from '../../../src/cli/errors-format.js';
import { sdkError } from '../../support/aws-wire.js';

describe('formatError', () => {
  it('shows an AWS permission error as one line with the code, and a hint naming the missing action', async () => {
    // GIVEN an AccessDenied from a step, wrapped as the create command wraps failures
    const denied = await sdkError(ECSClient, CreateServiceCommand, 'AccessDeniedException', 'User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:CreateService on resource: *');
    const err = new WizardError('STEP_FAILED', failureLine('ECS service', denied), { cause: denied });
    // WHEN it is formatted without --verbose
    const text = formatError(err, false);
    // THEN step, code, message and hint are there, and no stack trace
    expect(text).toContain('Error: ECS service: AccessDeniedException: User: arn:aws:iam::1:user/ci is not authorized to perform: ecs:CreateService');
    expect(text).toContain('Hint: Your IAM identity lacks the permission ecs:CreateService');
    expect(text).not.toMatch(/\n\s+at /);
  });

  it('adds the stack trace and request id only with --verbose', async () => {
    const err = await sdkError(STSClient, GetCallerIdentityCommand, 'ExpiredToken', 'The security token included in the request is expired');
    const requestId = (err.$metadata as { requestId?: string }).requestId;
    expect(requestId).toMatch(/^strict-/);
    expect(formatError(err, false)).not.toMatch(/\n\s+at /);
    const verbose = formatError(err, true);
    expect(verbose).toMatch(/\n\s+at /);
    expect(verbose).toContain(`AWS request id: ${requestId}`);
    expect(verbose).toContain('Hint: The AWS credentials are missing, invalid or expired');
  });

  it('lists every input problem', () => {
    const err = new WizardError('INPUT_INVALID', 'Invalid answers (2 problems):\n  stack: is required\n  instances.maxSize: must be ≥ minSize');
    const text = formatError(err, false);
    expect(text).toContain('  stack: is required');
    expect(text).toContain('  instances.maxSize: must be ≥ minSize');
  });

  it('treats Ctrl-C in a prompt as an interrupt, without a trace', () => {
    const err = Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
    expect(formatError(err, false)).toBe('Interrupted.\n');
  });
});

describe('awsHint', () => {
  it('recognises credentials, permissions, limits by code', async () => {
    expect(awsHint(await sdkError(STSClient, GetCallerIdentityCommand, 'InvalidClientTokenId', 'The security token included in the request is invalid.', { status: 403 }))).toMatch(/credentials/);
    expect(
      awsHint(await sdkError(EC2Client, DescribeVpcsCommand, 'UnauthorizedOperation', 'You are not authorized to perform this operation. Encoded authorization failure message: abc', { status: 403 })),
    ).toMatch(/decode-authorization-message/);
    expect(awsHint(await sdkError(EC2Client, RunInstancesCommand, 'VcpuLimitExceeded', 'You have requested more vCPU capacity than your current vCPU limit of 32 allows.'))).toMatch(/quota/);
    expect(awsHint(await sdkError(ElasticLoadBalancingV2Client, CreateLoadBalancerCommand, 'TooManyLoadBalancers', 'The maximum number of load balancers has been reached.'))).toMatch(/quota/);
    expect(awsHint(await sdkError(AutoScalingClient, CreateAutoScalingGroupCommand, 'ValidationError', 'Max bound, 0, must be greater than or equal to min bound, 1'))).toBeUndefined();
  });

  it('extracts the IAM action from an AccessDenied message', () => {
    expect(missingAction('is not authorized to perform: iam:PassRole on resource')).toBe('iam:PassRole');
    expect(missingAction('Access Denied')).toBeUndefined();
  });
});
