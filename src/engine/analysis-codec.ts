import { deserialize, serialize } from 'node:v8';
import { isMap } from 'node:util/types';
import type { Crossing, Graph, Threat } from '../model/graph.js';
import type { ParseIssue } from '../model/types.js';
import type { FileDep } from '../cache/types.js';
import { GRAPH_STATE_VERSION, materialize, type GraphState } from '../graph/incremental.js';
import { storableGraph } from '../graph/assemble.js';

/**
 * A whole analysis as bytes for the graph cache. V8's structured
 * serialisation keeps Maps, Sets and shared objects (an edge referenced from
 * the state, the edge list and both adjacency maps is stored once), and reads
 * back several times faster than JSON for the same data.
 *
 * The store checks a checksum; this checks the format, the version and that
 * the record is the one asked for. Anything else is a miss.
 */

const MAGIC = 'threatdiff-analysis';
const CODEC_VERSION = 1;

export interface StoredAnalysis {
  state: GraphState;
  graph: Graph;
  crossings: Crossing[];
  threats: Threat[];
  ruleIssues: ParseIssue[];
  deps: Map<string, FileDep[]>;
}

interface Record extends StoredAnalysis {
  magic: string;
  codec: number;
  stateVersion: number;
  key: string;
}

export function encodeAnalysis(a: StoredAnalysis & { key: string }): Uint8Array {
  const record: Record = {
    magic: MAGIC,
    codec: CODEC_VERSION,
    stateVersion: GRAPH_STATE_VERSION,
    key: a.key,
    state: materialize(a.state),
    graph: storableGraph(a.graph),
    crossings: a.crossings,
    threats: a.threats,
    ruleIssues: a.ruleIssues,
    deps: a.deps,
  };
  return serialize(record);
}

export function decodeAnalysis(data: Uint8Array, key: string): StoredAnalysis | undefined {
  let r: Partial<Record>;
  try {
    r = deserialize(data) as Partial<Record>;
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null || r.magic !== MAGIC || r.codec !== CODEC_VERSION || r.stateVersion !== GRAPH_STATE_VERSION || r.key !== key) return undefined;
  const s = r.state as Partial<GraphState> | undefined;
  const g = r.graph as Partial<Graph> | undefined;
  const ok =
    s &&
    g &&
    Array.isArray(s.order) &&
    [s.files, s.definers, s.accepted, s.ns, s.gh, s.bn, s.dependents, s.edgeOwners, s.creators].every((m) => isMap(m)) &&
    typeof s.refCount === 'number' &&
    s.order.every((p) => s.files!.has(p)) &&
    [g.elements, g.zoneOf, g.zones, g.out, g.in, g.files].every((m) => isMap(m)) &&
    Array.isArray(g.edges) &&
    Array.isArray(g.issues) &&
    Array.isArray(r.crossings) &&
    Array.isArray(r.threats) &&
    Array.isArray(r.ruleIssues) &&
    isMap(r.deps);
  if (!ok) return undefined;
  return { state: r.state!, graph: r.graph!, crossings: r.crossings!, threats: r.threats!, ruleIssues: r.ruleIssues!, deps: r.deps! };
}
