import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient } from '@aws-sdk/client-iam';
import { BOUNDARY_POLICY_NAME, boundaryArn, bootstrapBoundary, type BoundaryChange } from '../../aws/boundary.js';
import { operatorPolicy } from '../../aws/operator-policy.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { printResult } from '../output.js';
import { awsTarget, callLog } from '../stack.js';

export interface BootstrapFlags extends CommonFlags {
  dryRun?: boolean;
}

const WORDS: Record<BoundaryChange, string> = {
  created: 'created',
  updated: "updated: a new default version with this release's document",
  unchanged: 'already up to date',
  'would-create': 'missing: would be created',
  'would-update': "out of date: a new default version with this release's document would be made",
};

/**
 * `ecs-wizard iam bootstrap`: run once per account by an administrator. Makes the permissions
 * boundary every stack role carries (or brings it to this release's document), then prints the
 * operator policy for the account. Idempotent: a rerun on an up-to-date account only reads.
 */
export async function iamBootstrap(flags: BootstrapFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const dryRun = flags.dryRun ?? false;
  const calls = callLog(opts, (line) => ctx.stderr.write(`${line}\n`));
  const aws = ctx.makeClients({ ...awsTarget(opts, ctx, {}, calls.onCall), readOnly: dryRun });
  try {
    const { region } = await aws.preflight(IAMClient);
    const accountId = (await aws.get(STSClient).send(new GetCallerIdentityCommand({}))).Account!;
    const arn = boundaryArn(region, accountId);
    const status = await bootstrapBoundary(aws.get(IAMClient), arn, { dryRun });
    const policy = await operatorPolicy(region, accountId);
    if (opts.output === 'json') {
      printResult(ctx, opts, { boundary: { name: BOUNDARY_POLICY_NAME, arn, status }, operatorPolicy: policy, dryRun, calls: calls.counts });
      return 0;
    }
    // The policy alone on stdout (`> operator-policy.json`); what happened on stderr.
    ctx.stderr.write(
      `Permissions boundary ${arn}: ${WORDS[status]}.\n` +
        `The operator policy for account ${accountId} follows; attach it to the people and CI roles that run ecs-wizard ` +
        `(replace STATE_BUCKET and STATE_PREFIX if states live in S3, or drop those statements).\n`,
    );
    ctx.resultPrinted = true;
    ctx.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
    return 0;
  } finally {
    aws.destroy();
  }
}
