import { stagedTokenName } from '../../lib/shared/secret-store-contract';
import {
  asTheCdkCliSendsIt,
  consoleEnvironmentTemplate,
  consoleModeTemplate,
  deployModeTemplate,
  environmentModeInput,
  environmentModeTemplates,
  fullEnvironmentSpec,
  INLINE_TEMPLATE_LIMIT,
  TEMPLATE_BUDGET,
  TEMPLATE_MARGIN,
  stagedApiTokenName,
} from '../support/templates';

/**
 * Room to grow: every way in stays 5 KB under what `cdk deploy` can send inline (51,200 bytes,
 * measured as the CDK CLI serializes the template), so that the next feature does not push an
 * unbootstrapped `cdk deploy` over the edge.
 */

/** A realistic deployment from a clone: a long environment name and three subnets. */
const deployInput = {
  mode: 'deploy' as const,
  envName: 'acme-production-eu-1',
  network: {
    kind: 'given' as const,
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1', 'subnet-0123456789abcdef2'],
  },
  amiParameterName: '/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id',
};

/**
 * API-token mode (`-c environment=<file>`): the same deployment, with an environment file that sets
 * most fields (the specification is a property of the cloud stack), the API token staged or given as
 * `--parameters ApiToken=...`. The connect and ready stacks do not depend on how the token came.
 */
let environmentMode: { parameter: ReturnType<typeof environmentModeTemplates>; staged: ReturnType<typeof environmentModeTemplates> } | undefined;
const environmentModeVariant = (token: 'parameter' | 'staged') => {
  const envName = environmentModeInput().envName;
  environmentMode ??= {
    parameter: environmentModeTemplates({ spec: fullEnvironmentSpec() }),
    staged: environmentModeTemplates({ spec: fullEnvironmentSpec(), stagedApiToken: stagedApiTokenName(envName) }),
  };
  return environmentMode[token];
};

const variants = {
  'the published console template': () => consoleModeTemplate(),
  'cdk deploy with a token staged before synthesis': () => deployModeTemplate(deployInput, stagedTokenName(deployInput.envName, 'a-token')),
  'cdk deploy --parameters Token=...': () => deployModeTemplate(deployInput),
  'API-token mode: the cloud stack, cdk deploy --parameters ApiToken=...': () => environmentModeVariant('parameter').cloud,
  'API-token mode: the cloud stack, with the API token staged before synthesis': () => environmentModeVariant('staged').cloud,
  'API-token mode: the connect stack': () => environmentModeVariant('parameter').connect,
  'API-token mode: the ready stack': () => environmentModeVariant('parameter').ready,
  "API-token mode's published console template of the cloud stack": () => consoleEnvironmentTemplate('cloud'),
  "API-token mode's published console template of the ready stack": () => consoleEnvironmentTemplate('ready'),
};

test.each(Object.entries(variants))(
  `%s stays ${TEMPLATE_BUDGET} bytes or less, ${TEMPLATE_MARGIN} under the ${INLINE_TEMPLATE_LIMIT} that cdk deploy sends inline`,
  (_name, template) => {
    expect(Buffer.byteLength(asTheCdkCliSendsIt(template()))).toBeLessThanOrEqual(TEMPLATE_BUDGET);
  },
);
