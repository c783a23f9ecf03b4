import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { awsManagedPolicyArn, partitionOf, partitionOfArn } from '../../../src/aws/partition.js';
import { executionRoleStep, instanceRoleStep } from '../../../src/steps/stack/iam.js';
import { sdkError } from '../../support/aws-wire.js';
import { stepContext } from '../../support/step-context.js';
import { testStack } from '../../support/stack.js';

/** China and GovCloud have partitions of their own: an ARN written for `aws` is refused there. */

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

const SRC = path.resolve(import.meta.dirname, '../../../src');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });

describe('partitions', () => {
  it('derives the partition from the region, and reads it from an ARN', () => {
    expect(partitionOf('us-east-1')).toBe('aws');
    expect(partitionOf('eu-central-2')).toBe('aws');
    expect(partitionOf('cn-north-1')).toBe('aws-cn');
    expect(partitionOf('cn-northwest-1')).toBe('aws-cn');
    expect(partitionOf('us-gov-west-1')).toBe('aws-us-gov');
    expect(partitionOf('us-iso-east-1')).toBe('aws-iso');
    expect(partitionOf('us-isob-east-1')).toBe('aws-iso-b');
    expect(partitionOfArn('arn:aws-cn:sts::123456789012:assumed-role/ci/x')).toBe('aws-cn');
    // What is no ARN names no partition: another first field, an empty partition, no fields at all.
    expect(partitionOfArn('urn:aws:sts::123456789012:assumed-role/ci/x')).toBeUndefined();
    expect(partitionOfArn('arn::sts::123456789012:assumed-role/ci/x')).toBeUndefined();
    expect(partitionOfArn('arn')).toBeUndefined();
    expect(awsManagedPolicyArn('us-gov-east-1', 'service-role/AmazonECSTaskExecutionRolePolicy')).toBe(
      'arn:aws-us-gov:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
    );
  });

  it.each([
    ['cn-north-1', 'arn:aws-cn:iam::aws:policy/service-role/'],
    ['us-gov-west-1', 'arn:aws-us-gov:iam::aws:policy/service-role/'],
    ['us-east-1', 'arn:aws:iam::aws:policy/service-role/'],
  ])('in %s the roles get the managed policies of that partition', async (region, prefix) => {
    // GIVEN no roles yet, in a region of that partition
    const t = testStack({ stack: 'shop', region });
    iam.on(GetRoleCommand).rejects(await sdkError(IAMClient, GetRoleCommand, 'NoSuchEntity', 'The role with name shop-ecs-instance cannot be found.', { status: 404 }));
    iam.on(CreateRoleCommand).callsFake((input: { RoleName: string }) => ({ Role: { RoleName: input.RoleName, Arn: `${prefix.split(':iam')[0]}:iam::123456789012:role/${input.RoleName}` } }));
    iam.on(AttachRolePolicyCommand).resolves({});
    // WHEN both roles are created
    await instanceRoleStep.create(stepContext(t.env).ctx);
    await executionRoleStep.create(stepContext(t.env).ctx);
    // THEN each attached policy ARN carries the region's partition
    expect(iam.commandCalls(AttachRolePolicyCommand).map((c) => c.args[0].input.PolicyArn)).toEqual([
      `${prefix}AmazonEC2ContainerServiceforEC2Role`,
      `${prefix}AmazonECSTaskExecutionRolePolicy`,
    ]);
  });

  it('no source file writes the aws partition into an ARN', () => {
    const offenders = sources(SRC).filter((f) => readFileSync(f, 'utf8').includes('arn:aws:'));
    expect(offenders.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
