// Placeholder digests for the examples' images (pin the ones your registry reports).
const d = (hex: string): string => `@sha256:${hex}`;

export const BUSYBOX = `docker.io/library/busybox:1.36.1${d('510d68f9f75213f848270e62ed463ac39766519a9f4dc2d6b9b09f9d54ba2c49')}`;
export const RUNNER_MIRROR = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/fairwinds/on-demand-job-runner:0.2.13${d('18eea7bc3f7c15af97b4222bc7fd4e62115b2d34d5e3babda433b1b6cc6729ac')}`;
export const JOBFORGE = `ghcr.io/example/jobforge:0.1.0${d('464b67ca5afb4785a00673b6e0ed67de09b7f55a751024f2688a79976d8059f3')}`;
export const DETECTION = `ghcr.io/example/image-resource-detection-manager:v0.1.0${d('00cdf4692bfe27e78651503ac0c36ed0a19ced5d8bd4ee26b641543a308eb2fe')}`;
export const CREATION = `ghcr.io/example/image-resource-creation-manager:v0.1.0${d('2de1f255bb41fd7faa986fbf84d92141c314f687c668f4343cd3fe3edae9fa6e')}`;
export const SCANNER = `ghcr.io/example/image-scanner:1.4.0${d('3c4460c87f89403062dff0c952add50ef13fbeba2ca56e56f8e418abce497496')}`;
export const POLARIS = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/fairwinds/polaris:9.6${d('5b0e2c7a1f4d3e8b9c6a7d0f1e2b3c4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d')}`;
