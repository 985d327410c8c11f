// The package root: re-exports every public construct, function and type. Nothing else.
export {};
