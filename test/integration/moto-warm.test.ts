import { describe, expect, it } from 'vitest';
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { WARM_MOTO_ENV, startMoto, type Moto } from '../support/moto.js';

/**
 * The suite's moto servers are forked from one warm moto process (moto-warm.py): each must still be
 * what a `moto_server` of its own would be — fresh state, its own settings, gone when stopped.
 */
describe('moto servers forked from the warm process', () => {
  const config = (m: Moto) => ({ region: 'us-east-1', endpoint: m.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

  it('are forked (the global setup started the warm process), each with its own state and settings, and stop', async () => {
    // GIVEN the warm process of this run
    expect(process.env[WARM_MOTO_ENV]).toMatch(/^\d+$/);
    // WHEN two servers start, one with running ECS services
    const [a, b] = await Promise.all([startMoto({ serviceRunning: 2 }), startMoto()]);
    const ec2a = new EC2Client(config(a));
    const ec2b = new EC2Client(config(b));
    try {
      // THEN a VPC made in one is not in the other (and each starts with only moto's default VPC)
      const count = async (c: EC2Client) => ((await c.send(new DescribeVpcsCommand({}))).Vpcs ?? []).length;
      expect([await count(ec2a), await count(ec2b)]).toEqual([1, 1]);
      await ec2a.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
      expect([await count(ec2a), await count(ec2b)]).toEqual([2, 1]);
      // AND each answers with its own MOTO_ECS_SERVICE_RUNNING
      const running = async (m: Moto) => {
        const ecs = new ECSClient(config(m));
        try {
          await ecs.send(new CreateClusterCommand({ clusterName: 'warm' }));
          await ecs.send(new RegisterTaskDefinitionCommand({ family: 'warm', containerDefinitions: [{ name: 'app', image: 'nginx', memory: 128 }] }));
          await ecs.send(new CreateServiceCommand({ cluster: 'warm', serviceName: 'warm', taskDefinition: 'warm', desiredCount: 2 }));
          return (await ecs.send(new DescribeServicesCommand({ cluster: 'warm', services: ['warm'] }))).services?.[0]?.runningCount;
        } finally {
          ecs.destroy();
        }
      };
      expect([await running(a), await running(b)]).toEqual([2, 0]);
      // WHEN one is stopped THEN it no longer answers, and the other still does
      await a.stop();
      await expect(fetch(`${a.endpoint}/moto-api/`)).rejects.toThrow();
      expect(await count(ec2b)).toBe(1);
    } finally {
      ec2a.destroy();
      ec2b.destroy();
      await a.stop();
      await b.stop();
    }
  });
});
