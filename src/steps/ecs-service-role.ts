import { CreateServiceLinkedRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { isServiceLinkedRoleNotReady, isServiceLinkedRoleTaken } from '../aws/errors.js';
import { retryWhile } from '../aws/poll.js';
import type { StepContext } from '../engine/types.js';
import type { StackEnv } from './env.js';

/**
 * ECS's service-linked role, AWSServiceRoleForECS. ECS makes it on first use in an account, and
 * until it has propagated (minutes, in a fresh account) CreateCluster, CreateCapacityProvider and
 * CreateService answer "Unable to assume the service linked role". It is not a step of the stack:
 * one role serves every ECS user of the account, so ecs-wizard makes it only when ECS says it is
 * missing, and never deletes it (destroy leaves it, as deleting it would break other clusters).
 */
export const ECS_SERVICE_LINKED_ROLE = 'AWSServiceRoleForECS';

/** Asked once per run, however many calls meet the error. */
const ensured = new WeakMap<StackEnv, Promise<void>>();

/**
 * Creates the role unless it exists ("has been taken"). Not being allowed to create it is no reason
 * to stop: it may exist and only be propagating, so the caller keeps retrying the ECS call, and
 * only its timeout says what to do.
 */
function ensureEcsServiceLinkedRole(ctx: StepContext<StackEnv>): Promise<void> {
  let p = ensured.get(ctx.env);
  if (!p) {
    ctx.progress(`making sure the ECS service-linked role ${ECS_SERVICE_LINKED_ROLE} exists`);
    p = ctx.env.aws
      .get(IAMClient)
      .send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }))
      .then(
        () => undefined,
        (err: unknown) => {
          if (!isServiceLinkedRoleTaken(err)) ctx.progress(`could not create ${ECS_SERVICE_LINKED_ROLE} (${(err as Error)?.name}: ${(err as Error)?.message}); waiting for ECS regardless`);
        },
      );
    ensured.set(ctx.env, p);
  }
  return p;
}

/**
 * Runs an ECS create that needs the service-linked role: while ECS cannot assume it yet, the role
 * is made if missing, and the call repeated with backoff, bounded by the wait timeout.
 */
export function withEcsServiceLinkedRole<T>(ctx: StepContext<StackEnv>, call: () => Promise<T>): Promise<T> {
  return retryWhile(
    async () => {
      try {
        return await call();
      } catch (err) {
        if (isServiceLinkedRoleNotReady(err)) await ensureEcsServiceLinkedRole(ctx);
        throw err;
      }
    },
    isServiceLinkedRoleNotReady,
    {
      timing: ctx.env.timing,
      signal: ctx.signal,
      progress: ctx.progress,
      waitingFor: `waiting for ECS to be able to use its service-linked role ${ECS_SERVICE_LINKED_ROLE}`,
      timeoutHint: `Check that the role exists (aws iam get-role --role-name ${ECS_SERVICE_LINKED_ROLE}); if not, create it with \`aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com\` (needs iam:CreateServiceLinkedRole), then run create again.`,
    },
  );
}
