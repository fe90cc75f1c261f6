import { openIngressRule } from './tf-open-ingress.js';

export const rule = openIngressRule(
  {
    id: 'tf-gcp-firewall-open',
    title: 'GCP firewall opens an admin or database port to the internet',
    stride: ['I', 'T'],
    severity: 'high',
    rationale:
      'A VPC firewall rule allowing 0.0.0.0/0 to SSH, RDP or a database port exposes every matching instance to internet-wide scanning and brute force, bypassing Identity-Aware Proxy and any application-level control.',
    mitigation:
      'Limit source_ranges to known networks (or the IAP range 35.235.240.0/20 for SSH/RDP through Identity-Aware Proxy), narrow target_tags / target_service_accounts, and keep databases on private IPs.',
    references: ['CWE-284', 'CAPEC-112', 'https://cloud.google.com/firewall/docs/firewalls'],
    inputs: ['terraform'],
    detection:
      'google_compute_firewall rules with direction INGRESS (the default), not disabled, literal source_ranges containing 0.0.0.0/0 or ::/0, and an allow block whose ports cover an admin or data port, or no ports (all ports).',
    falsePositives: 'Rules whose target tags match no instance; deliberately public services on these ports.',
  },
  ['google_compute_firewall'],
);
