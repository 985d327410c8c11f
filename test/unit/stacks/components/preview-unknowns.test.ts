// A preview (dry run) where a component's input is unknown because it depends on a resource not
// created yet: the component creates no child then (they show at `pulumi up`); with known inputs
// the preview has every child.
import * as pulumi from '@pulumi/pulumi';
import { installMocks, registered, registeredNames, settled } from '../../../support/pulumi-mocks';

installMocks(true);

const { KubernetesJob } =
  require('../../../../stacks/components/kubernetes-job') as typeof import('../../../../stacks/components/kubernetes-job');

const IMAGE = 'docker.io/library/busybox:1.36.1';

/** A resource whose `namespaceName` the mocks do not return: during a preview it is unknown. */
class Source extends pulumi.CustomResource {
  declare public readonly namespaceName: pulumi.Output<string>;
  public constructor(name: string) {
    super('test:index:Namespace', name, { namespaceName: undefined });
  }
}

beforeEach(() => {
  registered.length = 0;
});

test('known inputs: the preview has every child', async () => {
  new KubernetesJob('known', { namespace: 'batch', createNamespace: true, image: IMAGE });
  await settled();
  expect(registeredNames()).toEqual([
    'jobforge:batch:KubernetesJob::known',
    'kubernetes:batch/v1:Job::known-batch/known',
    'kubernetes:core/v1:Namespace::known-batch',
  ]);
});

test('an input unknown in the preview: no child yet', async () => {
  const source = new Source('source');
  const job = new KubernetesJob('unknown', { namespace: source.namespaceName, image: IMAGE });
  await settled();
  expect(registeredNames()).toEqual([
    'jobforge:batch:KubernetesJob::unknown',
    'test:index:Namespace::source',
  ]);
  expect(pulumi.Output.isInstance(job.jobName)).toBe(true);
});
