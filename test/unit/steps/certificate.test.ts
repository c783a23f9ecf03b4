import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ACMClient,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
  type CertificateSummary,
} from '@aws-sdk/client-acm';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { STACK_TAG } from '../../../src/aws/tags.js';
import { certificateStep } from '../../../src/steps/stack/certificate.js';
import { certificateValidationStep } from '../../../src/steps/stack/certificate-validation.js';
import { testStack } from '../../support/stack.js';
import { stepContext } from '../../support/step-context.js';

/**
 * The requested certificate and its validation record against ACM as it behaves: the same
 * idempotency token answers the same certificate for an hour (also a FAILED one), and one
 * validation CNAME per name serves every certificate of the account, in every region and of every
 * key type — which ListCertificates shows only when asked for (by default RSA_1024 and RSA_2048).
 */
const acm = mockClient(ACMClient);
const route53 = mockClient(Route53Client);
afterEach(() => [acm, route53].forEach((m) => m.reset()));
afterAll(() => [acm, route53].forEach((m) => m.restore()));

const arn = (region: string, id: string): string => `arn:aws:acm:${region}:123456789012:certificate/${id}`;

describe('certificate: a rerun after ACM gave up on the certificate', () => {
  it('a recorded token that brings back a FAILED certificate is replaced by a new one, and the run says so', async () => {
    // GIVEN ACM, which answers a token it has seen within the hour with the same certificate — FAILED since
    const tokens = new Map<string, string>();
    acm.on(RequestCertificateCommand).callsFake(async ({ IdempotencyToken }: { IdempotencyToken: string }) => {
      if (!tokens.has(IdempotencyToken)) tokens.set(IdempotencyToken, arn('us-east-1', `new-${tokens.size}`));
      return { CertificateArn: tokens.get(IdempotencyToken) };
    });
    tokens.set('a'.repeat(32), arn('us-east-1', 'failed'));
    acm.on(DescribeCertificateCommand).callsFake(async ({ CertificateArn }: { CertificateArn: string }) => ({
      Certificate: { CertificateArn, Status: CertificateArn.endsWith('/failed') ? 'FAILED' : 'PENDING_VALIDATION', FailureReason: CertificateArn.endsWith('/failed') ? 'CAA_ERROR' : undefined },
    }));
    const t = testStack({ stack: 'cert', loadBalancer: { domain: 'app.example.com' } });
    const { ctx, progress, notes } = stepContext(t.env, { recorded: { certificateArn: arn('us-east-1', 'failed'), idempotencyToken: 'a'.repeat(32) } });

    // WHEN the certificate step creates again
    const out = await certificateStep.create(ctx);

    // THEN a second request with a new token gave a new certificate, recorded with its token before the request
    const requests = acm.commandCalls(RequestCertificateCommand).map((c) => c.args[0].input.IdempotencyToken);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toBe('a'.repeat(32));
    expect(requests[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(out).toMatchObject({ certificateArn: arn('us-east-1', 'new-1'), idempotencyToken: requests[1] });
    expect(notes.map((n) => n.idempotencyToken).filter(Boolean)).toContain(requests[1]);
    expect(progress).toEqual([`certificate ${arn('us-east-1', 'failed')} is FAILED (CAA_ERROR): requesting a new one with a new idempotency token`]);
  });

  it('a recorded token whose certificate is still alive (a lost answer, a resume) gives that certificate, asked once', async () => {
    acm.on(RequestCertificateCommand).resolves({ CertificateArn: arn('us-east-1', 'pending') });
    acm.on(DescribeCertificateCommand).resolves({ Certificate: { Status: 'PENDING_VALIDATION' } });
    const t = testStack({ stack: 'cert', loadBalancer: { domain: 'app.example.com' } });
    const { ctx, progress } = stepContext(t.env, { recorded: { idempotencyToken: 'b'.repeat(32) } });
    expect(await certificateStep.create(ctx)).toMatchObject({ certificateArn: arn('us-east-1', 'pending'), idempotencyToken: 'b'.repeat(32) });
    expect(acm.commandCalls(RequestCertificateCommand)).toHaveLength(1);
    expect(progress).toEqual([]);
  });
});

describe('certificate validation record on destroy: shared by the account across regions and key types', () => {
  const RECORD = { name: '_a1.app.example.com.', type: 'CNAME', ttl: 300, values: ['_b1.acm-validations.aws.'] };
  const ours = arn('eu-west-1', 'ours');

  /**
   * The stack in eu-west-1 with its record in zone Z1; `others` are the account's other
   * certificates per region, each listed only when its key type is asked for.
   */
  function script(others: Record<string, (CertificateSummary & { stackTag?: boolean })[]>): { regions: string[] } {
    const regions: string[] = [];
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [{ Name: RECORD.name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: RECORD.values[0] }] }] });
    route53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: 'c1', Status: 'PENDING', SubmittedAt: new Date() } });
    acm.on(ListCertificatesCommand).callsFake(async (input: { Includes?: { keyTypes?: string[] } }, getClient: () => ACMClient) => {
      const region = await getClient().config.region();
      regions.push(region);
      const asked = input.Includes?.keyTypes ?? ['RSA_1024', 'RSA_2048'];
      const mine = region === 'eu-west-1' ? [{ CertificateArn: ours, DomainName: 'app.example.com', KeyAlgorithm: 'RSA_2048' }] : [];
      return { CertificateSummaryList: [...mine, ...(others[region] ?? [])].filter((c) => asked.includes(c.KeyAlgorithm ?? 'RSA_2048')) };
    });
    const tagged = new Set(Object.values(others).flat().filter((c) => c.stackTag).map((c) => c.CertificateArn));
    acm.on(ListTagsForCertificateCommand).callsFake(async ({ CertificateArn }: { CertificateArn: string }) => ({
      Tags: CertificateArn === ours || tagged.has(CertificateArn) ? [{ Key: STACK_TAG, Value: 'shop' }] : [{ Key: 'team', Value: 'web' }],
    }));
    return { regions };
  }

  async function destroy() {
    const t = testStack({ stack: 'shop', region: 'eu-west-1', loadBalancer: { domain: 'app.example.com' } });
    const { ctx, progress } = stepContext(t.env, { outputs: { certificate: { certificateArn: ours, domainName: 'app.example.com', requested: true } } });
    await certificateValidationStep.destroy!(ctx, { hostedZoneId: 'Z1', records: [RECORD] });
    t.aws.destroy();
    return { progress, deletes: route53.commandCalls(ChangeResourceRecordSetsCommand).length };
  }

  it("is kept when an EC certificate of us-east-1 (which ListCertificates hides by default) is validated with it, and destroy says so", async () => {
    const ec = arn('us-east-1', 'ec');
    const { regions } = script({ 'us-east-1': [{ CertificateArn: ec, DomainName: 'app.example.com', KeyAlgorithm: 'EC_prime256v1' }] });
    const r = await destroy();
    expect(r.deletes).toBe(0);
    expect(r.progress).toEqual([`kept: validation record _a1.app.example.com. — shared with certificate ${ec} (us-east-1), which ACM renews with it`]);
    expect(new Set(regions)).toEqual(new Set(['eu-west-1', 'us-east-1']));
  });

  it('is kept for a wildcard certificate of the name (validated with the same record) in the stack\'s region', async () => {
    const wildcard = arn('eu-west-1', 'wild');
    script({ 'eu-west-1': [{ CertificateArn: wildcard, DomainName: 'example.com', SubjectAlternativeNameSummaries: ['*.app.example.com'], KeyAlgorithm: 'RSA_4096' }] });
    const r = await destroy();
    expect(r.deletes).toBe(0);
    expect(r.progress[0]).toContain(`shared with certificate ${wildcard} (eu-west-1)`);
  });

  it("is deleted when only the stack's own certificates use it (an earlier one of the stack carries its tag), or certificates of other names", async () => {
    script({
      'eu-west-1': [{ CertificateArn: arn('eu-west-1', 'earlier'), DomainName: 'app.example.com', KeyAlgorithm: 'RSA_2048', stackTag: true }],
      'us-east-1': [{ CertificateArn: arn('us-east-1', 'api'), DomainName: 'api.example.com', KeyAlgorithm: 'EC_secp384r1' }],
    });
    const r = await destroy();
    expect(r.deletes).toBe(1);
    expect(r.progress).toEqual([]);
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch?.Changes).toEqual([
      { Action: 'DELETE', ResourceRecordSet: { Name: RECORD.name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: RECORD.values[0] }] } },
    ]);
  });
});
