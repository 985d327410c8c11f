// Names and labels of a workload's objects.
import { Names } from 'cdk8s';
import { Construct } from 'constructs';
import { toDnsLabel } from '../../core/dns-name';

/**
 * The name a workload gets when `name` is not given: cdk8s' name for the construct path (with a
 * hash of the path), made a DNS-1123 label of at most `maxLength` characters.
 */
export function defaultWorkloadName(scope: Construct, maxLength: number): string {
  return toDnsLabel([Names.toDnsLabel(scope, { maxLen: maxLength })], maxLength);
}

/** The labels every object of a workload carries. */
export function workloadLabels(name: string, extra?: Record<string, string>): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'jobforge', ...extra };
}

/** The labels that select a workload's pods (its NetworkPolicy uses them). */
export function workloadSelectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'jobforge' };
}
