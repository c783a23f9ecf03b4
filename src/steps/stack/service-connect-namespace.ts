import { randomBytes } from 'node:crypto';
import {
  CreateHttpNamespaceCommand,
  DeleteNamespaceCommand,
  DeleteServiceCommand,
  GetNamespaceCommand,
  GetServiceCommand,
  GetOperationCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ServiceDiscoveryClient,
  type NamespaceSummary,
  type ServiceSummary,
} from '@aws-sdk/client-servicediscovery';
import { WizardError } from '../../errors.js';
import { isCloudMapBusy, isNamespaceTaken, unlessNotFound } from '../../aws/errors.js';
import { poll, retryWhile, type PollTiming } from '../../aws/poll.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import type { NamespaceOutputs } from '../outputs.js';
import { servicesOf } from '../services.js';

type Ctx = StepContext<StackEnv>;

/** The tag ECS puts on what it makes itself, the Cloud Map services of Service Connect among them. */
export const ECS_MANAGED_TAG = 'AmazonECSManaged';

/** CreateHttpNamespace's name rule (1–1024 printable ASCII characters, no spaces): `<stack>.internal` always fits. */
export const HTTP_NAMESPACE_NAME = /^[!-~]{1,1024}$/;

/** A CreatorRequestId of the stack: its name and a random part (a stack made again after a destroy gets a new one). At most 64 characters. */
export function creatorRequestId(stack: string): string {
  return `${stack}-${randomBytes(8).toString('hex')}`;
}

/** Where a conflict is reported: the first service that asks to be found (the answer that made the stack want a namespace). */
function discoveryAnswer(ctx: Ctx): string {
  const svc = servicesOf(ctx.env.answers).find((s) => s.discovery);
  return svc ? `${svc.at}.discovery` : 'services';
}

/** Every HTTP namespace of the region with the name (ListNamespaces' filters, and the name checked again here: an emulator may ignore them). */
export async function namespacesNamed(sd: ServiceDiscoveryClient, name: string): Promise<NamespaceSummary[]> {
  const out: NamespaceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const r = await sd.send(
      new ListNamespacesCommand({
        NextToken,
        Filters: [
          { Name: 'NAME', Values: [name], Condition: 'EQ' },
          { Name: 'TYPE', Values: ['HTTP'], Condition: 'EQ' },
        ],
      }),
    );
    out.push(...(r.Namespaces ?? []).filter((n) => n.Name === name));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/** A Cloud Map resource's tags; undefined when it is gone. */
export async function tagsOf(sd: ServiceDiscoveryClient, arn: string): Promise<{ Key?: string; Value?: string }[] | undefined> {
  return (await unlessNotFound(() => sd.send(new ListTagsForResourceCommand({ ResourceARN: arn }))))?.Tags;
}

/**
 * The stack's namespace: by recorded id, then by name among the region's HTTP namespaces and the
 * stack tag. A namespace of that name without the tag is someone else's: an input error naming it
 * (Cloud Map names are unique per account and region, so the stack could not make its own).
 */
export async function stackNamespace(ctx: Ctx, sd: ServiceDiscoveryClient): Promise<NamespaceOutputs | undefined> {
  const name = ctx.env.names.namespace;
  const recordedId = ctx.recorded?.namespaceId as string | undefined;
  if (recordedId) {
    const ns = (await unlessNotFound(() => sd.send(new GetNamespaceCommand({ Id: recordedId }))))?.Namespace;
    if (ns?.Id && ns.Name === name) return { namespaceId: ns.Id, namespaceArn: ns.Arn ?? '', namespaceName: name };
  }
  for (const ns of await namespacesNamed(sd, name)) {
    if (!ns.Arn || !ns.Id) continue;
    const tags = await tagsOf(sd, ns.Arn);
    // Deleted since the listing: not there.
    if (tags === undefined) continue;
    if (tags.some((t) => t.Key === STACK_TAG && t.Value === ctx.env.names.stack)) return { namespaceId: ns.Id, namespaceArn: ns.Arn, namespaceName: name };
    throw taken(ctx, ns.Arn);
  }
  return undefined;
}

function taken(ctx: Ctx, arn: string | undefined): WizardError {
  const name = ctx.env.names.namespace;
  return new WizardError('INPUT_INVALID', `The Cloud Map namespace ${name} exists${arn ? ` (${arn})` : ''} and is not stack ${ctx.env.names.stack}'s (it lacks the ${STACK_TAG} tag).`, {
    problems: [{ path: discoveryAnswer(ctx), message: `needs the namespace ${name}, which someone else has in this account and region: delete it (or tag it ${STACK_TAG}=${ctx.env.names.stack} if it is this stack's), or turn discovery off` }],
    hint: `Look at it with \`aws servicediscovery list-namespaces\`; Cloud Map namespace names are unique per account and region.`,
  });
}

/**
 * Waits for a Cloud Map operation (namespaces are made and deleted asynchronously): its targets on
 * SUCCESS, an error with the operation's own message on FAIL. An operation Cloud Map no longer
 * knows is reported as undefined.
 */
export async function waitForOperation(
  sd: ServiceDiscoveryClient,
  operationId: string,
  opts: { timing: PollTiming; signal?: AbortSignal; progress?: (m: string) => void; what: string },
): Promise<Record<string, string> | undefined> {
  return poll(
    async () => {
      const op = (await unlessNotFound(() => sd.send(new GetOperationCommand({ OperationId: operationId }))))?.Operation;
      if (!op) return { done: true, value: undefined };
      if (op.Status === 'SUCCESS') return { done: true, value: op.Targets ?? {} };
      if (op.Status === 'FAIL') {
        throw new WizardError('AWS', `AWS Cloud Map could not ${op.Type === 'DELETE_NAMESPACE' ? 'delete' : 'create'} ${opts.what}: ${op.ErrorCode ? `${op.ErrorCode}: ` : ''}${op.ErrorMessage ?? 'no reason given'} (operation ${operationId}).`);
      }
      return { done: false, waitingFor: `waiting for AWS Cloud Map to finish with ${opts.what} (${op.Status ?? 'PENDING'})` };
    },
    { timing: opts.timing, signal: opts.signal, progress: opts.progress },
  );
}

/**
 * The Cloud Map services in a namespace: ListServices' filter, and each one's namespace checked
 * again with GetService (a summary does not carry it, and an emulator may ignore the filter).
 */
async function servicesIn(sd: ServiceDiscoveryClient, namespaceId: string): Promise<ServiceSummary[]> {
  const out: ServiceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const r = await sd.send(new ListServicesCommand({ NextToken, Filters: [{ Name: 'NAMESPACE_ID', Values: [namespaceId], Condition: 'EQ' }] }));
    for (const s of r.Services ?? []) {
      if (!s.Id) continue;
      const full = (await unlessNotFound(() => sd.send(new GetServiceCommand({ Id: s.Id }))))?.Service;
      if (full?.NamespaceId === namespaceId) out.push(s);
    }
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/**
 * Deletes the namespace once nothing is in it. ECS leaves the Cloud Map service it made for each
 * discovery service (tagged AmazonECSManaged) in the namespace after the ECS service is gone, so
 * those are deleted first — only those: a service someone else put in the namespace stops the
 * delete with an error naming it. Cloud Map answers ResourceInUse while a service still has
 * instances (ECS deregisters a task as it stops) or the namespace still has services: tried
 * again, bounded by the wait timeout, then the error names what is left.
 */
export async function deleteNamespace(
  sd: ServiceDiscoveryClient,
  ns: { namespaceId: string; namespaceName: string },
  opts: { timing: PollTiming; signal?: AbortSignal; progress?: (m: string) => void },
): Promise<void> {
  const what = `namespace ${ns.namespaceName} (${ns.namespaceId})`;
  let left: string[] = [];
  try {
    await retryWhile(
      async () => {
        left = [];
        const foreign: string[] = [];
        for (const svc of await servicesIn(sd, ns.namespaceId)) {
          if (!svc.Id) continue;
          const tags = svc.Arn ? await tagsOf(sd, svc.Arn) : [];
          if (tags === undefined) continue;
          if (!tags.some((t) => t.Key === ECS_MANAGED_TAG && t.Value === 'true')) {
            foreign.push(`${svc.Name ?? svc.Id} (${svc.Id})`);
            continue;
          }
          try {
            await unlessNotFound(() => sd.send(new DeleteServiceCommand({ Id: svc.Id })));
          } catch (err) {
            // Instances still registered: the namespace's delete below says so, and both are tried again.
            if (!isCloudMapBusy(err)) throw err;
            left.push(`${svc.Name ?? svc.Id} (${svc.Id})`);
          }
        }
        if (foreign.length) {
          throw new WizardError('AWS', `The ${what} holds Cloud Map services that ECS did not make for the stack: ${foreign.join(', ')}.`, {
            hint: `Delete them (aws servicediscovery delete-service --id …) if they may go, then run destroy again.`,
          });
        }
        const r = await unlessNotFound(() => sd.send(new DeleteNamespaceCommand({ Id: ns.namespaceId })));
        if (r?.OperationId) await waitForOperation(sd, r.OperationId, { ...opts, what });
      },
      isCloudMapBusy,
      { ...opts, waitingFor: `waiting for ECS to let go of ${what}` },
    );
  } catch (err) {
    if (err instanceof WizardError && err.code === 'TIMEOUT') {
      throw new WizardError('TIMEOUT', `The ${what} was still in use at the end of the wait${left.length ? `: ECS had not deregistered the tasks of ${left.join(', ')}` : ''}.`, {
        hint: 'Its Service Connect services drain as their tasks stop: run destroy again in a few minutes (or raise --wait-timeout).',
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * The CreatorRequestId to send again: the recorded one while its request may still be making the
 * namespace (an answer lost, a run stopped while waiting). Not one whose namespace was made and is
 * gone since (a stack made again after a destroy), nor one whose operation FAILed — Cloud Map
 * would answer either with that old operation.
 */
async function resumableRequestId(ctx: Ctx, sd: ServiceDiscoveryClient): Promise<string | undefined> {
  const recorded = ctx.recorded as Partial<NamespaceOutputs> | undefined;
  if (!recorded?.creatorRequestId || recorded.namespaceId) return undefined;
  if (recorded.operationId) {
    const op = (await unlessNotFound(() => sd.send(new GetOperationCommand({ OperationId: recorded.operationId }))))?.Operation;
    if (op?.Status === 'FAIL') return undefined;
  }
  return recorded.creatorRequestId;
}

/**
 * Service Connect's namespace (`discovery: true` on some service): an AWS Cloud Map HTTP namespace
 * `<stack>.internal`, tagged like every resource of the stack. Created with a CreatorRequestId
 * recorded before the call (a lost answer sent again returns the same operation, not a second
 * namespace), then waited for: Cloud Map makes namespaces asynchronously. Deleted after every ECS
 * service of the stack (they depend on it), with the Cloud Map services ECS left in it.
 */
export const serviceConnectNamespaceStep: ResourceStep<StackEnv> = {
  id: 'service-connect-namespace',
  title: 'Service Connect namespace',
  dependsOn: [],
  async find(ctx) {
    const found = await stackNamespace(ctx, ctx.env.aws.get(ServiceDiscoveryClient));
    return found ? { ...found } : undefined;
  },
  async create(ctx) {
    const sd = ctx.env.aws.get(ServiceDiscoveryClient);
    const name = ctx.env.names.namespace;
    const requestId = (await resumableRequestId(ctx, sd)) ?? creatorRequestId(ctx.env.names.stack);
    await ctx.note({ creatorRequestId: requestId });
    let operationId: string | undefined;
    try {
      const r = await sd.send(
        new CreateHttpNamespaceCommand({ Name: name, CreatorRequestId: requestId, Description: `ecs-wizard: Service Connect of stack ${ctx.env.names.stack}`, Tags: ctx.env.tags(name) }),
      );
      operationId = r.OperationId;
    } catch (err) {
      // The name is taken: by an earlier attempt of ours that the find could not see yet, or by someone else.
      if (!isNamespaceTaken(err)) throw err;
      const mine = await stackNamespace(ctx, sd);
      if (mine) return { ...mine, creatorRequestId: requestId };
      throw taken(ctx, undefined);
    }
    if (operationId) await ctx.note({ operationId });
    const targets = operationId ? await waitForOperation(sd, operationId, { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, what: `namespace ${name}` }) : undefined;
    const id = targets?.NAMESPACE;
    const ns = id ? (await sd.send(new GetNamespaceCommand({ Id: id }))).Namespace : undefined;
    const outputs = ns?.Id ? { namespaceId: ns.Id, namespaceArn: ns.Arn ?? '', namespaceName: name } : await stackNamespace(ctx, sd);
    if (!outputs) throw new WizardError('AWS', `AWS Cloud Map reported namespace ${name} made, but it cannot be found.`);
    return { ...outputs, creatorRequestId: requestId } satisfies NamespaceOutputs;
  },
  async destroy(ctx, outputs) {
    const sd = ctx.env.aws.get(ServiceDiscoveryClient);
    const recorded = outputs.namespaceId as string | undefined;
    // An intent without an id (the create's answer was lost): look it up as a rerun would.
    const ns = recorded ? { namespaceId: recorded, namespaceName: (outputs.namespaceName as string | undefined) ?? ctx.env.names.namespace } : await stackNamespace({ ...ctx, recorded: outputs }, sd);
    if (!ns) return;
    await deleteNamespace(sd, ns, { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress });
  },
};
