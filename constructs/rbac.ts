// RBAC of what jobforge deploys: a Role or ClusterRole with its rules, bound to the one
// ServiceAccount that needs them.
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';

/** A Role (with `namespace`) or a ClusterRole (without), and its binding to a ServiceAccount. */
export interface BoundRoleProps {
  /** Name of the role and of its binding. */
  readonly name: string;
  /** Namespace of the Role and its RoleBinding. @default - a ClusterRole and a ClusterRoleBinding */
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly rules: k8s.PolicyRule[];
  /** The ServiceAccount granted the rules. */
  readonly serviceAccount: { readonly name: string; readonly namespace: string };
}

/** Adds the role as construct `id` and its binding as `<id>Binding`, both named `props.name`. */
export function addBoundRole(scope: Construct, id: string, props: BoundRoleProps): void {
  const { name, namespace, labels, rules } = props;
  const subjects = [
    { kind: 'ServiceAccount', name: props.serviceAccount.name, namespace: props.serviceAccount.namespace },
  ];
  if (namespace === undefined) {
    new k8s.KubeClusterRole(scope, id, { metadata: { name, labels }, rules });
    new k8s.KubeClusterRoleBinding(scope, `${id}Binding`, {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects,
    });
  } else {
    new k8s.KubeRole(scope, id, { metadata: { name, namespace, labels }, rules });
    new k8s.KubeRoleBinding(scope, `${id}Binding`, {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    });
  }
}
