import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AwsClients, isReadOperation, type AwsCall } from '../../../src/aws/clients.js';
import { isWizardError } from '../../../src/errors.js';
import { VERSION } from '../../../src/version.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('AWS client factory', () => {
  it('builds one client per class, pointed at the endpoint, with our user agent, and reports each call', async () => {
    // GIVEN a loopback server that answers like EC2
    let headers: IncomingHttpHeaders = {};
    const server = createServer((req, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'req-1' });
      res.end('<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><vpcSet/></DescribeVpcsResponse>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const calls: AwsCall[] = [];
    const aws = new AwsClients({ region: 'eu-west-1', endpointUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, onCall: (c) => calls.push(c) });
    // WHEN a call is made
    const ec2 = aws.get(EC2Client);
    expect(aws.get(EC2Client)).toBe(ec2);
    await ec2.send(new DescribeVpcsCommand({}));
    server.close();
    aws.destroy();
    // THEN it reached the endpoint with our user agent, and the call was reported
    expect(String(headers['user-agent']) + String(headers['x-amz-user-agent'])).toContain(`ecs-wizard/${VERSION}`);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ service: 'EC2', operation: 'DescribeVpcs', requestId: 'req-1' });
    expect(await ec2.config.region()).toBe('eu-west-1');
  });

  it('preflight: no region is an input error that says how to set one', async () => {
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const err = await new AwsClients({}).preflight(EC2Client).catch((e: unknown) => e);
    expect(isWizardError(err, 'CREDENTIALS')).toBe(true);
    expect((err as { hint: string }).hint).toContain('--region');
  });

  it('preflight: no credentials is an input error that says how to set them', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_PROFILE = 'ecs-wizard-test-nonexistent';
    const err = await new AwsClients({ region: 'us-east-1' }).preflight(EC2Client).catch((e: unknown) => e);
    expect(isWizardError(err, 'CREDENTIALS')).toBe(true);
    expect((err as { hint: string }).hint).toMatch(/aws configure|--profile/);
  });

  it('tells reads from mutations by operation name', () => {
    expect(['DescribeVpcs', 'ListServices', 'GetRole'].every(isReadOperation)).toBe(true);
    expect(['CreateVpc', 'DeleteVpc', 'PutScalingPolicy', 'RegisterTaskDefinition'].some(isReadOperation)).toBe(false);
  });
});
