// Kept for imports of the former single-file model: everything now lives in ./pod.
export * from './pod';
