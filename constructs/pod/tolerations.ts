// Tolerations of a pod's node taints, checked as kube-apiserver checks them.
import { isLabelValue, isQualifiedName } from '../../core/dns-name';
import { show } from '../../core/k8s/field-checks';
import { NodeToleration } from '../../core/node-inventory';

/** Throws unless every toleration has a valid key, operator, value, effect and tolerationSeconds. */
export function validateTolerations(tolerations: NodeToleration[] | undefined): void {
  if (tolerations === undefined) return;
  for (const t of tolerations) {
    const operator = t.operator ?? 'Equal';
    if ((t.key ?? '') !== '' && (typeof t.key !== 'string' || !isQualifiedName(t.key))) {
      throw new Error(
        `'tolerations' key must be a label key (an optional DNS subdomain prefix and '/', then a name), got ${show(t.key)}`,
      );
    }
    if (operator !== 'Equal' && operator !== 'Exists') {
      throw new Error(`'tolerations' operator must be Equal or Exists, got ${show(t.operator)}`);
    }
    if ((t.key ?? '') === '' && operator !== 'Exists') {
      throw new Error(`'tolerations' without a key must use operator Exists, got ${show(t.operator)}`);
    }
    if (operator === 'Equal' && (typeof (t.value ?? '') !== 'string' || !isLabelValue(t.value ?? ''))) {
      throw new Error(`'tolerations' value must be a label value with operator Equal, got ${show(t.value)}`);
    }
    if (operator === 'Exists' && (t.value ?? '') !== '') {
      throw new Error(`'tolerations' value must be empty with operator Exists, got ${show(t.value)}`);
    }
    if (t.effect !== undefined && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      throw new Error(
        `'tolerations' effect must be NoSchedule, PreferNoSchedule or NoExecute, got ${show(t.effect)}`,
      );
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      throw new Error(`'tolerations' tolerationSeconds needs effect NoExecute, got ${show(t.effect)}`);
    }
  }
}
