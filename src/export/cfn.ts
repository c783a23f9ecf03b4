/**
 * CloudFormation as plain data: a resource is `{ Type, Properties, DependsOn?, Condition? }` and
 * intrinsic functions are written in their long form (`Ref:`, `Fn::GetAtt:`), which is plain YAML —
 * no custom tags to emit, and cfn-lint reads it as it reads the short form.
 */

/** Anything a template may hold: scalars, lists, maps and intrinsic functions (themselves maps). */
export type Value = string | number | boolean | Value[] | { [key: string]: Value };

export interface CfnResource {
  Type: string;
  Properties: Record<string, Value>;
  DependsOn?: string[];
  Condition?: string;
}

/** What one plan step contributes: its resources by logical id. */
export type Fragment = Record<string, CfnResource>;

export interface CfnParameter {
  Type: string;
  Description: string;
  Default?: string | number;
  AllowedValues?: string[];
  AllowedPattern?: string;
  ConstraintDescription?: string;
  MinValue?: number;
  MaxValue?: number;
  NoEcho?: boolean;
}

export interface CfnOutput {
  Description: string;
  Value: Value;
  Condition?: string;
}

export interface Template {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters: Record<string, CfnParameter>;
  Conditions?: Record<string, Value>;
  Resources: Fragment;
  Outputs: Record<string, CfnOutput>;
}

export const ref = (logicalId: string): Value => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string): Value => ({ 'Fn::GetAtt': [logicalId, attribute] });
export const sub = (text: string): Value => ({ 'Fn::Sub': text });
export const join = (separator: string, parts: Value[]): Value => ({ 'Fn::Join': [separator, parts] });
export const select = (index: number, list: Value): Value => ({ 'Fn::Select': [String(index), list] });
export const ifThen = (condition: string, then: Value, otherwise: Value): Value => ({ 'Fn::If': [condition, then, otherwise] });
export const equals = (a: Value, b: Value): Value => ({ 'Fn::Equals': [a, b] });
export const not = (c: Value): Value => ({ 'Fn::Not': [c] });
export const base64 = (v: Value): Value => ({ 'Fn::Base64': v });
export const getAZs = (): Value => ({ 'Fn::GetAZs': '' });
/** Leaves a property out (inside Fn::If). */
export const NO_VALUE: Value = { Ref: 'AWS::NoValue' };

/** `arn:<partition>:…` built at deploy time: never a literal partition. */
export const partitionArn = (rest: string): Value => sub(`arn:\${AWS::Partition}:${rest}`);

/** A logical id part from a name: `shop-web` → `ShopWeb` (CloudFormation allows letters and digits only). */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}
