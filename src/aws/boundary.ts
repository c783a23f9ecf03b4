import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { AmbiguousResponse } from './clients.js';
import { isAlreadyExists, unlessNotFound } from './errors.js';
import { arnFor } from './partition.js';

/**
 * The permissions boundary every role of every stack carries: a customer-managed policy of the
 * account, `ecs-wizard-boundary`, made once per account (by `ecs-wizard iam bootstrap`, or by the
 * first `create` of a caller allowed to). A boundary grants nothing by itself; it caps what any
 * policy attached to the role can grant. The operator policy (docs/iam-policy.json) lets an
 * operator create and change roles only with this boundary on them, so whatever an operator
 * attaches — or puts on a role they made for themselves — never reaches beyond this document.
 */
export const BOUNDARY_POLICY_NAME = 'ecs-wizard-boundary';

/** The boundary's ARN in the account, in the region's partition. */
export function boundaryArn(region: string, accountId: string): string {
  return arnFor(region, 'iam', accountId, `policy/${BOUNDARY_POLICY_NAME}`, '');
}

/**
 * Exactly what the stack's three kinds of role can need, each action named (no `*`, no
 * `service:*`, nothing of IAM or STS): the ECS agent on the instances
 * (AmazonEC2ContainerServiceforEC2Role, its `ecs:Submit*` spelled out), ECS starting tasks
 * (AmazonECSTaskExecutionRolePolicy), reading `service.secrets`, the ECS Exec channel, and a short
 * list of what an application's own task role commonly does. It is the ceiling of what an
 * operator can grant a workload: an administrator who needs more gives the stack a role of their
 * own (`service.taskRoleArn`), which this boundary does not touch.
 */
export function boundaryDocument(): { Version: string; Statement: { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string; Condition?: object }[] } {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EcsAgentOnInstances',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeTags',
          'ecs:CreateCluster',
          'ecs:DeregisterContainerInstance',
          'ecs:DiscoverPollEndpoint',
          'ecs:ListTagsForResource',
          'ecs:Poll',
          'ecs:RegisterContainerInstance',
          'ecs:StartTelemetrySession',
          'ecs:SubmitAttachmentStateChanges',
          'ecs:SubmitContainerStateChange',
          'ecs:SubmitTaskStateChange',
          'ecs:UpdateContainerInstancesState',
        ],
        Resource: '*',
      },
      {
        Sid: 'EcsAgentTagsWhatItCreates',
        Effect: 'Allow',
        Action: ['ecs:TagResource'],
        Resource: '*',
        Condition: { StringEquals: { 'ecs:CreateAction': ['CreateCluster', 'RegisterContainerInstance'] } },
      },
      {
        Sid: 'PullImagesWriteLogs',
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
      {
        Sid: 'ReadServiceSecrets',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'secretsmanager:GetSecretValue', 'ssm:GetParameters'],
        Resource: '*',
      },
      {
        Sid: 'EcsExecChannel',
        Effect: 'Allow',
        Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
        Resource: '*',
      },
      {
        Sid: 'ApplicationDataPlane',
        Effect: 'Allow',
        Action: [
          'cloudwatch:PutMetricData',
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
          's3:DeleteObject',
          's3:GetObject',
          's3:ListBucket',
          's3:PutObject',
          'sns:Publish',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
          'sqs:SendMessage',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:PutTelemetryRecords',
          'xray:PutTraceSegments',
        ],
        Resource: '*',
      },
    ],
  };
}

/** IAM returns policy documents URL-encoded; compare them as parsed JSON, not as text. */
export function sameDocument(encoded: string | undefined, wanted: object): boolean {
  if (!encoded) return false;
  try {
    return JSON.stringify(JSON.parse(decodeURIComponent(encoded))) === JSON.stringify(wanted);
  } catch {
    return false;
  }
}

/** What `iam bootstrap` did to the boundary (a dry run says what it would do). */
export type BoundaryChange = 'created' | 'updated' | 'unchanged' | 'would-create' | 'would-update';

/** The account's boundary as it is: missing, or there with its default version the tool's document or not. */
export type BoundaryState = { exists: false } | { exists: true; current: boolean };

/** Reads the boundary (GetPolicy, then its default version): a missing one is NoSuchEntity. */
export async function readBoundary(iam: IAMClient, arn: string): Promise<BoundaryState> {
  const policy = (await unlessNotFound(() => iam.send(new GetPolicyCommand({ PolicyArn: arn }))))?.Policy;
  if (!policy) return { exists: false };
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.DefaultVersionId }));
  return { exists: true, current: sameDocument(v.PolicyVersion?.Document, boundaryDocument()) };
}

/**
 * Creates the boundary policy from the tool's document. One made meanwhile by someone else
 * (EntityAlreadyExists), or by this very call whose answer was lost, is as good as this one.
 */
export async function createBoundary(iam: IAMClient, arn: string): Promise<void> {
  try {
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: BOUNDARY_POLICY_NAME,
        PolicyDocument: JSON.stringify(boundaryDocument()),
        Description: 'Permissions boundary of every IAM role ecs-wizard stacks make: the most any of them may do',
      }),
    );
  } catch (err) {
    if (isAlreadyExists(err)) return;
    if (err instanceof AmbiguousResponse && (await readBoundary(iam, arn)).exists) return;
    throw err;
  }
}

/** IAM keeps at most five versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

/**
 * `iam bootstrap`: the boundary made, or brought to the tool's document — a new default version
 * when the default one differs, after deleting the oldest non-default version when IAM's five are
 * taken. Reads first and writes only what differs, so a second run makes no mutating call.
 */
export async function bootstrapBoundary(iam: IAMClient, arn: string, opts: { dryRun: boolean }): Promise<BoundaryChange> {
  const state = await readBoundary(iam, arn);
  if (!state.exists) {
    if (opts.dryRun) return 'would-create';
    await createBoundary(iam, arn);
    return 'created';
  }
  if (state.current) return 'unchanged';
  if (opts.dryRun) return 'would-update';
  const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
  if (versions.length >= MAX_POLICY_VERSIONS) {
    const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (oldest) await unlessNotFound(() => iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId })));
  }
  await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: JSON.stringify(boundaryDocument()), SetAsDefault: true }));
  return 'updated';
}
