/** The README's example environment file without its load balancer: two zones, and the guide's two node groups. */
export const EXAMPLE_ENVIRONMENT_FILE = {
  cidr: '10.67.0.0/21',
  zones: ['us-east-1a', 'us-east-1b'],
  nodeGroups: [
    { nodeType: 't4g.large', capacityPerZone: 3, reservations: ['SYSTEM', 'ZOOKEEPER'] },
    { nodeType: 'm6i.large', capacityPerZone: 3, reservations: ['CLICKHOUSE'] },
  ],
};
