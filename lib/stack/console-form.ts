import { Aws, CfnParameter, type CfnParameterProps, CfnRule, Fn, type ICfnRuleConditionExpression, type Stack } from 'aws-cdk-lib';
import { DEFAULT_ALTINITY_URL } from '../shared/conventions';
import { ENV_NAME_DESCRIPTION, ENV_NAME_PATTERN, PARAMETER_KEYS, type ParameterName } from '../shared/names';

/** Canonical's public SSM parameter for the current Ubuntu 20.04 (amd64) AMI. */
export const UBUNTU_2004_AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
/** altinitycloud-connect release installed unless the user picks another. */
export const DEFAULT_CONNECT_VERSION = '0.61.0';
export const DEFAULT_DOWNLOAD_URL = 'https://github.com/altinity/altinitycloud-connect/releases/download';
/** What an Altinity.Cloud URL parameter accepts: https, no trailing slash, nothing that could leave its quoting. */
export const ALTINITY_URL_PATTERN = '^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-])?$';
/** The principal Altinity support acts as, from the break-glass procedure. */
export const ALTINITY_SUPPORT_PRINCIPAL = 'arn:aws:iam::313342380333:role/AnywhereAdmin';
/** Most hosts a stack runs; the host group holds one more during a rolling update. */
export const MAX_REPLICAS = 3;

/** Where the VPC and subnet defaults come from when the app deploys from a clone. */
export type NetworkDefaults = { readonly kind: 'given'; readonly vpcId: string; readonly subnetIds: readonly string[] } | { readonly kind: 'default-vpc' };

/** Defaults known at synthesis (`cdk deploy -c ...`); the console template has none of them. */
export interface FormDefaults {
  /**
   * The default of the environment parameter.
   *
   * @default - the console user types it in
   */
  readonly envName?: string;
  /**
   * The defaults of the VPC and subnet parameters.
   *
   * @default - the console user picks them
   */
  readonly network?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
  /**
   * The default of the AMI parameter.
   *
   * @default UBUNTU_2004_AMI_PARAMETER
   */
  readonly amiParameterName?: string;
  /** Whether the form asks for the token; not when `cdk deploy -c token=` stored it already, nor with a certificate of the cloud stack's. */
  readonly askForToken: boolean;
  /**
   * The default of the existing-certificate parameter: the certificate the cloud stack keeps, when
   * the stacks create the environment from an API token.
   *
   * @default - none: the hosts log in with the token
   */
  readonly existingCertificate?: string;
}

/** The form's sections, in the order the console shows them. */
const GROUPS = {
  environment: 'Altinity.Cloud environment',
  network: 'Network',
  host: 'Host',
  permissions: 'Permissions',
  breakGlass: 'Break glass: Altinity support access',
} as const;

/**
 * The console shows each parameter by its key, which says what it is: labels would cost the bytes
 * that keep the template under what `cdk deploy` sends inline.
 */
interface FormEntry {
  readonly name: ParameterName;
  readonly group: keyof typeof GROUPS;
  readonly properties: CfnParameterProps;
}

/** Every parameter of the template, one entry each, in the console's order. */
function formEntries(defaults: FormDefaults): FormEntry[] {
  // Short texts: the README explains each at length, and every byte counts against what cdk deploy sends inline.
  const optional = (pattern: string) => `^(${pattern})?$`;
  const entries: (FormEntry | false)[] = [
    {
      name: 'envName',
      group: 'environment',
      properties: { ...envNameParameter('As in the Altinity Cloud Manager; it begins with your account name.'), default: defaults.envName },
    },
    defaults.askForToken && {
      name: 'token',
      group: 'environment',
      properties: {
        type: 'String',
        noEcho: true,
        default: '',
        description: "From the Altinity Cloud Manager's Connection Setup. Empty only with an existing certificate.",
      },
    },
    {
      name: 'existingCertificate',
      group: 'environment',
      properties: {
        type: 'String',
        default: defaults.existingCertificate ?? '',
        allowedPattern: optional('/(?!altinity-connect/)[a-zA-Z0-9_.\\-/]+'),
        maxLength: 256,
        description: 'SSM SecureString holding a cloud-connect.pem, instead of the token. Not below /altinity-connect/.',
        constraintDescription: 'must be empty or an SSM parameter name starting with /, outside /altinity-connect/',
      },
    },
    {
      name: 'altinityUrl',
      group: 'environment',
      properties: {
        type: 'String',
        default: DEFAULT_ALTINITY_URL,
        allowedPattern: ALTINITY_URL_PATTERN,
        maxLength: 200,
        description: 'Change it only if Altinity tells you to.',
        constraintDescription: 'must be an https:// URL without a trailing slash',
      },
    },
    {
      name: 'vpcId',
      group: 'network',
      properties: { type: 'AWS::EC2::VPC::Id', description: 'VPC of the hosts.', default: defaults.network?.vpcId },
    },
    {
      name: 'subnetIds',
      group: 'network',
      properties: {
        type: 'List<AWS::EC2::Subnet::Id>',
        description: 'Of that VPC; one host uses the first. Out through an internet gateway, a NAT gateway or the proxy.',
        default: defaults.network?.subnetIds.join(','),
      },
    },
    {
      name: 'assignPublicIp',
      group: 'network',
      properties: {
        type: 'String',
        allowedValues: ['true', 'false'],
        default: 'true',
        description: 'false for private subnets (NAT gateway or proxy).',
      },
    },
    {
      name: 'httpsProxy',
      group: 'network',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('https?://[A-Za-z0-9.-]+:[0-9]{1,5}'),
        maxLength: 200,
        description: 'For every outbound call of the hosts: http://host:port.',
        constraintDescription: 'must be empty or http://host:port (or https://), without credentials',
      },
    },
    {
      name: 'noProxy',
      group: 'network',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[A-Za-z0-9._-]+(/[0-9]{1,2})?(,[A-Za-z0-9._-]+(/[0-9]{1,2})?)*'),
        maxLength: 400,
        description: 'Names, .domains and networks (10.0.0.0/8), comma-separated.',
        constraintDescription: 'must be empty or names, .domains and networks, comma-separated',
      },
    },
    {
      name: 'caCertificates',
      group: 'network',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/= ])+'),
        maxLength: 2200,
        description: "PEM, line breaks as spaces: a TLS-inspecting proxy's CA, say.",
        constraintDescription: 'must be empty or PEM certificates on one line',
      },
    },
    {
      name: 'hostAliases',
      group: 'network',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[A-Za-z0-9.-]+=[0-9A-Fa-f.:]+(,[A-Za-z0-9.-]+=[0-9A-Fa-f.:]+)*'),
        maxLength: 300,
        description: 'name=address entries for /etc/hosts, comma-separated.',
        constraintDescription: 'must be empty or name=address entries, comma-separated',
      },
    },
    {
      name: 'replicas',
      group: 'host',
      properties: {
        // A string with a list, not a Number: the console shows a menu, and every engine compares it as text.
        type: 'String',
        allowedValues: Array.from({ length: MAX_REPLICAS }, (_, index) => String(index + 1)),
        default: '1',
        description: 'Two or three run in an Auto Scaling group.',
      },
    },
    {
      name: 'instanceType',
      group: 'host',
      properties: {
        type: 'String',
        default: 't3.micro',
        allowedPattern: '^(?!t[0-9][a-z]*\\.nano$)[a-z][a-z0-9-]*\\.[0-9]*[a-z0-9]+$',
        description: 't2.micro or larger.',
        constraintDescription: 'must be an EC2 instance type, t2.micro or larger',
      },
    },
    {
      name: 'amiParameter',
      group: 'host',
      properties: {
        // A name, not CloudFormation's AMI-parameter type: CloudFormation resolves that type again on
        // every update, so a new Canonical image would replace the hosts in an unrelated update. EC2
        // resolves the name when it launches a host (host-launch.ts).
        type: 'String',
        default: defaults.amiParameterName ?? UBUNTU_2004_AMI_PARAMETER,
        allowedPattern: '/[a-zA-Z0-9_.\\-/]+',
        description: "SSM parameter of the AMI id: Canonical's Ubuntu 20.04 amd64, or another. arm64 needs an arm64 type.",
        constraintDescription: 'must be an SSM parameter name starting with /',
      },
    },
    {
      name: 'connectVersion',
      group: 'host',
      properties: {
        type: 'String',
        default: DEFAULT_CONNECT_VERSION,
        allowedPattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
        maxLength: 32,
        description: 'Release to install.',
        constraintDescription: 'must be a release version such as 0.61.0',
      },
    },
    {
      name: 'downloadUrl',
      group: 'host',
      properties: {
        type: 'String',
        default: DEFAULT_DOWNLOAD_URL,
        allowedPattern: '^https://[^\\s\'"]+[^/\\s\'"]$',
        maxLength: 200,
        description: 'Change it only for a mirror of the releases.',
        constraintDescription: 'must be an https:// URL without a trailing slash',
      },
    },
    {
      name: 'connectSha256',
      group: 'host',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[a-f0-9]{64}'),
        maxLength: 64,
        description: 'That the download must have.',
        constraintDescription: 'must be empty or 64 lowercase hexadecimal digits',
      },
    },
    {
      name: 'connectionTimeout',
      group: 'host',
      properties: {
        type: 'String',
        default: '300',
        allowedPattern: '^([3-9][0-9]|[1-5][0-9][0-9]|600)$',
        maxLength: 3,
        description: 'For Altinity.Cloud to see a host connected.',
        constraintDescription: 'must be a number of seconds from 30 to 600',
      },
    },
    {
      name: 'permissionProfile',
      group: 'permissions',
      properties: {
        type: 'String',
        allowedValues: ['documented', 'current', 'restricted'],
        default: 'documented',
        description: "documented: the guide's. current: adds Route 53, SQS, S3 Tables, MSK. restricted: current, IAM scoped.",
      },
    },
    {
      name: 'permissionsBoundary',
      group: 'permissions',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+'),
        description: "Managed policy ARN, for the hosts' role.",
        constraintDescription: 'must be empty or an IAM policy ARN',
      },
    },
    {
      name: 'breakGlass',
      group: 'breakGlass',
      properties: {
        type: 'String',
        allowedValues: ['disabled', 'enabled'],
        default: 'disabled',
        description: 'enabled: Altinity support may open SSM sessions on the hosts.',
      },
    },
    {
      name: 'breakGlassPrincipal',
      group: 'breakGlass',
      properties: {
        type: 'String',
        default: ALTINITY_SUPPORT_PRINCIPAL,
        allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[\\w+=,.@/-]+|user/[\\w+=,.@/-]+)$',
        description: 'Keep the default in the aws partition, unless Altinity says otherwise.',
        constraintDescription: 'must be an IAM role, user or account root ARN',
      },
    },
    {
      name: 'breakGlassExternalId',
      group: 'breakGlass',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[\\w+=,.@:/-]{2,1224}'),
        maxLength: 1224,
        description: 'Required with break glass: agree it with Altinity support.',
        constraintDescription: 'must be empty or 2 to 1224 of A-Z a-z 0-9 _+=,.@:/-',
      },
    },
  ];
  return entries.filter((entry): entry is FormEntry => entry !== false);
}

/**
 * The console form: the template's parameters, generated from one table together with the
 * console's sections, and the rules that check the parameters against each other.
 */
export class ConsoleForm {
  private readonly parameters = new Map<ParameterName, CfnParameter>();
  private readonly expressions = new Map<string, ICfnRuleConditionExpression>();

  constructor(stack: Stack, defaults: FormDefaults) {
    const entries = formEntries(defaults);
    for (const entry of entries) this.parameters.set(entry.name, new CfnParameter(stack, PARAMETER_KEYS[entry.name], entry.properties));
    stack.templateOptions.metadata = {
      ...stack.templateOptions.metadata,
      'AWS::CloudFormation::Interface': {
        ParameterGroups: Object.entries(GROUPS).map(([group, label]) => ({
          Label: { default: label },
          Parameters: entries.filter((entry) => entry.group === group).map((entry) => PARAMETER_KEYS[entry.name]),
        })),
      },
    };
    this.declareRules(stack);
  }

  /** True when the parameter was given a value (it is not empty); usable in conditions and rules. */
  isSet(name: ParameterName): ICfnRuleConditionExpression {
    return this.expression(`set ${name}`, () => Fn.conditionNot(this.is(name, '')));
  }

  /** True when the parameter's value is `value`. */
  is(name: ParameterName, value: string): ICfnRuleConditionExpression {
    return this.expression(`${name} = ${value}`, () => Fn.conditionEquals(this.value(name), value));
  }

  /** True when the parameter's value is one of `values`. */
  oneOf(name: ParameterName, values: readonly string[]): ICfnRuleConditionExpression {
    return this.expression(`${name} in ${values.join(' ')}`, () => Fn.conditionOr(...values.map((value) => this.is(name, value))));
  }

  /** Whether the form has this parameter (the token is absent when it was stored before deployment). */
  has(name: ParameterName): boolean {
    return this.parameters.has(name);
  }

  /** The parameter's value as a string token. */
  value(name: ParameterName): string {
    return this.parameter(name).valueAsString;
  }

  /** The parameter as `Fn::Sub` writes it in its text: `${Key}` (a parameter's logical id is its key). */
  reference(name: ParameterName): string {
    return `\${${this.parameter(name).node.id}}`;
  }

  /** A list parameter's value. */
  list(name: ParameterName): string[] {
    return this.parameter(name).valueAsList;
  }

  /** One expression object per question asked of the form, however often it is asked. */
  private expression(key: string, make: () => ICfnRuleConditionExpression): ICfnRuleConditionExpression {
    let expression = this.expressions.get(key);
    if (!expression) {
      expression = make();
      this.expressions.set(key, expression);
    }
    return expression;
  }

  private parameter(name: ParameterName): CfnParameter {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new Error(`the console form has no ${PARAMETER_KEYS[name]} parameter`);
    return parameter;
  }

  private declareRules(stack: Stack): void {
    if (this.has('token')) {
      new CfnRule(stack, 'TokenOrCertificate', {
        assertions: [
          {
            assert: Fn.conditionOr(
              Fn.conditionAnd(this.isSet('token'), this.is('existingCertificate', '')),
              Fn.conditionAnd(this.is('token', ''), this.isSet('existingCertificate')),
            ),
            assertDescription: `Give exactly one of ${PARAMETER_KEYS.token} and ${PARAMETER_KEYS.existingCertificate}.`,
          },
        ],
      });
    }
    new CfnRule(stack, 'BreakGlassSettings', {
      ruleCondition: this.is('breakGlass', 'enabled'),
      assertions: [
        {
          assert: this.isSet('breakGlassExternalId'),
          assertDescription: `${PARAMETER_KEYS.breakGlass} needs ${PARAMETER_KEYS.breakGlassExternalId}: ask Altinity support, or make one up and send it to them.`,
        },
        {
          // The default principal exists only in the aws partition: IAM refuses it elsewhere.
          assert: Fn.conditionOr(Fn.conditionEquals(Aws.PARTITION, 'aws'), Fn.conditionNot(this.is('breakGlassPrincipal', ALTINITY_SUPPORT_PRINCIPAL))),
          assertDescription: `Outside AWS's commercial regions, give the ${PARAMETER_KEYS.breakGlassPrincipal} that Altinity support names.`,
        },
      ],
    });
    new CfnRule(stack, 'SubnetsInVpc', {
      assertions: [
        {
          assert: Fn.conditionEachMemberEquals(Fn.valueOfAll('AWS::EC2::Subnet::Id', PARAMETER_KEYS.vpcId), this.value('vpcId')),
          assertDescription: `Every one of ${PARAMETER_KEYS.subnetIds} must be in ${PARAMETER_KEYS.vpcId}.`,
        },
      ],
    });
  }
}

/** An environment's name, as every template asks for it; `description` says how it goes with the stack. */
export function envNameParameter(description: string): CfnParameterProps {
  return { type: 'String', allowedPattern: ENV_NAME_PATTERN, maxLength: 63, constraintDescription: `must be ${ENV_NAME_DESCRIPTION}`, description };
}

/** The console's sections for a template of a few parameters: each label with its parameters, in order. */
export function consoleForm(stack: Stack, groups: ReadonlyArray<readonly [label: string, parameters: readonly string[]]>): void {
  stack.templateOptions.metadata = {
    ...stack.templateOptions.metadata,
    'AWS::CloudFormation::Interface': { ParameterGroups: groups.map(([label, parameters]) => ({ Label: { default: label }, Parameters: parameters })) },
  };
}
