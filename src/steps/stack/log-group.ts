import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import { hasCode, isNotFound } from '../../aws/errors.js';
import { tagMap } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { LogGroupOutputs } from '../outputs.js';
import { servicesOf } from '../services.js';
import type { Answers } from '../../wizard/schema.js';

/** DescribeLogGroups matches by prefix (`/ecs/shop` also lists `/ecs/shop-web`): keep the exact name only. */
async function describeLogGroup(ctx: StepContext<StackEnv>, name: string): Promise<LogGroup | undefined> {
  const logs = ctx.env.aws.get(CloudWatchLogsClient);
  let nextToken: string | undefined;
  do {
    const r = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken }));
    const group = r.logGroups?.find((g) => g.logGroupName === name);
    if (group) return group;
    nextToken = r.nextToken;
  } while (nextToken);
  return undefined;
}

/** The log group ARN without the trailing ":*" DescribeLogGroups adds. */
const arnOf = (g: LogGroup): string => (g.logGroupArn ?? g.arn ?? '').replace(/:\*$/, '');

/** The stack's one group keeps logs as long as the service that asks the longest (of those that log). */
export function retentionOf(answers: Answers): number {
  return Math.max(...servicesOf(answers).filter((s) => s.logs).map((s) => s.logRetentionDays));
}

/**
 * The CloudWatch Logs group the container writes to (awslogs driver). Created with a retention
 * period: a group without one keeps logs, and bills for them, forever.
 */
export const logGroupStep: ResourceStep<StackEnv> = {
  id: 'log-group',
  title: 'CloudWatch Logs group',
  dependsOn: [],
  async find(ctx) {
    const name = (ctx.recorded?.logGroupName as string | undefined) ?? ctx.env.names.logGroup;
    const group = await describeLogGroup(ctx, name);
    if (!group) return undefined;
    const wanted = retentionOf(ctx.env.answers);
    if (ctx.repair && group.retentionInDays !== wanted) {
      await ctx.env.aws.get(CloudWatchLogsClient).send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: wanted }));
      return { logGroupName: name, logGroupArn: arnOf(group), retentionInDays: wanted } satisfies LogGroupOutputs;
    }
    return { logGroupName: name, logGroupArn: arnOf(group), retentionInDays: group.retentionInDays ?? 0 } satisfies LogGroupOutputs;
  },
  async create(ctx) {
    const logs = ctx.env.aws.get(CloudWatchLogsClient);
    const name = ctx.env.names.logGroup;
    const retentionInDays = retentionOf(ctx.env.answers);
    try {
      await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: tagMap(ctx.env.tags(name)) }));
    } catch (err) {
      // A create whose answer was lost, or a race with another run: the group is there, converge it.
      if (!hasCode(err, 'ResourceAlreadyExistsException')) throw err;
    }
    await ctx.note({ logGroupName: name });
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays }));
    const group = await describeLogGroup(ctx, name);
    return { logGroupName: name, logGroupArn: group ? arnOf(group) : '', retentionInDays } satisfies LogGroupOutputs;
  },
  async destroy(ctx, outputs) {
    const name = (outputs.logGroupName as string | undefined) ?? ctx.env.names.logGroup;
    try {
      await ctx.env.aws.get(CloudWatchLogsClient).send(new DeleteLogGroupCommand({ logGroupName: name }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },
};
