import { CfnParameter, type CfnParameterProps, CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import { ENV_NAME_DESCRIPTION, ENV_NAME_PATTERN, PARAMETER_KEYS, type ParameterName } from '../shared/names';

/** Canonical's public SSM parameter for the current Ubuntu 20.04 (amd64) AMI. */
export const UBUNTU_2004_AMI_PARAMETER = '/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id';
/** altinitycloud-connect release installed unless the user picks another. */
export const DEFAULT_CONNECT_VERSION = '0.61.0';
export const DEFAULT_DOWNLOAD_URL = 'https://github.com/altinity/altinitycloud-connect/releases/download';
/** Where Altinity.Cloud Anywhere is, for the tunnel and for the readiness check. */
export const DEFAULT_ALTINITY_URL = 'https://anywhere.altinity.cloud';
/** The principal Altinity support acts as, from the break-glass procedure. */
export const ALTINITY_SUPPORT_PRINCIPAL = 'arn:aws:iam::313342380333:role/AnywhereAdmin';
/** Most hosts a stack runs; the host group holds one more during a rolling update. */
export const MAX_REPLICAS = 3;

/** Where the VPC and subnet defaults come from when the app deploys from a clone. */
export type NetworkDefaults =
  | { readonly kind: 'given'; readonly vpcId: string; readonly subnetIds: readonly string[] }
  | { readonly kind: 'default-vpc' };

/** Defaults known at synthesis (`cdk deploy -c ...`); the console template has none of them. */
export interface FormDefaults {
  /** @default - the console user types it in */
  readonly envName?: string;
  /** @default - the console user picks them */
  readonly network?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
  /** @default UBUNTU_2004_AMI_PARAMETER */
  readonly amiParameterName?: string;
  /** Whether the form asks for the token; not when `cdk deploy -c token=` stored it already. */
  readonly askForToken: boolean;
}

/** The form's sections, in the order the console shows them. */
const GROUPS = {
  environment: 'Altinity.Cloud environment',
  network: 'Network',
  host: 'Host',
  permissions: 'Permissions',
  breakGlass: 'Break glass: Altinity support access',
} as const;

interface FormEntry {
  readonly name: ParameterName;
  readonly group: keyof typeof GROUPS;
  /** What the console shows instead of the key. */
  readonly label: string;
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
      label: 'Environment name',
      properties: {
        type: 'String',
        description: 'Your Altinity.Cloud Anywhere environment, exactly as in the Altinity Cloud Manager (it begins with your account name).',
        allowedPattern: ENV_NAME_PATTERN,
        maxLength: 63,
        constraintDescription: `must be ${ENV_NAME_DESCRIPTION}`,
        default: defaults.envName,
      },
    },
    defaults.askForToken && {
      name: 'token',
      group: 'environment',
      label: 'Connection token',
      properties: {
        type: 'String',
        noEcho: true,
        default: '',
        description: 'From the Connection Setup panel of the Altinity Cloud Manager. Stored encrypted. Empty only with an existing certificate.',
      },
    },
    {
      name: 'existingCertificate',
      group: 'environment',
      label: 'Existing certificate parameter (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('/[a-zA-Z0-9_.\\-/]+'),
        maxLength: 256,
        description: 'Optional: an SSM SecureString holding a cloud-connect.pem from an earlier login, used instead of the token.',
        constraintDescription: 'must be empty or an SSM parameter name starting with /',
      },
    },
    {
      name: 'altinityUrl',
      group: 'environment',
      label: 'Altinity.Cloud URL',
      properties: {
        type: 'String',
        default: DEFAULT_ALTINITY_URL,
        allowedPattern: '^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-])?$',
        maxLength: 200,
        description: 'Where the hosts connect. Change it only if Altinity tells you to.',
        constraintDescription: 'must be an https:// URL without a trailing slash',
      },
    },
    {
      name: 'vpcId',
      group: 'network',
      label: 'VPC',
      properties: { type: 'AWS::EC2::VPC::Id', description: 'VPC of the hosts.', default: defaults.network?.vpcId },
    },
    {
      name: 'subnetIds',
      group: 'network',
      label: 'Subnets',
      properties: {
        type: 'List<AWS::EC2::Subnet::Id>',
        description: 'Subnets of that VPC (a single host uses the first). Their way out: an internet gateway, a NAT gateway or the proxy.',
        default: defaults.network?.subnetIds.join(','),
      },
    },
    {
      name: 'assignPublicIp',
      group: 'network',
      label: 'Assign a public IPv4 address',
      properties: {
        type: 'String',
        allowedValues: ['true', 'false'],
        default: 'true',
        description: 'true: hosts get a public IPv4 address whatever the subnet says. false for private subnets (NAT gateway or proxy).',
      },
    },
    {
      name: 'httpsProxy',
      group: 'network',
      label: 'HTTPS proxy (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('https?://[A-Za-z0-9.-]+:[0-9]{1,5}'),
        maxLength: 200,
        description: 'Optional: the proxy for every outbound call of the hosts, as http://host:port.',
        constraintDescription: 'must be empty or http://host:port (or https://), without credentials',
      },
    },
    {
      name: 'noProxy',
      group: 'network',
      label: 'Reached without the proxy (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[A-Za-z0-9._-]+(/[0-9]{1,2})?(,[A-Za-z0-9._-]+(/[0-9]{1,2})?)*'),
        maxLength: 400,
        description: 'Optional: hosts, .domains and networks (10.0.0.0/8) reached directly, comma-separated. The metadata service always is.',
        constraintDescription: 'must be empty or names, .domains and networks, comma-separated',
      },
    },
    {
      name: 'caCertificates',
      group: 'network',
      label: 'CA certificates to trust (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('(-----(BEGIN|END) CERTIFICATE-----|[A-Za-z0-9+/= ])+'),
        maxLength: 2200,
        description: "Optional: PEM certificates of CAs to trust, such as a TLS-inspecting proxy's, on one line (line breaks as spaces).",
        constraintDescription: 'must be empty or PEM certificates on one line',
      },
    },
    {
      name: 'hostAliases',
      group: 'network',
      label: 'Host aliases (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[A-Za-z0-9.-]+=[0-9A-Fa-f.:]+(,[A-Za-z0-9.-]+=[0-9A-Fa-f.:]+)*'),
        maxLength: 300,
        description: 'Optional: name=address entries, comma-separated, for /etc/hosts, set before any connection.',
        constraintDescription: 'must be empty or name=address entries, comma-separated',
      },
    },
    {
      name: 'replicas',
      group: 'host',
      label: 'Number of hosts',
      properties: {
        // A string with a list, not a Number: the console shows a menu, and every engine compares it as text.
        type: 'String',
        allowedValues: Array.from({ length: MAX_REPLICAS }, (_, index) => String(index + 1)),
        default: '1',
        description: 'One host, or two or three in an Auto Scaling group over the subnets.',
      },
    },
    {
      name: 'instanceType',
      group: 'host',
      label: 'Instance type',
      properties: {
        type: 'String',
        default: 't3.micro',
        allowedPattern: '^(?!t[0-9][a-z]*\\.nano$)[a-z][a-z0-9-]*\\.[0-9]*[a-z0-9]+$',
        description: 't3.micro is enough; t2.micro is the smallest supported.',
        constraintDescription: 'must be an EC2 instance type, t2.micro or larger',
      },
    },
    {
      name: 'amiParameter',
      group: 'host',
      label: 'AMI (SSM parameter)',
      properties: {
        type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        default: defaults.amiParameterName ?? UBUNTU_2004_AMI_PARAMETER,
        description: "SSM parameter holding the AMI id; default Canonical's Ubuntu 20.04 (amd64). An arm64 AMI needs an arm64 type (t4g).",
      },
    },
    {
      name: 'connectVersion',
      group: 'host',
      label: 'altinitycloud-connect version',
      properties: {
        type: 'String',
        default: DEFAULT_CONNECT_VERSION,
        allowedPattern: '^[0-9]+\\.[0-9]+\\.[0-9]+$',
        maxLength: 32,
        description: 'altinitycloud-connect release to install.',
        constraintDescription: 'must be a release version such as 0.61.0',
      },
    },
    {
      name: 'downloadUrl',
      group: 'host',
      label: 'Download location',
      properties: {
        type: 'String',
        default: DEFAULT_DOWNLOAD_URL,
        allowedPattern: '^https://[^\\s\'"]+[^/\\s\'"]$',
        maxLength: 200,
        description: 'Releases location: <this URL>/v<version>/altinitycloud-connect-<version>-linux-<arch>. Change it only for a mirror.',
        constraintDescription: 'must be an https:// URL without a trailing slash',
      },
    },
    {
      name: 'connectSha256',
      group: 'host',
      label: 'Binary SHA-256 (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[a-f0-9]{64}'),
        maxLength: 64,
        description: 'Optional: the SHA-256 the download must have.',
        constraintDescription: 'must be empty or 64 lowercase hexadecimal digits',
      },
    },
    {
      name: 'connectionTimeout',
      group: 'host',
      label: 'Connection timeout (seconds)',
      properties: {
        type: 'String',
        default: '300',
        allowedPattern: '^([3-9][0-9]|[1-5][0-9][0-9]|600)$',
        maxLength: 3,
        description: "Seconds Altinity.Cloud may take to see the environment connected: a new host then fails, a group's host is replaced.",
        constraintDescription: 'must be a number of seconds from 30 to 600',
      },
    },
    {
      name: 'permissionProfile',
      group: 'permissions',
      label: 'Permission profile',
      properties: {
        type: 'String',
        allowedValues: ['documented', 'current', 'restricted'],
        default: 'documented',
        description:
          "documented: the provisioning guide's policies. current: adds Route 53, SQS, S3 Tables and MSK. restricted: current, with scoped IAM instead of IAMFullAccess.",
      },
    },
    {
      name: 'permissionsBoundary',
      group: 'permissions',
      label: 'Permissions boundary (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[\\w+=,.@/-]+'),
        description: "Optional: ARN of a managed policy to set as the host role's permissions boundary.",
        constraintDescription: 'must be empty or an IAM policy ARN',
      },
    },
    {
      name: 'breakGlass',
      group: 'breakGlass',
      label: 'Break-glass access',
      properties: {
        type: 'String',
        allowedValues: ['disabled', 'enabled'],
        default: 'disabled',
        description: 'enabled: Altinity support may open SSM sessions on the hosts. Update to disabled to revoke it.',
      },
    },
    {
      name: 'breakGlassPrincipal',
      group: 'breakGlass',
      label: 'Altinity support principal',
      properties: {
        type: 'String',
        default: ALTINITY_SUPPORT_PRINCIPAL,
        allowedPattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/[\\w+=,.@/-]+|user/[\\w+=,.@/-]+)$',
        description: 'Who may assume the break-glass role. Keep the default unless Altinity support says otherwise.',
        constraintDescription: 'must be an IAM role, user or account root ARN',
      },
    },
    {
      name: 'breakGlassExternalId',
      group: 'breakGlass',
      label: 'External id (optional)',
      properties: {
        type: 'String',
        default: '',
        allowedPattern: optional('[\\w+=,.@:/-]{2,1224}'),
        maxLength: 1224,
        description: 'Optional: an external id agreed with Altinity support, which it must then present.',
        constraintDescription: 'must be empty or 2 to 1224 of A-Z a-z 0-9 _+=,.@:/-',
      },
    },
  ];
  return entries.filter((entry): entry is FormEntry => entry !== false);
}

/**
 * The console form: the template's parameters, generated from one table together with the
 * console's sections and labels, and the rules that check the parameters against each other.
 */
export class ConsoleForm {
  private readonly parameters = new Map<ParameterName, CfnParameter>();

  constructor(stack: Stack, defaults: FormDefaults) {
    const entries = formEntries(defaults);
    for (const entry of entries) this.parameters.set(entry.name, new CfnParameter(stack, PARAMETER_KEYS[entry.name], entry.properties));
    stack.templateOptions.metadata = {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: Object.entries(GROUPS).map(([group, label]) => ({
          Label: { default: label },
          Parameters: entries.filter((entry) => entry.group === group).map((entry) => PARAMETER_KEYS[entry.name]),
        })),
        ParameterLabels: Object.fromEntries(entries.map((entry) => [PARAMETER_KEYS[entry.name], { default: entry.label }])),
      },
    };
    this.declareRules(stack);
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

  private parameter(name: ParameterName): CfnParameter {
    const parameter = this.parameters.get(name);
    if (!parameter) throw new Error(`the console form has no ${PARAMETER_KEYS[name]} parameter`);
    return parameter;
  }

  private declareRules(stack: Stack): void {
    if (this.has('token')) {
      const token = this.value('token');
      const certificate = this.value('existingCertificate');
      new CfnRule(stack, 'TokenOrCertificate', {
        assertions: [
          {
            assert: Fn.conditionOr(
              Fn.conditionAnd(Fn.conditionNot(Fn.conditionEquals(token, '')), Fn.conditionEquals(certificate, '')),
              Fn.conditionAnd(Fn.conditionEquals(token, ''), Fn.conditionNot(Fn.conditionEquals(certificate, ''))),
            ),
            assertDescription:
              'Give exactly one of Connection token (from the Altinity Cloud Manager) or Existing certificate parameter: paste the token, or name the certificate parameter, not both.',
          },
        ],
      });
    }
    new CfnRule(stack, 'SubnetsInVpc', {
      assertions: [
        {
          assert: Fn.conditionEachMemberEquals(Fn.valueOfAll('AWS::EC2::Subnet::Id', PARAMETER_KEYS.vpcId), this.value('vpcId')),
          assertDescription: `Every subnet in ${PARAMETER_KEYS.subnetIds} must belong to the VPC chosen in ${PARAMETER_KEYS.vpcId}: pick subnets of that VPC.`,
        },
      ],
    });
  }
}
