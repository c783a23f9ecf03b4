import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { unlessNotFound } from '../../aws/errors.js';
import { newestFirst, reconcileServiceReleases, releaseJson, releasesOf, releasesTable } from '../../deploy/releases.js';
import { stackNames } from '../../steps/names.js';
import type { ServiceOutputs } from '../../steps/outputs.js';
import type { CliContext } from '../context.js';
import { commonOptions, type CommonFlags } from '../options.js';
import { makeReporter, printResult } from '../output.js';
import { idFor, selectService, serviceNames } from '../../steps/services.js';
import { validateAnswers } from '../../wizard/answers-file.js';
import { awsTarget, callLog, preflight, readExistingStack } from '../stack.js';

/**
 * `ecs-wizard releases [STACK]`: the release history, newest first. Read-only (no lock): a
 * release still marked in progress is looked up in the service's deployments and shown as it
 * ended, without writing the state (the next deploy or create records it).
 */
export interface ReleasesFlags extends CommonFlags {
  /** The service whose releases are listed (required on a stack of several). */
  service?: string;
}

export async function releases(stackArg: string | undefined, flags: ReleasesFlags, ctx: CliContext): Promise<number> {
  const opts = commonOptions(flags, ctx);
  const { stack, state } = await readExistingStack(opts, stackArg, ctx, 'releases');
  // A state without answers (an interrupted first create) has only the stack's own service.
  const svc = state.answers ? selectService(validateAnswers(state.answers), flags.service, 'releases') : { name: stack, primary: true };
  let list = releasesOf(state.releases, svc);
  const reporter = makeReporter(opts, ctx);
  const calls = callLog(opts, (l) => reporter.log(l));
  try {
    if (list.some((r) => r.result === 'in-progress')) {
      const aws = ctx.makeClients(awsTarget(opts, ctx, { region: state.region, endpointUrl: state.endpointUrl }, calls.onCall));
      try {
        await preflight(aws);
        const names = stackNames(stack);
        const rec = state.resources[idFor(svc, 'service')]?.outputs as Partial<ServiceOutputs> | undefined;
        const service = await unlessNotFound(async () => (await aws.get(ECSClient).send(new DescribeServicesCommand({ cluster: rec?.clusterName ?? names.cluster, services: [rec?.serviceName ?? serviceNames(stack, svc).service] }))).services?.[0]);
        list = releasesOf(reconcileServiceReleases(state.releases, svc, service).releases, svc);
      } finally {
        aws.destroy();
      }
    }
  } finally {
    reporter.close();
  }
  if (opts.output === 'json') {
    printResult(ctx, opts, { stack, releases: newestFirst(list).map((r) => releaseJson(r, stack)), calls: calls.counts });
    return 0;
  }
  ctx.resultPrinted = true;
  ctx.stdout.write(
    list.length
      ? releasesTable(list)
      : !svc.primary
        ? `No releases recorded for service ${svc.name} of ${stack}: its first comes with its first deploy.\n`
        : `No releases recorded for ${stack}: a stack created before ecs-wizard recorded releases gets its first with its next create or deploy.\n`,
  );
  return 0;
}
