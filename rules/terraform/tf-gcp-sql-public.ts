import type { Rule, RuleHit } from '../../src/model/graph.js';
import { blocks, getPath } from '../../src/ingest/terraform/index.js';
import { at, resources } from './tf-helpers.js';

export const rule: Rule = {
  meta: {
    id: 'tf-gcp-sql-public',
    title: 'Cloud SQL instance reachable from any IP address',
    stride: ['I'],
    severity: 'high',
    rationale:
      'A public IP with 0.0.0.0/0 in authorized_networks lets anyone on the internet reach the database login: brute force, credential stuffing and database-engine exploits no longer need a foothold in the network.',
    mitigation: 'Use private IP (ipv4_enabled = false with private_network), or the Cloud SQL Auth Proxy / connectors with IAM authentication; never authorise 0.0.0.0/0.',
    references: ['CWE-284', 'CWE-668', 'https://cloud.google.com/sql/docs/postgres/authorize-networks'],
    inputs: ['terraform'],
    detection: 'google_sql_database_instance whose settings.ip_configuration has a public IP (ipv4_enabled true or unset) and an authorized_networks entry with value 0.0.0.0/0 or ::/0.',
    falsePositives: 'None known: even with strong passwords, an open database port is internet attack surface.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const db of resources(ctx.graph, 'google_sql_database_instance')) {
      if (db.attrs.publicIp === false || db.attrs.openAuthorizedNetworks !== true) continue;
      const nets = blocks(getPath(db.attrs.values, 'settings.0.ip_configuration.0.authorized_networks'));
      const i = nets.findIndex((n) => n.value === '0.0.0.0/0' || n.value === '::/0');
      hits.push({ element: db.id, location: at(db, `settings.0.ip_configuration.0.authorized_networks.${i}.value`), evidence: `${db.name}: authorized_networks includes ${String(nets[i]?.value)} with a public IP` });
    }
    return hits;
  },
};
