import { notYet, waitNotYet } from './stub.js';

export const internetGatewayStep = notYet('internet-gateway', 'Internet gateway', ['vpc']);
