import { openIngressRule } from './tf-open-ingress.js';

export const rule = openIngressRule(
  {
    id: 'tf-aws-sg-open-admin-or-db-port',
    title: 'Security group opens an admin or database port to the internet',
    stride: ['I', 'T'],
    severity: 'high',
    rationale:
      'SSH, RDP, database and cache ports reachable from 0.0.0.0/0 or ::/0 are scanned within minutes of exposure; brute force, default credentials and unpatched services then give direct access to hosts and data without going through any application control.',
    mitigation:
      'Restrict the rule to known CIDRs (office, VPN) or another security group, reach admin ports through SSM Session Manager or a bastion, and keep data stores in private subnets reachable only from the application tier.',
    references: ['CWE-284', 'CAPEC-112', 'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html'],
    inputs: ['terraform'],
    detection:
      'Inline `ingress` blocks of aws_security_group / aws_default_security_group, aws_security_group_rule (type ingress) and aws_vpc_security_group_ingress_rule whose literal sources include 0.0.0.0/0 or ::/0 and whose port range covers 22, 3389, 3306, 5432, 1433, 6379, 27017, 9200 or another admin/data port, or every port (protocol -1). Sources or ports given by expressions are not reported.',
    falsePositives: 'Honeypots and deliberately public services on these ports; a network ACL or firewall in front of the group that the files do not describe.',
  },
  ['aws_security_group', 'aws_default_security_group', 'aws_security_group_rule', 'aws_vpc_security_group_ingress_rule'],
);
