/** A node taint (the fields of core/v1 Taint that scheduling looks at). */
export interface NodeTaint {
  readonly key: string;
  /** @default '' */
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** One node of an inventory: what decides whether a DaemonJob runs on it. */
export interface NodeInfo {
  /** The node's name (metadata.name). */
  readonly name: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly taints?: readonly NodeTaint[];
}

/** A pod toleration (core/v1 Toleration). */
export interface NodeToleration {
  /** Empty or omitted with operator Exists tolerates every taint. @default - every key (only with Exists) */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: 'Equal' | 'Exists';
  /** @default '' */
  readonly value?: string;
  /** Omitted tolerates every effect. @default - every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** How long a NoExecute taint is tolerated. @default - forever */
  readonly tolerationSeconds?: number;
}

/** A node selector requirement (core/v1 NodeSelectorRequirement). */
export interface NodeSelectorRequirementInfo {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[];
}

/** A node selector term: all of its requirements must hold. */
export interface NodeSelectorTermInfo {
  readonly matchExpressions?: readonly NodeSelectorRequirementInfo[];
  readonly matchFields?: readonly NodeSelectorRequirementInfo[];
}

/** True when `toleration` tolerates `taint`, with the scheduler's matching rules. */
export function toleratesTaint(toleration: NodeToleration, taint: NodeTaint): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  const operator = toleration.operator ?? 'Equal';
  if (toleration.key === undefined || toleration.key === '') return operator === 'Exists';
  if (toleration.key !== taint.key) return false;
  return operator === 'Exists' || (toleration.value ?? '') === (taint.value ?? '');
}

/**
 * The taints of `node` that keep a pod with `tolerations` off it: NoSchedule and NoExecute taints
 * no toleration matches (PreferNoSchedule only steers the scheduler).
 */
export function untoleratedTaints(node: NodeInfo, tolerations: readonly NodeToleration[] = []): NodeTaint[] {
  return (node.taints ?? []).filter(
    (taint) =>
      (taint.effect === 'NoSchedule' || taint.effect === 'NoExecute') &&
      !tolerations.some((t) => toleratesTaint(t, taint)),
  );
}

/** True when every entry of `selector` is a label of `node` with the same value. */
export function matchesNodeSelector(
  node: NodeInfo,
  selector: Readonly<Record<string, string>> = {},
): boolean {
  const labels = node.labels ?? {};
  return Object.entries(selector).every(
    ([k, v]) => Object.prototype.hasOwnProperty.call(labels, k) && labels[k] === v,
  );
}

function requirementHolds(value: string | undefined, req: NodeSelectorRequirementInfo): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0], 10);
      if (Number.isNaN(have) || Number.isNaN(want)) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default:
      throw new Error(
        `node selector operator must be In, NotIn, Exists, DoesNotExist, Gt or Lt, got ${JSON.stringify(req.operator)}`,
      );
  }
}

/**
 * True when `node` satisfies at least one of `terms` (required node affinity semantics: terms are
 * ORed, the requirements inside a term ANDed; `matchFields` supports `metadata.name`). No terms
 * means no constraint.
 */
export function matchesNodeSelectorTerms(
  node: NodeInfo,
  terms: readonly NodeSelectorTermInfo[] | undefined,
): boolean {
  if (terms === undefined || terms.length === 0) return true;
  const labels = node.labels ?? {};
  return terms.some((term) => {
    const exprs = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    if (exprs.length === 0 && fields.length === 0) return false; // an empty term matches nothing
    return (
      exprs.every((req) =>
        requirementHolds(
          Object.prototype.hasOwnProperty.call(labels, req.key) ? labels[req.key] : undefined,
          req,
        ),
      ) && fields.every((req) => requirementHolds(req.key === 'metadata.name' ? node.name : undefined, req))
    );
  });
}

/** What decides which nodes of an inventory a DaemonJob runs on. */
export interface NodeSelection {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly NodeToleration[];
  /** Required node affinity terms of the pod, if any. */
  readonly requiredTerms?: readonly NodeSelectorTermInfo[];
}

/**
 * The nodes of `nodes` a pod would be allowed on, in inventory order: labels match the node
 * selector, the required node affinity holds, and every NoSchedule/NoExecute taint is tolerated —
 * the predicate the DaemonSet controller uses to decide where its pods go.
 */
export function selectNodes(nodes: readonly NodeInfo[], selection: NodeSelection = {}): NodeInfo[] {
  return nodes.filter(
    (node) =>
      matchesNodeSelector(node, selection.nodeSelector) &&
      matchesNodeSelectorTerms(node, selection.requiredTerms) &&
      untoleratedTaints(node, selection.tolerations).length === 0,
  );
}
