import { CreateListenerCommand, DeleteListenerCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand, type Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import { isCertificateNotYetUsable, unlessNotFound } from '../../aws/errors.js';
import { retryWhile } from '../../aws/poll.js';
import { waitUntilIssued } from './certificate.js';
import type { ResourceStep, StepContext } from '../../engine/types.js';
import type { StackEnv } from '../env.js';
import { describeListeners, forwardTo, forwardsTo } from './listener.js';
import type { CertificateOutputs, HttpsListenerOutputs, LoadBalancerOutputs, TargetGroupOutputs } from '../outputs.js';

/** TLS 1.3 and 1.2 only, forward secrecy: AWS's recommended policy for ALB HTTPS listeners. */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

function wanted(ctx: StepContext<StackEnv>, defaultTargetGroup: string) {
  return {
    port: ctx.env.answers.loadBalancer.listenerPort,
    certificateArn: ctx.output<CertificateOutputs>('certificate').certificateArn,
    targetGroupArn: ctx.output<TargetGroupOutputs>(defaultTargetGroup).targetGroupArn,
  };
}

/**
 * Sends a call that puts the certificate on the listener. A certificate the stack requested is
 * first waited for until ISSUED (with --no-wait the certificate-issued step did not run), and ELB
 * not seeing it yet is retried, bounded; a given certificate was checked before the run.
 */
async function usingCertificate<T>(ctx: StepContext<StackEnv>, call: () => Promise<T>): Promise<T> {
  const cert = ctx.output<CertificateOutputs>('certificate');
  if (!cert.requested) return call();
  await waitUntilIssued(ctx, cert.certificateArn);
  return retryWhile(call, isCertificateNotYetUsable, { timing: ctx.env.timing, signal: ctx.signal, progress: ctx.progress, waitingFor: `waiting for the load balancer to accept certificate ${cert.certificateArn}` });
}

function differs(l: Listener, w: ReturnType<typeof wanted>): boolean {
  return l.Port !== w.port || l.Protocol !== 'HTTPS' || l.SslPolicy !== TLS_POLICY || l.Certificates?.[0]?.CertificateArn !== w.certificateArn || !forwardsTo(l, w.targetGroupArn);
}

/**
 * The ALB's HTTPS listener (loadBalancer.listenerPort, 443 by default): the certificate — given,
 * or requested and issued — with a current TLS policy, its default action forwarding to the
 * default service's target group (routed services have rules of their own on it). It waits for
 * the certificate to be issued: ELB refuses one still pending validation.
 */
export function httpsListenerStep(defaultTargetGroup: string): ResourceStep<StackEnv> {
  return {
    id: 'https-listener',
    title: 'HTTPS listener',
    dependsOn: ['load-balancer', defaultTargetGroup, 'certificate', 'certificate-issued'],
    async find(ctx) {
      const elb = ctx.env.aws.get(ElasticLoadBalancingV2Client);
      const { loadBalancerArn } = ctx.output<LoadBalancerOutputs>('load-balancer');
      const recordedArn = ctx.recorded?.listenerArn as string | undefined;
      let listener = recordedArn ? (await describeListeners(elb, { arn: recordedArn })).find((l) => l.LoadBalancerArn === loadBalancerArn) : undefined;
      listener ??= (await describeListeners(elb, { loadBalancerArn })).find((l) => l.Port === ctx.env.answers.loadBalancer.listenerPort);
      if (!listener?.ListenerArn) return undefined;
      if (ctx.repair) {
        const w = wanted(ctx, defaultTargetGroup);
        // Port, protocol, certificate, policy and action all change in place: converge, but only when they differ.
        if (differs(listener, w)) {
          await usingCertificate(ctx, () => elb.send(
            new ModifyListenerCommand({
              ListenerArn: listener.ListenerArn,
              Port: w.port,
              Protocol: 'HTTPS',
              SslPolicy: TLS_POLICY,
              Certificates: [{ CertificateArn: w.certificateArn }],
              DefaultActions: forwardTo(w.targetGroupArn),
            }),
          ));
        }
      }
      return { listenerArn: listener.ListenerArn } satisfies HttpsListenerOutputs;
    },
    async create(ctx) {
      const w = wanted(ctx, defaultTargetGroup);
      const r = await usingCertificate(ctx, () => ctx.env.aws.get(ElasticLoadBalancingV2Client).send(
        new CreateListenerCommand({
          LoadBalancerArn: ctx.output<LoadBalancerOutputs>('load-balancer').loadBalancerArn,
          Port: w.port,
          Protocol: 'HTTPS',
          SslPolicy: TLS_POLICY,
          Certificates: [{ CertificateArn: w.certificateArn }],
          DefaultActions: forwardTo(w.targetGroupArn),
          Tags: ctx.env.tags(`${ctx.env.names.loadBalancer}-${w.port}`),
        }),
      ));
      return { listenerArn: r.Listeners![0]!.ListenerArn! } satisfies HttpsListenerOutputs;
    },
    async destroy(ctx, outputs) {
      await unlessNotFound(() => ctx.env.aws.get(ElasticLoadBalancingV2Client).send(new DeleteListenerCommand({ ListenerArn: outputs.listenerArn as string })));
    },
  };
}
