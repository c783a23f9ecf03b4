import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { EC2Client } from '@aws-sdk/client-ec2';
import { isReadOperation, type AwsCall, type AwsClients } from '../aws/clients.js';
import { stackTags } from '../aws/tags.js';
import { stackNames } from '../steps/names.js';
import type { StackEnv } from '../steps/env.js';
import type { Answers } from '../wizard/schema.js';
import type { CliContext } from './context.js';
import type { CommonOptions } from './options.js';

/** Where to call AWS: flags first, then what the state recorded, then the answers, then the SDK chain. */
export function awsTarget(opts: CommonOptions, ctx: CliContext, fallback: { region?: string; endpointUrl?: string } = {}, onCall?: (c: AwsCall) => void) {
  return {
    region: opts.region ?? fallback.region,
    profile: opts.profile,
    endpointUrl: opts.endpointUrl ?? (ctx.env.AWS_ENDPOINT_URL ? undefined : fallback.endpointUrl),
    onCall,
  };
}

/** How many AWS calls a command made, split as isReadOperation() does (results' `calls` key). */
export interface CallCounts {
  mutating: number;
  read: number;
}

/**
 * Counts every AWS call and, with --verbose, logs it (service, operation, duration, request id,
 * error code) through `log` — the reporter's, so a live display stays intact. Pass `onCall` to
 * awsTarget() and put `counts` in the command's JSON result.
 */
export function callLog(opts: Pick<CommonOptions, 'verbose'>, log: (line: string) => void): { onCall: (c: AwsCall) => void; counts: CallCounts } {
  const counts: CallCounts = { mutating: 0, read: 0 };
  const onCall = (c: AwsCall): void => {
    if (isReadOperation(c.operation)) counts.read++;
    else counts.mutating++;
    if (opts.verbose) {
      log(`aws ${c.service}.${c.operation} ${Math.round(c.durationMs)} ms${c.requestId ? ` request-id=${c.requestId}` : ''}${c.error ? ` error=${c.error}` : ''}`);
    }
  };
  return { onCall, counts };
}

/** Builds what every step receives. */
export function stackEnv(answers: Answers, aws: AwsClients, region: string, ctx: CliContext, opts: CommonOptions): StackEnv {
  const names = stackNames(answers.stack);
  let account: Promise<string> | undefined;
  return {
    answers,
    names,
    aws,
    region,
    tags: (name, service) => stackTags(answers.stack, name, answers.tags, service),
    timing: { ...ctx.timing, timeoutMs: opts.waitTimeoutMs },
    accountId() {
      account ??= aws
        .get(STSClient)
        .send(new GetCallerIdentityCommand({}))
        .then((r) => r.Account!);
      return account;
    },
  };
}

/** Resolves region and credentials before any AWS call (exit 2 with a hint when missing). */
export async function preflight(aws: AwsClients): Promise<string> {
  return (await aws.preflight(EC2Client)).region;
}

// The state store entry points live apart so that `list` loads no SDK client but S3's (and that only for S3).
export { noStack, noStackError, openStack, openStore, readExistingStack, readStack, type OpenStack } from './state-store.js';
