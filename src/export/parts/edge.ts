import { DEREGISTRATION_DELAY, healthCheck } from '../../steps/service/target-group.js';
import { TLS_POLICY } from '../../steps/stack/https-listener.js';
import { HTTP_PORT } from '../../steps/url.js';
import { httpsOn } from '../../wizard/schema.js';
import { getAtt, ref, type Fragment, type Value } from '../cfn.js';
import { COND, ID, PARAM, publicSubnets, reuseNetwork, tags, vpcId, type ExportEnv, type TemplatePart } from '../env.js';
import type { ExportService } from '../services.js';

/** The service that takes the listener's default action (the one load-balanced service with no path or host). */
export function defaultService(env: ExportEnv): ExportService | undefined {
  return env.services.find((s) => s.loadBalanced && s.defaultRoute);
}

/** The listener that forwards (HTTPS when on; the :80 redirect keeps redirecting every path). */
export const forwardingListener = (env: ExportEnv): string => (httpsOn(env.answers.loadBalancer) ? ID.httpsListener : ID.listener);

function defaultActions(env: ExportEnv): Value[] {
  const svc = defaultService(env);
  return svc ? [{ Type: 'forward', TargetGroupArn: ref(ID.svc(svc, 'TargetGroup')) }] : [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }];
}

export const targetGroup: TemplatePart = {
  perService: true,
  resources: ({ answers: a }, svc): Fragment => {
    if (!svc.loadBalanced) return {};
    const { HealthCheckPort, HealthCheckIntervalSeconds, HealthCheckTimeoutSeconds, HealthyThresholdCount, UnhealthyThresholdCount, HealthCheckPath, HealthCheckProtocol, Matcher } = healthCheck(svc.healthCheckPath);
    return {
      [ID.svc(svc, 'TargetGroup')]: {
        Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        Properties: {
          Protocol: 'HTTP',
          // ECS registers each task on its dynamic host port: the group's own port is only a default.
          Port: svc.containerPort ?? 80,
          TargetType: 'instance',
          VpcId: vpcId(a),
          HealthCheckProtocol,
          HealthCheckPort,
          HealthCheckPath,
          HealthCheckIntervalSeconds,
          HealthCheckTimeoutSeconds,
          HealthyThresholdCount,
          UnhealthyThresholdCount,
          Matcher,
          TargetGroupAttributes: [{ ...DEREGISTRATION_DELAY }],
          Tags: tags(a, svc.primary ? 'tg' : `${svc.name}-tg`),
        },
      },
    };
  },
};

export const loadBalancer: TemplatePart = {
  resources: ({ answers: a }): Fragment => ({
    [ID.loadBalancer]: {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: { Type: 'application', Scheme: 'internet-facing', IpAddressType: 'ipv4', Subnets: publicSubnets(a), SecurityGroups: [ref(ID.albSecurityGroup)], Tags: tags(a, 'alb') },
      // An internet-facing load balancer needs its VPC's internet gateway attached.
      ...(reuseNetwork(a) ? {} : { DependsOn: [ID.gatewayAttachment] }),
    },
  }),
};

export const listener: TemplatePart = {
  resources: (env): Fragment => ({
    [ID.listener]: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: { LoadBalancerArn: ref(ID.loadBalancer), Port: env.answers.loadBalancer.listenerPort, Protocol: 'HTTP', DefaultActions: defaultActions(env) },
    },
  }),
};

const certificateArn = (env: ExportEnv): Value => (env.answers.loadBalancer.certificateArn ? ref(PARAM.certificateArn) : ref(ID.certificate));

export const httpsListener: TemplatePart = {
  resources: (env): Fragment => ({
    [ID.httpsListener]: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: ref(ID.loadBalancer),
        Port: env.answers.loadBalancer.listenerPort,
        Protocol: 'HTTPS',
        SslPolicy: TLS_POLICY,
        Certificates: [{ CertificateArn: certificateArn(env) }],
        DefaultActions: defaultActions(env),
      },
    },
  }),
};

export const redirectListener: TemplatePart = {
  resources: (env): Fragment => ({
    [ID.redirectListener]: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: ref(ID.loadBalancer),
        Port: HTTP_PORT,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: String(env.answers.loadBalancer.listenerPort), StatusCode: 'HTTP_301' } }],
      },
    },
  }),
};

/**
 * The certificate requested for the domain, DNS-validated: CloudFormation writes the validation
 * record into the hosted zone itself (so the certificate-validation step contributes nothing). A
 * given certificateArn is a parameter instead.
 */
export const certificate: TemplatePart = {
  resources: ({ answers: a }): Fragment =>
    a.loadBalancer.certificateArn
      ? {}
      : {
          [ID.certificate]: {
            Type: 'AWS::CertificateManager::Certificate',
            Properties: {
              DomainName: ref(PARAM.domain),
              ValidationMethod: 'DNS',
              DomainValidationOptions: [{ DomainName: ref(PARAM.domain), HostedZoneId: ref(PARAM.hostedZoneId) }],
              Tags: tags(a, 'https'),
            },
          },
        },
};

/** The certificate's DNS validation records: CloudFormation writes them itself (DomainValidationOptions above). */
export const certificateValidation: TemplatePart = { resources: (): Fragment => ({}) };

/** The domain's alias to the load balancer — optional, so a second stack can be deployed while the first still serves the name. */
export const aliasRecord: TemplatePart = {
  resources: (): Fragment => ({
    [ID.aliasRecord]: {
      Type: 'AWS::Route53::RecordSet',
      Condition: COND.aliasRecord,
      Properties: {
        HostedZoneId: ref(PARAM.hostedZoneId),
        Name: ref(PARAM.domain),
        Type: 'A',
        AliasTarget: { DNSName: getAtt(ID.loadBalancer, 'DNSName'), HostedZoneId: getAtt(ID.loadBalancer, 'CanonicalHostedZoneID') },
      },
    },
  }),
};

/** A service's route on the forwarding listener: its path pattern or host name, at its priority. */
export const listenerRule: TemplatePart = {
  perService: true,
  resources(env, svc): Fragment {
    if (!svc.loadBalanced || svc.defaultRoute) return {};
    const conditions: Value[] = [
      ...(svc.path ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [svc.path] } }] : []),
      ...(svc.host ? [{ Field: 'host-header', HostHeaderConfig: { Values: [svc.host] } }] : []),
    ];
    const out: Fragment = {
      [ID.svc(svc, 'ListenerRule')]: {
        Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
        Properties: {
          ListenerArn: ref(forwardingListener(env)),
          // servicesOf gives every routed service one: its own, or 100, 110, 120 … in file order.
          Priority: svc.priority!,
          Conditions: conditions,
          Actions: [{ Type: 'forward', TargetGroupArn: ref(ID.svc(svc, 'TargetGroup')) }],
        },
      },
    };
    return out;
  },
};
