import { notYet, waitNotYet } from './stub.js';

export const loadBalancerStep = notYet('load-balancer', 'Application load balancer', ['subnets', 'alb-security-group', 'internet-gateway']);
export const loadBalancerActiveStep = waitNotYet('load-balancer-active', 'Load balancer active', ['load-balancer']);
