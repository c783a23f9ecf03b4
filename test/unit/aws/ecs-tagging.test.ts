import { describe, expect, it } from 'vitest';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import { isEcsTaggingRefused } from '../../../src/aws/errors.js';
import { sdkError } from '../../support/aws-wire.js';

describe('ECS refusing tags on an account with the old ARN format', () => {
  it('is recognised from the error AWS sends for tags and for propagated tags, and from nothing else', async () => {
    const refused = (message: string) => sdkError(ECSClient, CreateServiceCommand, 'InvalidParameterException', message);
    expect(isEcsTaggingRefused(await refused('The new ARN and resource ID format must be enabled to add tags to the service. Opt in to the new format and try again.'))).toBe(true);
    expect(isEcsTaggingRefused(await refused('The new ARN and resource ID format must be enabled to propagate tags. Opt in to the new format and try again.'))).toBe(true);
    // The same code means much else: a bad parameter is a real error.
    expect(isEcsTaggingRefused(await refused('Unable to assume the service linked role. Please verify that the ECS service linked role exists.'))).toBe(false);
    expect(isEcsTaggingRefused(await sdkError(ECSClient, CreateServiceCommand, 'ClientException', 'The new ARN and resource ID format must be enabled to add tags to the service.'))).toBe(false);
  });
});
