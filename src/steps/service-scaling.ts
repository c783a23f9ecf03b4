import { notYet, waitNotYet } from './stub.js';

export const serviceScalingStep = notYet('service-scaling', 'Service auto scaling', ['service']);
