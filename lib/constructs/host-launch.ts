import { Fn, type IResolvable, Lazy, Stack } from 'aws-cdk-lib';
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
  /** AMI id (Ubuntu 20.04 by default; the bootstrap script expects apt and systemd). */
  readonly imageId: string;
  /** The hosts' security group. */
  readonly securityGroupId: string;
  /** Whether a host gets a public IPv4 address whatever its subnet says (may be a parameter's value). */
  readonly associatePublicIp: boolean | IResolvable;
  /** The hosts' instance profile. */
  readonly instanceProfile: iam.InstanceProfile;
  /** The settings the bootstrap script reads; values may be tokens such as parameter references. */
  readonly settings: HostSettings;
  /** Version of the template, stated in the user data's header. */
  readonly templateVersion: string;
  /** Size of the encrypted gp3 root volume, in GiB. @default 20 */
  readonly rootVolumeGiB?: number;
}

/** How long CloudFormation waits for a host's signal: bootstrap takes about a minute, retries included. */
export const HOST_SIGNAL_TIMEOUT = 'PT15M';

/** The properties an instance launched from the template repeats, for engines that ignore LaunchTemplate. */
export type RepeatedInstanceProperties = Required<Pick<ec2.CfnInstanceProps, 'instanceType' | 'imageId' | 'iamInstanceProfile' | 'blockDeviceMappings' | 'tags'>>;

/**
 * The launch template every host starts from, single or in a group.
 *
 * Guarantees: IMDSv2 only (and out of reach of containers a hop further); an encrypted gp3 root
 * volume; the host security group and instance profile; user data that a reviewer can read from the
 * template: a plain header with the non-secret settings, and `lib/host/bootstrap.sh` byte for byte,
 * gzip+base64, whose SHA-256 and decoding command the header states (the token is read from SSM at
 * boot, never passed here). The script is carried once, here.
 */
export class HostLaunchTemplate extends Construct {
  readonly launchTemplate: ec2.CfnLaunchTemplate;
  /** What an instance launched from this template repeats of it. */
  readonly instanceProperties: RepeatedInstanceProperties;
  /** Whether a host gets a public IPv4 address, for an instance's own network interface. */
  readonly associatePublicIp: boolean | IResolvable;
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
    this.instanceProperties = {
      instanceType: props.instanceType,
      imageId: props.imageId,
      iamInstanceProfile: props.instanceProfile.instanceProfileName,
      blockDeviceMappings: [rootVolume],
      tags,
    };
    const script = shippedScript(bootstrapScript());
    this.launchTemplate = new ec2.CfnLaunchTemplate(this, 'LaunchTemplate', {
      launchTemplateData: {
        instanceType: props.instanceType,
        imageId: props.imageId,
        iamInstanceProfile: { arn: props.instanceProfile.instanceProfileArn },
        networkInterfaces: [{ deviceIndex: 0, groups: [props.securityGroupId], associatePublicIpAddress: props.associatePublicIp, deleteOnTermination: true }],
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
        blockDeviceMappings: [rootVolume],
        tagSpecifications: [{ resourceType: 'instance', tags }],
        // Lazy: the settings' references are written at synthesis, after the stack has named its resources.
        userData: Lazy.string({
          produce: () => Fn.base64(this.substitute(props.settings, (references) => userDataText(references, script, props.templateVersion))),
        }),
      },
    });
  }

  /** What an instance or group names to launch from the current version. */
  get specification() {
    return { launchTemplateId: this.launchTemplate.ref, version: this.launchTemplate.attrLatestVersionNumber };
  }

  /** Lets `grantee` (the hosts' role) send creation signals to this stack. */
  grantSignal(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:SignalResource'], resources: [Stack.of(this).stackId] }),
    );
  }

  /**
   * `Fn::Sub` of the text that `render` writes with a reference for each setting: written in place
   * where the setting is a parameter, a pseudo parameter, an attribute or a `Fn::Sub` of its own,
   * else a variable of the setting's name.
   */
  private substitute(settings: HostSettings, render: (references: Record<keyof HostSettings, string>) => string): string {
    const stack = Stack.of(this);
    const references = {} as Record<keyof HostSettings, string>;
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(settings) as [keyof HostSettings, string][]) {
      const inPlace = inPlaceReference(stack.resolve(value));
      if (inPlace === undefined) {
        references[name] = `\${${name}}`;
        variables[name] = value;
      } else {
        references[name] = inPlace;
      }
    }
    return Fn.sub(render(references), Object.keys(variables).length > 0 ? variables : undefined);
  }
}

/** How `Fn::Sub` writes a resolved value in its own text, when it can. */
function inPlaceReference(resolved: unknown): string | undefined {
  if (typeof resolved === 'string') return resolved.includes('${') ? undefined : resolved;
  const node = (resolved ?? {}) as Record<string, unknown>;
  if (Object.keys(node).length !== 1) return undefined;
  if (typeof node.Ref === 'string') return `\${${node.Ref}}`;
  if (typeof node['Fn::Sub'] === 'string') return node['Fn::Sub'];
  const attribute = node['Fn::GetAtt'];
  if (Array.isArray(attribute) && attribute.every((part) => typeof part === 'string')) return `\${${attribute.join('.')}}`;
  return undefined;
}
