/** The named entries of one kubeconfig file, as @kubernetes/client-node loads them. */
export interface KubeconfigEntries<C extends Named, U extends Named, X extends Named> {
  readonly clusters: readonly C[];
  readonly users: readonly U[];
  readonly contexts: readonly X[];
  readonly currentContext?: string;
}

interface Named {
  readonly name: string;
}

/**
 * Merges the files of a `KUBECONFIG` list as kubectl does: the first file that sets
 * `current-context` decides it, and a cluster, user or context defined in several files is taken
 * from the first one (later ones never override it, and are no error).
 */
export function mergeKubeconfigs<C extends Named, U extends Named, X extends Named>(
  files: readonly KubeconfigEntries<C, U, X>[],
): Required<KubeconfigEntries<C, U, X>> {
  const firstByName = <T extends Named>(lists: (readonly T[])[]): T[] => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  return {
    clusters: firstByName(files.map((f) => f.clusters)),
    users: firstByName(files.map((f) => f.users)),
    contexts: firstByName(files.map((f) => f.contexts)),
    currentContext: files.find((f) => f.currentContext)?.currentContext ?? '',
  };
}
