import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  type InstanceProfile,
  type Role,
  type Tag,
} from '@aws-sdk/client-iam';
import { WizardError } from '../../errors.js';
import { sameDocument } from '../../aws/boundary.js';
import { isAccessDenied, isNotFound, unlessNotFound } from '../../aws/errors.js';
import { awsManagedPolicyArn } from '../../aws/partition.js';
import { STACK_TAG } from '../../aws/tags.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import { boundaryForNewRole, existingBoundary } from '../boundary.js';
import { deleteIgnoringNotFound } from '../common.js';
import type { StackEnv } from '../env.js';
import type { InstanceProfileOutputs, RoleOutputs } from '../outputs.js';

/**
 * The instance and execution roles carry only AWS's own managed policies for ECS container
 * instances and for task execution (pull images, write logs); the task role, what the answers
 * list. Every role sits under the permissions boundary, whatever it carries. The ARNs carry the
 * region's partition (aws-cn, aws-us-gov, …).
 */
export const INSTANCE_ROLE_POLICY = 'service-role/AmazonEC2ContainerServiceforEC2Role';
export const EXECUTION_ROLE_POLICY = 'service-role/AmazonECSTaskExecutionRolePolicy';

/** The trust policy letting exactly one AWS service assume a role. */
export function trustPolicy(service: string): { Version: string; Statement: { Effect: string; Principal: { Service: string }; Action: string }[] } {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] };
}

/** IAM returns policy documents URL-encoded (the comparison lives beside the boundary's document). */
export { sameDocument };

/** A role or profile of the stack's name that we did not tag is someone else's: never adopt (and later delete) it. */
function assertOurs(kind: string, name: string, tags: Tag[] | undefined, stack: string): void {
  if (tags?.some((t) => t.Key === STACK_TAG && t.Value === stack)) return;
  throw new WizardError('DRIFT', `The IAM ${kind} "${name}" exists but was not created by ecs-wizard for stack "${stack}".`, {
    hint: `Delete or rename that ${kind}, or choose another stack name.`,
  });
}

function getRole(iam: IAMClient, roleName: string): Promise<Role | undefined> {
  return unlessNotFound(async () => (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role);
}

function getInstanceProfile(iam: IAMClient, name: string): Promise<InstanceProfile | undefined> {
  return unlessNotFound(async () => (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile);
}

export interface RoleSpec {
  id: string;
  title: string;
  roleName: (env: StackEnv) => string;
  service: string;
  /** The stack's service a role of one service (its task role) belongs to: tagged with it when created. */
  forService?: string;
  /** The managed policies the role carries (ARNs in the region's partition). */
  policies: (env: StackEnv) => string[];
  /** Detach what is attached besides `policies` (a role whose policies the answers list, all of them). */
  exact?: boolean;
  /**
   * An inline policy the step owns: put when `document` gives one, deleted when it gives none (and
   * the role carries it). Converged on a real create, like the managed policies.
   */
  inline?: { name: string; document: (env: StackEnv) => object | undefined };
  description: string;
}

/**
 * A service role: found by name; on a real create its boundary, trust policy and managed policies
 * are converged — the boundary first, since the operator policy lets an operator change a role's
 * policies only while it carries the boundary.
 */
export function roleStep(spec: RoleSpec): ResourceStep<StackEnv> {
  return {
    id: spec.id,
    title: spec.title,
    dependsOn: [],
    async find(ctx) {
      const iam = ctx.env.aws.get(IAMClient);
      const roleName = spec.roleName(ctx.env);
      const role = await getRole(iam, roleName);
      if (!role?.Arn) return undefined;
      assertOurs('role', roleName, role.Tags, ctx.env.names.stack);
      if (ctx.repair) {
        // A role made before boundaries (an earlier release) gets it once the account has it; without one nothing is made here (create warned).
        const boundary = await existingBoundary(ctx.env);
        if (boundary && role.PermissionsBoundary?.PermissionsBoundaryArn !== boundary) {
          await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundary }));
        }
        const trust = trustPolicy(spec.service);
        if (!sameDocument(role.AssumeRolePolicyDocument, trust)) await restoreTrust(iam, roleName, trust);
        // A create interrupted between CreateRole and AttachRolePolicy leaves the role without its policies.
        await convergePolicies(iam, roleName, spec.policies(ctx.env), spec.exact ?? false);
        if (spec.inline) await convergeInline(iam, roleName, spec.inline.name, spec.inline.document(ctx.env));
      }
      return { roleName, roleArn: role.Arn } satisfies RoleOutputs;
    },
    async create(ctx) {
      const iam = ctx.env.aws.get(IAMClient);
      const roleName = spec.roleName(ctx.env);
      const r = await iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicy(spec.service)),
          Description: spec.description,
          PermissionsBoundary: await boundaryForNewRole(ctx.env),
          Tags: ctx.env.tags(roleName, spec.forService),
        }),
      );
      const roleArn = r.Role!.Arn!;
      await ctx.note({ roleName, roleArn });
      for (const policyArn of spec.policies(ctx.env)) await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
      const inline = spec.inline?.document(ctx.env);
      if (inline) await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: spec.inline!.name, PolicyDocument: JSON.stringify(inline) }));
      return { roleName, roleArn } satisfies RoleOutputs;
    },
    async destroy(ctx, outputs) {
      await deleteRole(ctx, outputs.roleName as string);
    },
  };
}

/**
 * A trust policy someone changed is put back. The operator policy allows no
 * iam:UpdateAssumeRolePolicy (rewriting whom a role trusts is how a role becomes anyone's), so
 * for an operator this is an administrator's job, said plainly.
 */
async function restoreTrust(iam: IAMClient, roleName: string, trust: object): Promise<void> {
  try {
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(trust) }));
  } catch (err) {
    if (!isAccessDenied(err)) throw err;
    throw new WizardError('DRIFT', `The trust policy of the IAM role ${roleName} was changed, and these credentials may not put it back.`, {
      hint: `An administrator restores it: aws iam update-assume-role-policy --role-name ${roleName} --policy-document '${JSON.stringify(trust)}' — then run create again.`,
      cause: err,
    });
  }
}

/** Attaches the wanted managed policies that are missing; with `exact`, detaches the others. */
async function convergePolicies(iam: IAMClient, roleName: string, wanted: string[], exact: boolean): Promise<void> {
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];
  const has = new Set(attached.map((p) => p.PolicyArn));
  for (const policyArn of wanted) if (!has.has(policyArn)) await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  if (!exact) return;
  for (const p of attached) {
    if (p.PolicyArn && !wanted.includes(p.PolicyArn)) await unlessNotFound(() => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn })));
  }
}

/** The role's own inline policy `name` as `wanted` says: put when missing or different, deleted when not wanted (one read when nothing changes). */
async function convergeInline(iam: IAMClient, roleName: string, name: string, wanted: object | undefined): Promise<void> {
  const current = await unlessNotFound(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name })));
  if (wanted === undefined) {
    if (current) await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name })));
    return;
  }
  if (current && sameDocument(current.PolicyDocument, wanted)) return;
  await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: name, PolicyDocument: JSON.stringify(wanted) }));
}

/** IAM refuses to delete a role with attached or inline policies, or one still in a profile: clear those first. */
async function deleteRole(ctx: StepContext<StackEnv>, roleName: string): Promise<void> {
  const iam = ctx.env.aws.get(IAMClient);
  try {
    // A role an earlier release made carries no boundary, and the operator policy lets an operator
    // detach or delete a role's policies only while it does: it gets the boundary first (when the account has it).
    const role = await getRole(iam, roleName);
    if (!role) return;
    const boundary = role.PermissionsBoundary ? undefined : await existingBoundary(ctx.env);
    if (boundary) await iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundary }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    for (const p of attached.AttachedPolicies ?? []) {
      await unlessNotFound(() => iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn })));
    }
    const inline = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
    for (const policyName of inline.PolicyNames ?? []) {
      await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    }
    const profiles = await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName }));
    for (const p of profiles.InstanceProfiles ?? []) {
      await unlessNotFound(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: roleName })));
    }
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  await deleteIgnoringNotFound(ctx, () => iam.send(new DeleteRoleCommand({ RoleName: roleName })), `the IAM role ${roleName} to be free`);
}

/** The role EC2 container instances run as: lets the ECS agent register and pull images. */
export const instanceRoleStep = roleStep({
  id: 'instance-role',
  title: 'Instance IAM role',
  roleName: (env) => env.names.instanceRole,
  service: 'ec2.amazonaws.com',
  policies: (env) => [awsManagedPolicyArn(env.region, INSTANCE_ROLE_POLICY)],
  description: 'ECS container instances of an ecs-wizard stack',
});

/** The role ECS assumes to start tasks: pull from ECR, write logs. */
export const executionRoleStep = roleStep({
  id: 'execution-role',
  title: 'Task execution IAM role',
  roleName: (env) => env.names.executionRole,
  service: 'ecs-tasks.amazonaws.com',
  policies: (env) => [awsManagedPolicyArn(env.region, EXECUTION_ROLE_POLICY)],
  description: 'ECS task execution for an ecs-wizard stack',
});

/** The instance profile that carries the instance role onto EC2 instances. */
export const instanceProfileStep: ResourceStep<StackEnv> = {
  id: 'instance-profile',
  title: 'Instance profile',
  dependsOn: ['instance-role'],
  async find(ctx) {
    const iam = ctx.env.aws.get(IAMClient);
    const name = ctx.env.names.instanceProfile;
    const profile = await getInstanceProfile(iam, name);
    if (!profile?.Arn) return undefined;
    assertOurs('instance profile', name, profile.Tags, ctx.env.names.stack);
    if (ctx.repair) await ensureRole(iam, profile, ctx.output<RoleOutputs>('instance-role').roleName);
    return { instanceProfileName: name, instanceProfileArn: profile.Arn } satisfies InstanceProfileOutputs;
  },
  async create(ctx) {
    const iam = ctx.env.aws.get(IAMClient);
    const name = ctx.env.names.instanceProfile;
    const roleName = ctx.output<RoleOutputs>('instance-role').roleName;
    const r = await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: ctx.env.tags(name) }));
    const instanceProfileArn = r.InstanceProfile!.Arn!;
    await ctx.note({ instanceProfileName: name, instanceProfileArn });
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
    return { instanceProfileName: name, instanceProfileArn } satisfies InstanceProfileOutputs;
  },
  async destroy(ctx, outputs) {
    const iam = ctx.env.aws.get(IAMClient);
    const name = outputs.instanceProfileName as string;
    const profile = await getInstanceProfile(iam, name);
    if (!profile) return;
    for (const role of profile.Roles ?? []) {
      await unlessNotFound(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role.RoleName })));
    }
    await deleteIgnoringNotFound(ctx, () => iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })), `the instance profile ${name} to be free`);
  },
};

/** A profile holds at most one role: make it ours (an interrupted create may have left it empty). */
async function ensureRole(iam: IAMClient, profile: InstanceProfile, roleName: string): Promise<void> {
  const roles = profile.Roles ?? [];
  if (roles.length === 1 && roles[0]!.RoleName === roleName) return;
  const name = profile.InstanceProfileName!;
  for (const other of roles) {
    await unlessNotFound(() => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: other.RoleName })));
  }
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: roleName }));
}
