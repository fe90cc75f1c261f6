import { openIngressRule } from './tf-open-ingress.js';

export const rule = openIngressRule(
  {
    id: 'tf-azure-nsg-open',
    title: 'Azure NSG opens an admin or database port to the internet',
    stride: ['I', 'T'],
    severity: 'high',
    rationale:
      'An inbound Allow rule from `*`, `Internet` or 0.0.0.0/0 to RDP, SSH or a database port exposes the virtual machines and services behind the NSG to internet-wide scanning, brute force and exploitation of the listening service.',
    mitigation:
      'Restrict source_address_prefix to known ranges or service tags, use Azure Bastion or just-in-time VM access for RDP/SSH, and reach databases through private endpoints.',
    references: ['CWE-284', 'CAPEC-112', 'https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview'],
    inputs: ['terraform'],
    detection:
      'security_rule blocks of azurerm_network_security_group and azurerm_network_security_rule resources with direction Inbound, access Allow, a literal source of `*`, `Internet`, `Any`, 0.0.0.0/0 or ::/0, and a destination port range covering an admin or data port (or `*`).',
    falsePositives: 'NSGs not associated with any subnet or NIC; a higher-priority Deny rule the check does not evaluate.',
  },
  ['azurerm_network_security_group', 'azurerm_network_security_rule'],
);
