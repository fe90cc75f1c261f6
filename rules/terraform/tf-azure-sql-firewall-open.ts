import type { Rule, RuleHit } from '../../src/model/graph.js';
import { asString } from '../../src/ingest/terraform/index.js';
import { AZURE_DB_FIREWALL_RULE_TYPES } from '../../src/ingest/terraform/kinds.js';
import { at, resources, valuesOf } from './tf-helpers.js';

const TYPES = AZURE_DB_FIREWALL_RULE_TYPES;

function ipv4(s: string | undefined): number | undefined {
  const m = s ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim()) : null;
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! * 256 + parts[1]!) * 256 + parts[2]!) * 256 + parts[3]!;
}

export const rule: Rule = {
  meta: {
    id: 'tf-azure-sql-firewall-open',
    title: 'Azure database firewall open to the internet or to all of Azure',
    stride: ['I'],
    severity: 'high',
    rationale:
      'A server-level firewall rule from 0.0.0.0 to 255.255.255.255 (or any range of millions of addresses) exposes the database login to the whole internet. The special 0.0.0.0–0.0.0.0 rule ("Allow Azure services") admits connections from any Azure subscription, including an attacker\'s.',
    mitigation: 'Use private endpoints and set public_network_access_enabled = false; otherwise allow only the specific egress IPs of your applications and administrators.',
    references: ['CWE-284', 'CWE-668', 'https://learn.microsoft.com/azure/azure-sql/database/firewall-configure'],
    inputs: ['terraform'],
    detection: 'Azure SQL, PostgreSQL, MySQL, MariaDB and Redis firewall rules whose literal start/end addresses span 0.0.0.0–255.255.255.255 or more than 2^24 addresses (high), or are exactly 0.0.0.0–0.0.0.0 (medium, qualifier azure-services).',
    falsePositives: 'Servers with public network access disabled, where firewall rules have no effect.',
  },
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const r of resources(ctx.graph, TYPES)) {
      const v = valuesOf(r);
      const start = ipv4(asString(v.start_ip_address ?? v.start_ip));
      const end = ipv4(asString(v.end_ip_address ?? v.end_ip));
      if (start === undefined || end === undefined) continue;
      const range = `${asString(v.start_ip_address ?? v.start_ip)}–${asString(v.end_ip_address ?? v.end_ip)}`;
      if (start === 0 && end === 0) {
        hits.push({ element: r.id, qualifier: 'azure-services', location: at(r, 'start_ip_address'), severity: 'medium', evidence: `${r.name}: ${range} allows connections from any Azure service or subscription` });
      } else if (end - start >= 2 ** 24) {
        hits.push({ element: r.id, location: at(r, 'start_ip_address'), evidence: `${r.name}: ${range} opens the server to ${end - start + 1} addresses` });
      }
    }
    return hits;
  },
};
