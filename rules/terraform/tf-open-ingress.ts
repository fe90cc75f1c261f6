import type { Rule, RuleHit, RuleMeta } from '../../src/model/graph.js';
import type { PublicIngress } from '../../src/ingest/terraform/index.js';
import { resources } from './tf-helpers.js';

/** Ports that should never face the internet directly: remote administration and data services. */
export const SENSITIVE_PORTS: ReadonlyMap<number, string> = new Map([
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'Telnet'],
  [135, 'MS RPC'],
  [139, 'NetBIOS'],
  [445, 'SMB'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [2375, 'Docker API'],
  [2376, 'Docker API (TLS)'],
  [2379, 'etcd'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [5432, 'PostgreSQL'],
  [5601, 'Kibana'],
  [5672, 'AMQP'],
  [5900, 'VNC'],
  [5984, 'CouchDB'],
  [6379, 'Redis'],
  [6443, 'Kubernetes API'],
  [8500, 'Consul'],
  [9042, 'Cassandra'],
  [9092, 'Kafka'],
  [9200, 'Elasticsearch'],
  [9300, 'Elasticsearch transport'],
  [10250, 'kubelet'],
  [11211, 'Memcached'],
  [15672, 'RabbitMQ management'],
  [27017, 'MongoDB'],
]);

const NON_TCP = new Set(['icmp', 'icmpv6', '58', '1', 'esp', 'ah', 'gre']);

/**
 * One family, three rules (AWS security groups, GCP firewalls, Azure NSGs):
 * internet-open ingress (`attrs.publicIngress`, set by the parser) that
 * covers a sensitive port or every port. Rules whose sources or ports are
 * expressions (`attrs.ingressUnknown`) are not reported: the parser could not
 * tell whether they are open.
 */
export function openIngressRule(meta: RuleMeta, types: readonly string[]): Rule {
  return {
    meta,
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const e of resources(ctx.graph, types)) {
        const open = (e.attrs.publicIngress as PublicIngress[] | undefined) ?? [];
        open.forEach((r, i) => {
          if (NON_TCP.has(r.protocol)) return;
          const where = { file: e.location.file, line: r.line };
          const qualifier = `${r.path || 'rule'}#${i}`;
          const src = r.sources.join(', ');
          if (r.fromPort === undefined || r.toPort === undefined) {
            hits.push({ element: e.id, qualifier, location: where, severity: 'medium', evidence: `${src} may reach ports that are not literal (${r.protocol})` });
            return;
          }
          const all = r.fromPort <= 1 && r.toPort >= 65535;
          const covered = [...SENSITIVE_PORTS].filter(([p]) => p >= r.fromPort! && p <= r.toPort!);
          if (!all && covered.length === 0) return;
          const ports = all ? 'all ports' : covered.map(([p, name]) => `${p} (${name})`).join(', ');
          hits.push({ element: e.id, qualifier, location: where, evidence: `${src} may reach ${ports} over ${r.protocol}` });
        });
      }
      return hits;
    },
  };
}
