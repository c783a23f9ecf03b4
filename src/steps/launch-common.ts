import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { WizardError } from '../errors.js';
import { isNotFound } from '../aws/errors.js';
import type { StepContext } from '../engine/types.js';
import type { StackEnv } from './env.js';

/** What a launch template and a launch configuration share: the content of an ECS host. */

/** AWS's public pointer to the current ECS-optimized Amazon Linux 2023 AMI of the region. */
export const ECS_AMI_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';

/**
 * IMDSv2 only; hop limit 2 because tasks in bridge mode sit one network hop behind the host and
 * still need the instance metadata (credentials of the instance role).
 */
export const METADATA_OPTIONS = { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' } as const;

/** The ECS agent joins the cluster named in /etc/ecs/ecs.config; without it, it joins "default". */
export function ecsUserData(clusterName: string): string {
  return Buffer.from(`#!/bin/bash\necho ECS_CLUSTER=${clusterName} >> /etc/ecs/ecs.config\n`).toString('base64');
}

/**
 * The parameter's Value is the AMI id itself for `/image_id` parameters, but a JSON object
 * (`{"image_id": …}`) for the parent `/recommended` parameter (and moto returns AL2's that way).
 */
export function amiFromParameterValue(value: string): string | undefined {
  const v = value.trim();
  if (v.startsWith('{')) {
    try {
      const parsed = JSON.parse(v) as { image_id?: unknown };
      return typeof parsed.image_id === 'string' ? parsed.image_id : undefined;
    } catch {
      return undefined;
    }
  }
  return v.startsWith('ami-') ? v : undefined;
}

/** The AMI the answers name, else the region's recommended ECS-optimized AMI. */
export async function resolveAmi(ctx: StepContext<StackEnv>): Promise<string> {
  const given = ctx.env.answers.instances.amiId;
  if (given) return given;
  let value: string | undefined;
  try {
    const r = await ctx.env.aws.get(SSMClient).send(new GetParameterCommand({ Name: ECS_AMI_PARAMETER }));
    value = r.Parameter?.Value;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const ami = value === undefined ? undefined : amiFromParameterValue(value);
  if (!ami) {
    throw new WizardError('AWS', `Could not find the ECS-optimized AMI for ${ctx.env.region} (SSM parameter ${ECS_AMI_PARAMETER}).`, {
      hint: 'Set instances.amiId to an ECS-optimized AMI id in the answers.',
    });
  }
  return ami;
}

/** Instance type and (when the user chose one) AMI cannot change in place: say so instead of diverging. */
export function checkLaunchDrift(ctx: StepContext<StackEnv>, what: string, found: { instanceType?: string; amiId?: string }): void {
  const { instanceType, amiId } = ctx.env.answers.instances;
  const stack = ctx.env.names.stack;
  const changes: string[] = [];
  if (found.instanceType && found.instanceType !== instanceType) changes.push(`instance type ${found.instanceType} (answers: ${instanceType})`);
  // Without an explicit amiId the recommended AMI moves on every few weeks: that is no drift.
  if (amiId && found.amiId && found.amiId !== amiId) changes.push(`AMI ${found.amiId} (answers: ${amiId})`);
  if (changes.length === 0) return;
  throw new WizardError('DRIFT', `${what} of stack "${stack}" has ${changes.join(' and ')}. ecs-wizard does not roll instances to a new launch version.`, {
    hint: `Keep the answers as they were, or run \`ecs-wizard destroy ${stack}\` and create the stack again.`,
  });
}
