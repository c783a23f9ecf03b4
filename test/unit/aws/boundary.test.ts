import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { bootstrapBoundary, boundaryArn, boundaryDocument, createBoundary } from '../../../src/aws/boundary.js';
import { operatorPolicy } from '../../../src/aws/operator-policy.js';
import { sdkError } from '../../support/aws-wire.js';
import { mutationsOf } from '../../support/mocked-calls.js';

/**
 * `iam bootstrap`'s work on the boundary policy, against IAM's answers as the SDK raises them:
 * made when missing, a new default version when the tool's document changed (within IAM's five
 * versions), nothing written when it is up to date or in a dry run.
 */

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());
const ARN = 'arn:aws:iam::123456789012:policy/ecs-wizard-boundary';
const client = () => new IAMClient({ region: 'us-east-1' });
const mutations = () => mutationsOf(iam);

function boundaryWithDefault(document: object, versions: { VersionId: string; IsDefaultVersion: boolean; CreateDate: Date }[]) {
  const current = versions.find((v) => v.IsDefaultVersion)!;
  iam.on(GetPolicyCommand).resolves({ Policy: { Arn: ARN, PolicyName: 'ecs-wizard-boundary', DefaultVersionId: current.VersionId } });
  iam.on(GetPolicyVersionCommand, { PolicyArn: ARN, VersionId: current.VersionId }).resolves({ PolicyVersion: { ...current, Document: encodeURIComponent(JSON.stringify(document)) } });
  iam.on(ListPolicyVersionsCommand).resolves({ Versions: versions });
}
const day = (d: number) => new Date(Date.UTC(2025, 0, d));
const older = { Version: '2012-10-17', Statement: [{ Sid: 'Old', Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] };

describe('iam bootstrap: the boundary policy', () => {
  it('missing: made from the tool\'s document (a dry run only says so)', async () => {
    iam.on(GetPolicyCommand).rejects(await sdkError(IAMClient, GetPolicyCommand, 'NoSuchEntity', `Policy ${ARN} was not found.`, { status: 404 }));
    expect(await bootstrapBoundary(client(), ARN, { dryRun: true })).toBe('would-create');
    expect(mutations()).toEqual([]);
    expect(await bootstrapBoundary(client(), ARN, { dryRun: false })).toBe('created');
    const input = iam.commandCalls(CreatePolicyCommand)[0]!.args[0].input;
    expect(input.PolicyName).toBe('ecs-wizard-boundary');
    expect(JSON.parse(input.PolicyDocument!)).toEqual(boundaryDocument());
  });

  it('up to date: read, nothing written', async () => {
    boundaryWithDefault(boundaryDocument(), [{ VersionId: 'v2', IsDefaultVersion: true, CreateDate: day(2) }]);
    expect(await bootstrapBoundary(client(), ARN, { dryRun: false })).toBe('unchanged');
    expect(mutations()).toEqual([]);
  });

  it('another document: a new default version, no version deleted while IAM has room', async () => {
    boundaryWithDefault(older, [
      { VersionId: 'v1', IsDefaultVersion: false, CreateDate: day(1) },
      { VersionId: 'v2', IsDefaultVersion: true, CreateDate: day(2) },
    ]);
    expect(await bootstrapBoundary(client(), ARN, { dryRun: true })).toBe('would-update');
    expect(mutations()).toEqual([]);
    expect(await bootstrapBoundary(client(), ARN, { dryRun: false })).toBe('updated');
    expect(mutations()).toEqual(['CreatePolicyVersion']);
    const input = iam.commandCalls(CreatePolicyVersionCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ PolicyArn: ARN, SetAsDefault: true });
    expect(JSON.parse(input.PolicyDocument!)).toEqual(boundaryDocument());
  });

  it('another document and five versions: the oldest non-default one goes first (never the default, however old)', async () => {
    boundaryWithDefault(older, [
      { VersionId: 'v1', IsDefaultVersion: true, CreateDate: day(1) },
      { VersionId: 'v4', IsDefaultVersion: false, CreateDate: day(4) },
      { VersionId: 'v2', IsDefaultVersion: false, CreateDate: day(2) },
      { VersionId: 'v5', IsDefaultVersion: false, CreateDate: day(5) },
      { VersionId: 'v3', IsDefaultVersion: false, CreateDate: day(3) },
    ]);
    expect(await bootstrapBoundary(client(), ARN, { dryRun: false })).toBe('updated');
    expect(mutations()).toEqual(['DeletePolicyVersion', 'CreatePolicyVersion']);
    expect(iam.commandCalls(DeletePolicyVersionCommand)[0]!.args[0].input).toEqual({ PolicyArn: ARN, VersionId: 'v2' });
  });

  it('one made meanwhile by someone else (EntityAlreadyExists) is as good as ours; a refusal is passed on', async () => {
    iam.on(CreatePolicyCommand).rejectsOnce(await sdkError(IAMClient, CreatePolicyCommand, 'EntityAlreadyExists', 'A policy called ecs-wizard-boundary already exists. Duplicate names are not allowed.', { status: 409 }));
    await expect(createBoundary(client(), ARN)).resolves.toBeUndefined();
    iam.on(CreatePolicyCommand).rejects(await sdkError(IAMClient, CreatePolicyCommand, 'AccessDenied', 'not authorized to perform: iam:CreatePolicy', { status: 403 }));
    await expect(createBoundary(client(), ARN)).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  });
});

describe('the boundary and the operator policy in every partition', () => {
  it.each([
    ['us-east-1', 'aws'],
    ['cn-north-1', 'aws-cn'],
    ['us-gov-west-1', 'aws-us-gov'],
  ])('%s: the boundary ARN, and every ARN the printed operator policy names, are in %s, with the account filled in', async (region, partition) => {
    expect(boundaryArn(region, '123456789012')).toBe(`arn:${partition}:iam::123456789012:policy/ecs-wizard-boundary`);
    const text = JSON.stringify(await operatorPolicy(region, '123456789012'));
    const arns = [...text.matchAll(/"(arn:[^"]*)"/g)].map((m) => m[1]!);
    expect(arns.length).toBeGreaterThan(10);
    expect(arns.filter((a) => a.split(':')[1] !== partition)).toEqual([]);
    expect(text).not.toContain('ACCOUNT_ID');
    expect(text).toContain(`"iam:PermissionsBoundary":"arn:${partition}:iam::123456789012:policy/ecs-wizard-boundary"`);
  });
});
