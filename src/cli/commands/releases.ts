import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { unlessNotFound } from '../../aws/errors.js';
import { newestFirst, reconcileReleases, releaseJson, releasesTable } from '../../deploy/releases.js';
import { stackNames } from '../../steps/names.js';
import type { ServiceOutputs } from '../../steps/outputs.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { serviceNames } from '../../steps/services.js';
import { awsTarget, callLog, preflight, readExistingStack } from '../stack.js';

/**
 * `ecs-wizard releases [STACK]`: the release history, newest first. Read-only (no lock): a
 * release still marked in progress is looked up in the service's deployments and shown as it
 * ended, without writing the state (the next deploy or create records it).
 */
export async function releases(stackArg: string | undefined, flags: CommonFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const { stack, state } = await readExistingStack(opts, stackArg, ctx, 'releases');
  let list = state.releases ?? [];
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  try {
    if (list.some((r) => r.result === 'in-progress')) {
      const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
      try {
        await preflight(aws);
        const names = stackNames(stack);
        const svc = state.resources.service?.outputs as Partial<ServiceOutputs> | undefined;
        const service = await unlessNotFound(async () => (await aws.get(ECSClient).send(new DescribeServicesCommand({ cluster: svc?.clusterName ?? names.cluster, services: [svc?.serviceName ?? serviceNames(stack, { name: stack, primary: true }).service] }))).services?.[0]);
        list = reconcileReleases(list, service).releases;
      } finally {
        aws.destroy();
      }
    }
  } finally {
    reporter.close();
  }
  if (opts.output === 'json') {
    printResult(ctx, opts, { stack, releases: newestFirst(list).map(releaseJson), calls: calls.counts });
    return 0;
  }
  ctx.resultPrinted = true;
  ctx.stdout.write(
    list.length
      ? releasesTable(list)
      : `No releases recorded for ${stack}: a stack created before ecs-wizard recorded releases gets its first with its next create or deploy.\n`,
  );
  return 0;
}
