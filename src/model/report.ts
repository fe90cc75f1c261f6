import type { Crossing, Threat } from './graph.js';
import type { FindingStatus, ParseIssue, Severity } from './types.js';

/**
 * The JSON report, schema version 1. Other tools read it: add fields, never
 * rename or remove them without bumping `schemaVersion` (see README "JSON output").
 */
export interface Report {
  schemaVersion: 1;
  tool: { name: 'threatdiff'; version: string };
  /** Absent for `scan` (a single snapshot). */
  base: SnapshotRef | null;
  head: SnapshotRef;
  summary: ReportSummary;
  crossings: ReportCrossing[];
  threats: Threat[];
  errors: ParseIssue[];
  coverage: Coverage;
}

export interface SnapshotRef {
  ref: string;
  commit: string;
}

export type ReportCrossing = Crossing & { status: FindingStatus; change?: 'added' | 'lost-authentication' | 'lost-encryption' };

export interface ReportSummary {
  crossings: Record<FindingStatus, number>;
  threats: Record<FindingStatus, number>;
  /** New threats by severity (all threats for `scan`). */
  newBySeverity: Record<Severity, number>;
  /** Highest severity among new, unaccepted threats, or null. */
  highestNew: Severity | null;
  files: { analysed: number; changed: number; parsed: number; cached: number; skipped: number; errors: number };
  elements: number;
  edges: number;
}

export interface Coverage {
  services: number;
  operations: number;
  dataStores: number;
  /** Workloads no OpenAPI description is attached to. */
  servicesWithoutApi: string[];
  /** Workloads in namespaces with no NetworkPolicy selecting them. */
  servicesWithoutNetworkPolicy: string[];
}
