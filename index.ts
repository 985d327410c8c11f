// The package root: re-exports every public construct, function and type. Nothing else.
export * from './constructs/job-template';
export * from './constructs/kubernetes-job';
export * from './constructs/kubernetes-cron-job';
export * from './constructs/daemon-job';
export * from './core/dns-name';
export * from './core/cron-schedule';
export * from './core/time-zone';
export * from './core/node-inventory';
export * from './core/load-nodes';
export * from './core/quantity';
