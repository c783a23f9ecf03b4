import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { WizardError } from '../errors.js';
import { BOUNDARY_POLICY_NAME, boundaryArn, createBoundary, readBoundary, type BoundaryState } from '../aws/boundary.js';
import { isAccessDenied, unlessNotFound } from '../aws/errors.js';
import type { StackEnv } from './env.js';
import { serviceNames, servicesOf } from './services.js';

/**
 * The permissions boundary as one run of the stack sees it. Like ECS's service-linked role, the
 * boundary is the account's, not the stack's: no step makes or deletes it, destroy leaves it, and
 * the inventory never lists it. A run asks IAM about it once (per env), and makes it only when a
 * role must be created and it is missing.
 */
interface Known {
  arn: string;
  state: BoundaryState;
  made?: Promise<void>;
}

const known = new WeakMap<StackEnv, Promise<Known>>();

function read(env: StackEnv): Promise<Known> {
  let p = known.get(env);
  if (!p) {
    p = (async () => {
      const arn = boundaryArn(env.region, await env.accountId());
      return { arn, state: await readBoundary(env.aws.get(IAMClient), arn) };
    })();
    known.set(env, p);
  }
  return p;
}

export const BOOTSTRAP_HINT = 'An administrator runs `ecs-wizard iam bootstrap` once per account (it makes the boundary and prints the operator policy); then run create again.';

/**
 * The boundary's ARN for a role about to be created: made first when the account has none.
 * A caller not allowed to make it (an operator, whose policy grants no iam:CreatePolicy) is told
 * who must, before any role exists without it.
 */
export async function boundaryForNewRole(env: StackEnv): Promise<string> {
  const k = await read(env);
  if (!k.state.exists) {
    k.made ??= createBoundary(env.aws.get(IAMClient), k.arn).then(
      () => void (k.state = { exists: true, current: true }),
      (err: unknown) => {
        if (!isAccessDenied(err)) throw err;
        throw new WizardError('AWS', `Not allowed to create the permissions boundary ${BOUNDARY_POLICY_NAME} (${k.arn}), which every IAM role of the stack carries: ${(err as Error).message}`, {
          hint: BOOTSTRAP_HINT,
          cause: err,
        });
      },
    );
    await k.made;
  }
  return k.arn;
}

/** The boundary's ARN when the account has it; undefined when it does not (nothing is made then). */
export async function existingBoundary(env: StackEnv): Promise<string | undefined> {
  const k = await read(env);
  return k.state.exists ? k.arn : undefined;
}

/** The roles the answers make the stack own: the instance and execution roles, and each service's task role when the stack makes one. */
export function stackRoleNames(env: StackEnv): string[] {
  const n = env.names;
  const taskRoles = servicesOf(env.answers).flatMap((svc) => (svc.taskRolePolicies !== undefined ? [serviceNames(n.stack, svc).taskRole] : []));
  return [n.instanceRole, n.executionRole, ...taskRoles];
}

/**
 * Before a create runs anything: with no boundary in the account, it is made only when a role
 * must be created (a denied CreatePolicy then fails the run before anything exists). When every
 * role exists already — a stack an earlier release made — nothing is made and the roles stay as
 * they are: a warning says what to do (on a real account the boundary exists, since bootstrap is
 * the first step, and the roles get it on this run). Returns the warnings to show.
 */
export async function prepareBoundary(env: StackEnv, opts: { dryRun: boolean }): Promise<string[]> {
  const k = await read(env);
  if (k.state.exists) {
    return k.state.current ? [] : [`The account's permissions boundary ${BOUNDARY_POLICY_NAME} is not the one this version of ecs-wizard writes: an administrator runs \`ecs-wizard iam bootstrap\` to update it.`];
  }
  if (opts.dryRun) return [];
  const iam = env.aws.get(IAMClient);
  for (const roleName of stackRoleNames(env)) {
    const role = await unlessNotFound(() => iam.send(new GetRoleCommand({ RoleName: roleName })));
    if (!role?.Role) {
      await boundaryForNewRole(env);
      return [];
    }
  }
  return [`The IAM roles of stack ${env.names.stack} carry no permissions boundary: run \`ecs-wizard iam bootstrap\` (an administrator, once per account), then create again.`];
}
