import { type CfnTag, Fn, type IResolvable, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { bootstrapScript, type HostSettings, shippedScript, userDataText } from '../host/user-data';

/** What every altinitycloud-connect host is launched with, alone or in a group. */
export interface HostLaunchTemplateProps {
  /** Name tag of the host(s). */
  readonly name: string;
  /** EC2 instance type. */
  readonly instanceType: string;
  /**
   * SSM parameter that holds the AMI id of an image with apt and systemd, which the bootstrap script
   * expects (the form offers Canonical's Ubuntu 20.04). EC2 reads it when it launches a host.
   */
  readonly imageParameterName: string;
  /** The hosts' security group. */
  readonly securityGroupId: string;
  /** Whether a host gets a public IPv4 address whatever its subnet says (may be a parameter's value). */
  readonly associatePublicIp: boolean | IResolvable;
  /** The hosts' instance profile. */
  readonly instanceProfile: iam.InstanceProfile;
  /**
   * The settings the bootstrap script reads: plain text, or tokens (parameters, pseudo parameters,
   * attributes, `Fn::Sub` patterns, conditional values) that CloudFormation fills in. Tokens are
   * resolved when the launch template is built, so a resource they name must have its final logical
   * id by then (every construct here names its resources in its constructor).
   */
  readonly settings: HostSettings;
  /** Version of the template, stated in the user data's header. */
  readonly templateVersion: string;
  /**
   * Size of the encrypted gp3 root volume, in GiB.
   *
   * @default 20
   */
  readonly rootVolumeGiB?: number;
}

/** How long CloudFormation waits for a host's signal: bootstrap takes about a minute, retries included. */
export const HOST_SIGNAL_TIMEOUT = 'PT15M';

/**
 * The launch template every host starts from, single or in a group.
 *
 * Guarantees: IMDSv2 only (and out of reach of containers a hop further); an encrypted gp3 root
 * volume; the host security group and instance profile; user data that a reviewer can read from the
 * template: a plain header with the non-secret settings, and `lib/host/bootstrap.sh` byte for byte,
 * gzip+base85, whose SHA-256 and decoding command the header states (the token is read from SSM at
 * boot, never passed here). The script is carried once, here. The image is the AMI parameter's value
 * when EC2 launches a host (`resolve:ssm:`, which EC2 and Auto Scaling document for launch
 * templates): the template itself holds only the parameter's name, so a newer image in the parameter
 * changes nothing in the template and replaces no host; a host launched later starts from it. Its
 * logical id is `HostLaunchTemplate`, readable in the stack's events: one per stack.
 */
export class HostLaunchTemplate extends Construct {
  /** The launch template resource. */
  readonly launchTemplate: ec2.CfnLaunchTemplate;
  /**
   * The tags an instance launched from the template must repeat when it has tags of its own (the
   * stack's), which replace the template's.
   */
  readonly instanceTags: CfnTag[];
  /** Whether a host gets a public IPv4 address, for an instance's own network interface. */
  readonly associatePublicIp: boolean | IResolvable;
  /** The hosts' security group, for an instance's own network interface. */
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: HostLaunchTemplateProps) {
    super(scope, id);
    this.associatePublicIp = props.associatePublicIp;
    this.securityGroupId = props.securityGroupId;
    const rootVolume = {
      deviceName: '/dev/sda1',
      ebs: { volumeType: 'gp3', volumeSize: props.rootVolumeGiB ?? 20, encrypted: true, deleteOnTermination: true },
    };
    const tags = [{ key: 'Name', value: props.name }];
    this.instanceTags = tags;
    const stack = Stack.of(this);
    const { references, variables } = subReferences(stack, props.settings);
    const image = subReferences(stack, { name: props.imageParameterName });
    const script = shippedScript(bootstrapScript());
    this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateData: {
        instanceType: props.instanceType,
        imageId: subText(`resolve:ssm:${image.references.name}`, image.variables),
        iamInstanceProfile: { arn: props.instanceProfile.instanceProfileArn },
        networkInterfaces: [{ deviceIndex: 0, groups: [props.securityGroupId], associatePublicIpAddress: props.associatePublicIp, deleteOnTermination: true }],
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [rootVolume],
        tagSpecifications: [{ resourceType: 'instance', tags }],
        userData: Fn.base64(subText(userDataText(references, script, props.templateVersion), variables)),
      },
    });
    this.launchTemplate.overrideLogicalId('HostLaunchTemplate');
  }

  /** What an instance or group names to launch from the current version. */
  get specification() {
    return { launchTemplateId: this.launchTemplate.ref, version: this.launchTemplate.attrLatestVersionNumber };
  }

  /** Lets `grantee` (the hosts' role) send creation signals to this stack. */
  grantSignal(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(this).stackId] }));
  }
}

/** `Fn::Sub` of `text`, with a variable map only when there are variables: the shortest form. */
function subText(text: string, variables: Record<string, string>): string {
  return Fn.sub(text, Object.keys(variables).length > 0 ? variables : undefined);
}

/**
 * Each value as an `Fn::Sub` text refers to it: a parameter, pseudo parameter or attribute, and an
 * `Fn::Sub` pattern, within the text (`${Name}`, `${Resource.Attribute}`), which is shortest; any
 * other token (a conditional value, say) through the variable map, under the value's own name. Plain
 * text as it is.
 */
function subReferences<T extends object>(stack: Stack, settings: T): { references: Record<keyof T, string>; variables: Record<string, string> } {
  const variables: Record<string, string> = {};
  const references = Object.fromEntries(
    Object.entries(settings).map(([name, value]: [string, string]) => {
      if (!Token.isUnresolved(value)) return [name, value];
      const resolved = stack.resolve(value) as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Sub'?: unknown };
      if (typeof resolved.Ref === 'string') return [name, `\${${resolved.Ref}}`];
      if (resolved['Fn::GetAtt']) return [name, `\${${resolved['Fn::GetAtt'].join('.')}}`];
      if (typeof resolved['Fn::Sub'] === 'string') return [name, resolved['Fn::Sub']];
      variables[name] = value;
      return [name, `\${${name}}`];
    }),
  ) as Record<keyof T, string>;
  return { references, variables };
}
