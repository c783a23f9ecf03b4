import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ACMClient, DeleteCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { DescribeAddressesCommand, EC2Client, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import { STACK_TAG } from '../../src/aws/tags.js';
import { StackCounter, leftovers } from '../support/counts.js';
import { startMoto, type Moto } from '../support/moto.js';
import { startStrictAws, type StrictAws } from '../support/strict-aws.js';
import { RULE, RULE_PRODUCTION, productionProfile, strictProfile, type StrictProfile } from '../support/strict-rules.js';
import { tempDir } from '../support/stack.js';
import { cliEnv, runCli, runCliWithAgents } from '../e2e/cli.js';

/**
 * The production shape against AWS's own behaviour, through the strict-AWS proxy: a new Elastic
 * IP and NAT gateway not visible at once, a NAT gateway pending and then deleting for a while
 * (holding its address, subnet and the internet gateway meanwhile), ACM naming its validation
 * record late and refusing to delete a certificate a listener used, and a certificate that never
 * validates; an Elastic IP refused for a while after its NAT gateway is deleted; private hosts whose
 * agents lose their route when the NAT gateway goes, so ECS keeps them registered after they
 * terminate; a validation record another certificate (of another key type) shares. The built CLI
 * runs create and destroy; each rule must fire where it claims to.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
let moto: Moto;
let aws: StrictAws;
let profile: StrictProfile;
let strict: StrictProfile;
let counter: StackCounter;
let home: string;
let neverValidates = false;
const cfg = (endpoint: string) => ({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

beforeAll(async () => {
  moto = await startMoto({ serviceRunning: 2, acmValidationWait: 1 });
  aws = await startStrictAws(moto.endpoint);
  profile = productionProfile(aws, { n: 1, natDeletingDescribes: 3, certificateNeverValidates: () => neverValidates });
  aws.rules(profile.rules);
  // The hosts' ForceDelete terminating them (moto keeps scale-in-protected ones), and DeleteCluster as AWS
  // answers it: refused while container instances are registered — also those of terminated hosts whose
  // agent had lost its route when the NAT gateway went.
  strict = strictProfile(aws, { n: 1 });
  aws.rules(strict.only(RULE.asgForceDelete, RULE.clusterHasInstances));
  counter = new StackCounter(moto.endpoint);
  home = tempDir('production-strict-home-');
}, 120_000);
afterAll(async () => {
  profile?.close();
  strict?.close();
  counter?.destroy();
  await aws?.stop();
  await moto?.stop();
});

const stateDirs = new Map<string, string>();
const stateDir = (stack: string): string => {
  if (!stateDirs.has(stack)) stateDirs.set(stack, tempDir('production-strict-state-'));
  return stateDirs.get(stack)!;
};
const env = () => cliEnv(moto.env({ AWS_ENDPOINT_URL: aws.endpoint }), home);

/** `create` through the proxy; the fake ECS agent (straight to moto) joins the stack's instances meanwhile. */
interface CreateJson {
  ok: boolean;
  steps?: { id: string; outcome: string; error?: string }[];
}

async function create(stack: string, answers: object, waitTimeout = 120, ...extra: string[]): Promise<{ code: number | null; stderr: string; json: CreateJson }> {
  const file = path.join(tempDir('production-strict-answers-'), 'answers.json');
  writeFileSync(file, JSON.stringify({ stack, region: 'us-east-1', ...answers }));
  const { code, stdout, stderr } = await runCliWithAgents(
    ['create', '--answers', file, '--yes', '--state-dir', stateDir(stack), '--output', 'json', '--wait-timeout', String(waitTimeout), ...extra],
    { cwd: ROOT, env: env(), endpoint: moto.endpoint, stack },
  );
  return { code, stderr, json: JSON.parse(stdout) as CreateJson };
}

const destroy = (stack: string) => runCli(['destroy', stack, '--yes', '--state-dir', stateDir(stack), '--output', 'json', '--wait-timeout', '60'], { env: env(), cwd: ROOT });

async function zone(name: string): Promise<string> {
  const route53 = new Route53Client(cfg(moto.endpoint));
  try {
    return (await route53.send(new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${Date.now()}` }))).HostedZone!.Id!.replace('/hostedzone/', '');
  } finally {
    route53.destroy();
  }
}

describe('the production shape on the strict-AWS harness', () => {
  it('NAT gateways and ACM as AWS shows them: create and destroy go through, and nothing is released, detached or deleted before its NAT gateway is gone', async () => {
    const zoneId = await zone('strict.example.com');
    const stack = 'strict-prod';

    // WHEN the stack is created through the rules
    const made = await create(stack, { loadBalancer: { domain: 'app.strict.example.com' }, network: { instanceSubnets: 'private' }, service: { desiredCount: 2 } });

    // THEN it worked past the late Elastic IP, the late NAT gateway, its pending state and ACM's late record
    expect(made.code, made.stderr).toBe(0);
    for (const rule of [RULE_PRODUCTION.eipNotYet, RULE_PRODUCTION.natNotYet, RULE_PRODUCTION.natPending, RULE_PRODUCTION.acmRecordLate, RULE_PRODUCTION.elbCertificateNotFoundYet]) {
      expect(aws.fired(rule), rule).toBeGreaterThan(0);
    }
    expect(aws.fired(RULE_PRODUCTION.elbCertificateNotIssued)).toBe(0);

    // AND the guard rules are live: releasing the NAT gateway's address now is refused, as on AWS
    const ec2 = new EC2Client({ ...cfg(aws.endpoint), maxAttempts: 1 });
    try {
      const [address] = (await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: `tag:${STACK_TAG}`, Values: [stack] }] }))).Addresses ?? [];
      const refused = await ec2.send(new ReleaseAddressCommand({ AllocationId: address!.AllocationId })).catch((e: { name?: string }) => e.name);
      expect(refused).toBe('AuthFailure');
    } finally {
      ec2.destroy();
    }
    const guards = [RULE_PRODUCTION.eipInUse, RULE_PRODUCTION.igwNatMapped, RULE_PRODUCTION.natSubnetInUse];
    const before = Object.fromEntries(guards.map((g) => [g, aws.fired(g)]));
    expect(before[RULE_PRODUCTION.eipInUse]).toBe(1);

    // WHEN it is destroyed
    const gone = await destroy(stack);

    // THEN it waited out the NAT gateway's deletion, and ACM's refusal of a certificate just let go of
    expect(gone.code, gone.stderr).toBe(0);
    expect(aws.fired(RULE_PRODUCTION.natDeleting)).toBeGreaterThan(0);
    expect(aws.fired(RULE_PRODUCTION.acmInUse)).toBeGreaterThan(0);
    // AND released the addresses through AWS's AuthFailure and InvalidNetworkInterfaceID.NotFound after the gateway went
    expect(aws.fired(RULE_PRODUCTION.eipReleaseLag)).toBeGreaterThanOrEqual(2);
    // AND deregistered (force) the hosts ECS kept registered after they terminated, so the cluster went in the plan itself
    expect(aws.fired(RULE.clusterHasInstances)).toBeGreaterThan(0);
    expect(aws.requests.filter((r) => r.operation === 'DeregisterContainerInstance' && r.status === 200).length).toBeGreaterThan(0);
    const steps = (JSON.parse(gone.stdout) as { steps: { id: string; outcome: string }[] }).steps;
    expect(Object.fromEntries(steps.filter((x) => ['cluster', 'elastic-ips'].includes(x.id)).map((x) => [x.id, x.outcome]))).toEqual({ cluster: 'destroyed', 'elastic-ips': 'destroyed' });
    // AND the address, the internet gateway and the NAT gateway's subnet were let go only once it was gone: no guard answered destroy
    expect(Object.fromEntries(guards.map((g) => [g, aws.fired(g)]))).toEqual(before);
    expect(leftovers(await counter.count(stack, { hostedZoneId: zoneId }))).toEqual({});
  }, 240_000);

  it('with --no-wait the HTTPS listener still waits for its certificate: never sent while pending, and ELB not seeing it yet is retried', async () => {
    await zone('nowait.example.net');
    const stack = 'strict-nowait';
    const notIssued = aws.fired(RULE_PRODUCTION.elbCertificateNotIssued);
    // GIVEN ACM issues the certificate only 2 s after its validation record is written (the listener would come sooner)
    neverValidates = true;
    let thisTest = true;
    aws.observe((req) => {
      if (thisTest && req.operation === 'ChangeResourceRecordSets' && neverValidates) setTimeout(() => (neverValidates = false), 2000);
    });
    // WHEN create runs with --no-wait (the certificate-issued step is skipped)
    const made = await create(stack, { loadBalancer: { domain: 'app.nowait.example.net' }, service: { desiredCount: 1 } }, 60, '--no-wait').finally(() => {
      thisTest = false;
      neverValidates = false;
    });
    // THEN the listener went in once ACM had issued the certificate, past ELB's late CertificateNotFound
    expect(made.code, made.stderr).toBe(0);
    expect(made.json.steps?.find((x) => x.id === 'certificate-issued')?.outcome).toBe('skipped');
    expect(made.json.steps?.find((x) => x.id === 'https-listener')?.outcome).toBe('created');
    expect(aws.fired(RULE_PRODUCTION.elbCertificateNotIssued)).toBe(notIssued);
    expect(aws.fired(RULE_PRODUCTION.elbCertificateNotFoundYet)).toBeGreaterThan(0);

    // GIVEN the account also holds an EC certificate for the same name, validated with the same record
    // (ListCertificates shows it only when asked for its key type)
    const acm = new ACMClient(cfg(aws.endpoint));
    const ec = (await acm.send(new RequestCertificateCommand({ DomainName: 'app.nowait.example.net', ValidationMethod: 'DNS', KeyAlgorithm: 'EC_prime256v1' }))).CertificateArn!;
    try {
      // WHEN the stack is destroyed (text output: the progress lines)
      const gone = await runCli(['destroy', stack, '--yes', '--state-dir', stateDir(stack), '--wait-timeout', '60'], { env: env(), cwd: ROOT });
      // THEN the validation record stays for the other certificate's renewals, and destroy said so
      expect(gone.code, gone.stderr).toBe(0);
      expect(aws.fired(RULE_PRODUCTION.acmKeyTypes)).toBeGreaterThan(0);
      expect(gone.stderr).toMatch(/kept: validation record _[0-9a-f]+\.app\.nowait\.example\.net\. — shared with certificate /);
      expect(gone.stderr).toContain(`shared with certificate ${ec} (us-east-1)`);
      const route53 = new Route53Client(cfg(moto.endpoint));
      const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: await zoneIdOf(route53, 'nowait.example.net.') }));
      route53.destroy();
      expect((records.ResourceRecordSets ?? []).filter((r) => r.Type === 'CNAME').map((r) => r.Name)).toEqual([expect.stringMatching(/^_[0-9a-f]+\.app\.nowait\.example\.net\.$/)]);
    } finally {
      acm.destroy();
      const direct = new ACMClient(cfg(moto.endpoint));
      await direct.send(new DeleteCertificateCommand({ CertificateArn: ec })).finally(() => direct.destroy());
    }
  }, 120_000);

  it('a certificate that never validates: create stops at the bounded wait, saying which record ACM looks for and where; destroy removes what was made', async () => {
    await zone('pending.example.org');
    const stack = 'strict-pending';
    neverValidates = true;
    try {
      // WHEN create runs with a short --wait-timeout and ACM never sees the record
      const made = await create(stack, { loadBalancer: { domain: 'www.pending.example.org' }, service: { desiredCount: 2 } }, 8);

      // THEN it fails (1) at the certificate wait, naming the CNAME and the zone and how to go on
      expect(made.code, made.stderr).toBe(1);
      expect(aws.fired(RULE_PRODUCTION.acmNeverValidates)).toBeGreaterThan(0);
      const step = made.json.steps?.find((x) => x.id === 'certificate-issued');
      expect(step).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^Timed out after \d+ s waiting for ACM to validate www\.pending\.example\.org \(PENDING_VALIDATION\)\.$/) });
      expect(made.stderr).toMatch(/Hint: ACM validates by looking the record up in public DNS \(CNAME _[0-9a-f]+\.www\.pending\.example\.org\. → \S+ in zone pending\.example\.org\.\)/);
      expect(made.stderr).toContain('NS records');
      expect(made.json.steps?.find((x) => x.id === 'https-listener')?.outcome).toBe('skipped');

      // WHEN the half-made stack is destroyed
      const gone = await destroy(stack);
      // THEN the requested certificate and its validation record go with it
      expect(gone.code, gone.stderr).toBe(0);
      const counts = await counter.count(stack);
      expect(leftovers(counts)).toEqual({});
      const route53 = new Route53Client(cfg(moto.endpoint));
      const zones = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: await zoneIdOf(route53, 'pending.example.org.') }));
      route53.destroy();
      expect((zones.ResourceRecordSets ?? []).filter((r) => r.Type !== 'SOA' && r.Type !== 'NS')).toEqual([]);
    } finally {
      neverValidates = false;
    }
  }, 120_000);
});

async function zoneIdOf(route53: Route53Client, name: string): Promise<string> {
  const { ListHostedZonesByNameCommand } = await import('@aws-sdk/client-route-53');
  return (await route53.send(new ListHostedZonesByNameCommand({ DNSName: name }))).HostedZones![0]!.Id!.replace('/hostedzone/', '');
}
