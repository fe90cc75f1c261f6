/** The internet actor's id (the graph builder adds the element when an edge names it). */
export const INTERNET_ID = 'actor:internet';

/** Istio's default root namespace: policies there without a selector apply mesh-wide. */
export const ISTIO_ROOT_NAMESPACE = 'istio-system';
