import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsClients } from '../../aws/clients.js';
import { awsErrorCode, isAccessDenied, isNotFound, unlessNotFound } from '../../aws/errors.js';
import { arnFor } from '../../aws/partition.js';
import { WizardError, inputError, type Problem } from '../../errors.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { sameDocument } from '../stack/iam.js';
import type { RoleOutputs, SecretsPolicyOutputs } from '../outputs.js';
import { idFor, serviceNames, type ServiceSpec } from '../services.js';
import { oneOf } from '../../words.js';

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

const wantedArns = (svc: ServiceSpec): string[] => [...new Set(Object.values(svc.secrets))].sort();

/** The IAM resources for a service's secrets (the account id is looked up only for SSM parameter names). */
async function wantedResources(ctx: StepContext<StackEnv>, svc: ServiceSpec): Promise<string[]> {
  const values = wantedArns(svc);
  const accountId = values.some((v) => !v.startsWith('arn:')) ? await ctx.env.accountId() : '';
  return [...new Set(values.map((v) => secretResource(v, { region: ctx.env.region, accountId })))].sort();
}

/**
 * A service's inline secrets policy on the (shared) execution role, converged to its answers:
 * present with exactly the named ARNs, or absent when there are none (always in the plan, so
 * removing the last secret removes the grant too).
 */
export function secretsPolicyStep(svc: ServiceSpec): ResourceStep<StackEnv> {
  const policyNameOf = (ctx: StepContext<StackEnv>): string => serviceNames(ctx.env.names.stack, svc).secretsPolicy;
  return {
    id: idFor(svc, 'secrets-policy'),
    title: svc.primary ? 'Secrets access policy' : `Secrets access policy (${svc.name})`,
    dependsOn: ['execution-role'],
    // Found means "as the answers want it", which with no secrets is no policy at all: not "exists".
    words: { exists: 'up to date' },
    async find(ctx) {
      const iam = ctx.env.aws.get(IAMClient);
      const roleName = ctx.output<RoleOutputs>('execution-role').roleName;
      const policyName = policyNameOf(ctx);
      const arns = wantedArns(svc);
      const current = await unlessNotFound(() => iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      const outputs = { roleName, policyName, secretArns: arns } satisfies SecretsPolicyOutputs;
      if (arns.length === 0) {
        if (!current) return outputs;
        if (!ctx.repair) return undefined;
        await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
        return outputs;
      }
      return current && sameDocument(current.PolicyDocument, secretsPolicy(await wantedResources(ctx, svc))) ? outputs : undefined;
    },
    async create(ctx) {
      const iam = ctx.env.aws.get(IAMClient);
      const roleName = ctx.output<RoleOutputs>('execution-role').roleName;
      const policyName = policyNameOf(ctx);
      const arns = wantedArns(svc);
      // PutRolePolicy replaces a policy of the same name: one call converges any earlier version.
      if (arns.length === 0) await unlessNotFound(() => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
      else await iam.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: JSON.stringify(secretsPolicy(await wantedResources(ctx, svc))) }));
      return { roleName, policyName, secretArns: arns } satisfies SecretsPolicyOutputs;
    },
    async destroy(ctx, outputs) {
      // Nothing was granted: no call (the role's own deletion removes any inline policy anyway).
      if (Array.isArray(outputs.secretArns) && outputs.secretArns.length === 0) return;
      const roleName = (outputs.roleName as string | undefined) ?? ctx.env.names.executionRole;
      const policyName = (outputs.policyName as string | undefined) ?? policyNameOf(ctx);
      await unlessNotFound(() => ctx.env.aws.get(IAMClient).send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
    },
  };
}

/** Where ECS looks for a `valueFrom`: an SSM parameter (by name, in a region and account) or a Secrets Manager secret. */
export type SecretPlace =
  | { kind: 'ssm'; region: string; account?: string; parameter: string; byArn: boolean }
  | { kind: 'secretsmanager'; region: string; account: string; secretId: string };

/** Reads a `valueFrom` (see the schema: an SSM or Secrets Manager ARN, or an SSM name in the stack's region). */
export function secretPlace(valueFrom: string, stackRegion: string): SecretPlace {
  if (!valueFrom.startsWith('arn:')) return { kind: 'ssm', region: stackRegion, parameter: valueFrom, byArn: false };
  const [, , service, region = '', account = '', ...resource] = valueFrom.split(':');
  // The secret itself: its ARN without the JSON key, stage and version ECS may read from it.
  if (service === 'secretsmanager') return { kind: 'secretsmanager', region, account, secretId: valueFrom.split(':').slice(0, 7).join(':') };
  return { kind: 'ssm', region, account, parameter: resource.join(':').replace(/^parameter\//, ''), byArn: true };
}

/** SSM names a parameter with or without its leading slash (an ARN never shows it): compared without. */
const bare = (name: string): string => name.replace(/^\/+/, '');

/** DescribeParameters takes at most 50 values in a filter and answers at most 50 parameters a page. */
const FILTER_VALUES = 50;

/** The bare names of the parameters among `names` that exist in the region `ssm` calls (their values are never read). */
async function existingParameters(ssm: SSMClient, names: string[]): Promise<Set<string>> {
  const values = [...new Set(names.flatMap((n) => [bare(n), `/${bare(n)}`]))];
  const found = new Set<string>();
  for (let i = 0; i < values.length; i += FILTER_VALUES) {
    let NextToken: string | undefined;
    do {
      const r = await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: values.slice(i, i + FILTER_VALUES) }], MaxResults: 50, NextToken }),
      );
      for (const p of r.Parameters ?? []) if (p.Name) found.add(bare(p.Name));
      NextToken = r.NextToken;
    } while (NextToken);
  }
  return found;
}

/** The parameter name `create` suggests for a secret: `/<stack>/<name in lower case, _ as ->`. */
const suggestedName = (stack: string, secret: string): string => `/${stack}/${secret.toLowerCase().replace(/_/g, '-')}`;

/**
 * Before anything is made (create) or deployed: every SSM parameter `service.secrets` names must
 * exist, or ECS could never start the tasks — and a value pasted where a name belongs would be
 * written into the task definition for anyone to read. Looked up with DescribeParameters (batched
 * by name, in the parameter's own region), never read: no value passes through ecs-wizard. A
 * missing one is bad input (exit 2) naming `service.secrets.<NAME>` and the region — never the
 * text given, which may be the secret itself. What cannot be checked is a warning, not "missing":
 * a parameter of another account (DescribeParameters lists only this account's), a region that
 * refuses the call (AccessDenied). A Secrets Manager secret is looked up with DescribeSecret (its
 * metadata only; another account's answers only where its resource policy lets this caller).
 */
export async function checkSecretsExist(
  aws: AwsClients,
  stack: string,
  secrets: Record<string, string> | { at: string; secrets: Record<string, string> }[],
  stackRegion: string,
  opts: { hint?: string } = {},
): Promise<{ warnings: string[] }> {
  // One service's secrets (at `service`), or every service's, each at its own answers path.
  const groups = Array.isArray(secrets) ? secrets : [{ at: 'service', secrets }];
  const all = groups.flatMap((g) => Object.entries(g.secrets).map(([name, valueFrom]) => ({ path: `${g.at}.secrets.${name}`, name, valueFrom })));
  const warnings: string[] = [];
  const byRegion = new Map<string, { path: string; name: string; place: Extract<SecretPlace, { kind: 'ssm' }> }[]>();
  const managed: { path: string; place: Extract<SecretPlace, { kind: 'secretsmanager' }> }[] = [];
  let account: Promise<string> | undefined;
  for (const { path, name, valueFrom } of all.sort((a, b) => a.path.localeCompare(b.path))) {
    const place = secretPlace(valueFrom, stackRegion);
    if (place.kind === 'secretsmanager') {
      managed.push({ path, place });
      continue;
    }
    if (place.account !== undefined) {
      account ??= aws.get(STSClient).send(new GetCallerIdentityCommand({})).then((r) => r.Account ?? '');
      if ((await account) !== place.account) {
        warnings.push(`${path} could not be checked: it is a parameter of account ${place.account}, and DescribeParameters lists only this account's. ECS can read it only if that account shares it.`);
        continue;
      }
    }
    byRegion.set(place.region, [...(byRegion.get(place.region) ?? []), { path, name, place }]);
  }
  const problems: Problem[] = [];
  for (const [region, wanted] of byRegion) {
    const clients = region === stackRegion ? aws : new AwsClients({ ...aws.target, region });
    try {
      const found = await existingParameters(
        clients.get(SSMClient),
        wanted.map((w) => w.place.parameter),
      );
      for (const { path, name, place } of wanted) {
        if (found.has(bare(place.parameter))) continue;
        const create = `aws ssm put-parameter --region ${region} --name ${place.byArn ? '<the name in the ARN>' : suggestedName(stack, name)} --type SecureString --value '…'`;
        problems.push({
          path,
          message: place.byArn
            ? `names an SSM parameter that does not exist in ${region}: create it (${create}), or fix the ARN`
            : `names no SSM parameter in ${region} — a secret's value where its parameter's name belongs? (the text is not shown). Store the value with \`${create}\` and give that name (or the parameter's ARN) here`,
        });
      }
    } catch (err) {
      // Not "missing": this caller may not look (a region or account whose policy refuses it).
      if (!isAccessDenied(err)) {
        // The code only, no cause: an answer's message may quote the names asked for, and a name may be a secret.
        const where = [...new Set(wanted.map((w) => w.path.slice(0, w.path.lastIndexOf('.'))))];
        throw new WizardError('AWS', `Could not check that the parameters ${oneOf(where)} ${where.length === 1 ? 'names' : 'name'} exist in ${region}: ssm:DescribeParameters answered ${awsErrorCode(err) ?? 'an error'}.`);
      }
      for (const { path } of wanted) warnings.push(`${path} could not be checked in ${region}: ssm:DescribeParameters was refused (${awsErrorCode(err)}). Make sure the parameter exists, or ECS cannot start the tasks.`);
    } finally {
      if (clients !== aws) clients.destroy();
    }
  }
  for (const { path, place } of managed) {
    const clients = place.region === stackRegion ? aws : new AwsClients({ ...aws.target, region: place.region });
    try {
      await clients.get(SecretsManagerClient).send(new DescribeSecretCommand({ SecretId: place.secretId }));
    } catch (err) {
      if (isNotFound(err)) {
        problems.push({
          path,
          message: `names a Secrets Manager secret that does not exist in ${place.region}: create it (aws secretsmanager create-secret --region ${place.region} --name <the name in the ARN> --secret-string '…'), or fix the ARN`,
        });
      } else if (isAccessDenied(err)) {
        warnings.push(`${path} could not be checked in ${place.region}: secretsmanager:DescribeSecret was refused (${awsErrorCode(err)}). Make sure the secret exists and the task execution role may read it, or ECS cannot start the tasks.`);
      } else {
        // The code only, no cause: an answer's message may quote the secret's name.
        throw new WizardError('AWS', `Could not check that the secret ${path} exists in ${place.region}: secretsmanager:DescribeSecret answered ${awsErrorCode(err) ?? 'an error'}.`);
      }
    } finally {
      if (clients !== aws) clients.destroy();
    }
  }
  if (problems.length) {
    const err = inputError(problems);
    throw opts.hint ? new WizardError(err.code, err.message, { problems, hint: opts.hint }) : err;
  }
  return { warnings };
}
