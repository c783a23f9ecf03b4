import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { unlessNotFound } from '../aws/errors.js';
import { arnFor } from '../aws/partition.js';
import type { ResourceStep, StepContext } from '../engine/types.js';
import type { StackEnv } from './env.js';
import { sameDocument } from './iam.js';
import type { RoleOutputs, SecretsPolicyOutputs } from './outputs.js';

/** The inline policy's name on the execution role. */
export const secretsPolicyName = (stack: string): string => `${stack}-secrets`;

/** A secret name whose last six characters after a hyphen are the random suffix Secrets Manager appends. */
const FULL_SECRET_NAME = /-[A-Za-z0-9]{6}$/;

/**
 * The IAM resource that lets ECS read a `valueFrom`. A Secrets Manager ARN may carry a JSON key,
 * stage and version (`…:secret:db-AbCdEf:password::`), which IAM does not match: the resource is
 * the secret's own ARN, with `-??????` standing for the random suffix when only a partial ARN (the
 * name without the suffix) was given. An SSM parameter name in the task's region becomes its ARN.
 */
export function secretResource(valueFrom: string, where: { region: string; accountId: string }): string {
  if (!valueFrom.startsWith('arn:')) return arnFor(where.region, 'ssm', where.accountId, `parameter/${valueFrom.replace(/^\//, '')}`);
  const parts = valueFrom.split(':');
  if (parts[2] !== 'secretsmanager') return valueFrom;
  const name = parts[6] ?? '';
  return [...parts.slice(0, 6), FULL_SECRET_NAME.test(name) ? name : `${name}-??????`].join(':');
}

/**
 * Read access to exactly the secrets the answers name, and nothing else: ECS fetches them with the
 * execution role when a task starts, so their values never pass through ecs-wizard. Takes IAM
 * resources (see secretResource).
 */
export function secretsPolicy(arns: string[]): object {
  const ssm = arns.filter((a) => a.split(':')[2] === 'ssm');
  const sm = arns.filter((a) => a.split(':')[2] === 'secretsmanager');
  return {
    Version: '2012-10-17',
    Statement: [
      ...(ssm.length ? [{ Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm }] : []),
      ...(sm.length ? [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm }] : []),
    ],
  };
}

const wantedArns = (ctx: StepContext<StackEnv>): string[] => [...new Set(Object.values(ctx.env.answers.service.secrets))].sort();

/** The IAM resources for the answers' secrets (the account id is looked up only for SSM parameter names). */
async function wantedResources(ctx: StepContext<StackEnv>): Promise<string[]> {
  const values = wantedArns(ctx);
  const accountId = values.some((v) => !v.startsWith('arn:')) ? await ctx.env.accountId() : '';
  return [...new Set(values.map((v) => secretResource(v, { region: ctx.env.region, accountId })))].sort();
}

/**
 * The execution role's inline secrets policy, converged to the answers: present with exactly the
 * named ARNs, or absent when there are none (always in the plan, so removing the last secret
 * removes the grant too).
 */
export const secretsPolicyStep: ResourceStep<StackEnv> = {
  id: 'secrets-policy',
  title: 'Secrets access policy',
  dependsOn: ['execution-role'],
  // Found means "as the answers want it", which with no secrets is no policy at all: not "exists".
  words: { exists: 'up to date' },
  async find(ctx) {
    const iam = ctx.env.aws.get(IAMClient);
    const roleName = ctx.output<RoleOutputs>('execution-role').roleName;
    const policyName = secretsPolicyName(ctx.env.names.stack);
    const arns = wantedArns(ctx);
    const current = await unlessNotFound(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    const outputs = { roleName, policyName, secretArns: arns } satisfies SecretsPolicyOutputs;
    if (arns.length === 0) {
      if (!current) return outputs;
      if (!ctx.repair) return undefined;
      await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      return outputs;
    }
    return current && sameDocument(current.PolicyDocument, secretsPolicy(await wantedResources(ctx))) ? outputs : undefined;
  },
  async create(ctx) {
    const iam = ctx.env.aws.get(IAMClient);
    const roleName = ctx.output<RoleOutputs>('execution-role').roleName;
    const policyName = secretsPolicyName(ctx.env.names.stack);
    const arns = wantedArns(ctx);
    // PutRolePolicy replaces a policy of the same name: one call converges any earlier version.
    if (arns.length === 0) await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    else await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: JSON.stringify(secretsPolicy(await wantedResources(ctx))) }));
    return { roleName, policyName, secretArns: arns } satisfies SecretsPolicyOutputs;
  },
  async destroy(ctx, outputs) {
    // Nothing was granted: no call (the role's own deletion removes any inline policy anyway).
    if (Array.isArray(outputs.secretArns) && outputs.secretArns.length === 0) return;
    const roleName = (outputs.roleName as string | undefined) ?? ctx.env.names.executionRole;
    const policyName = (outputs.policyName as string | undefined) ?? secretsPolicyName(ctx.env.names.stack);
    await unlessNotFound(() => ctx.env.aws.get(IAMClient).send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
  },
};
