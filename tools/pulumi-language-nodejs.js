#!/usr/bin/env node
// jobforge's stand-in for Pulumi's Node.js language host, used only by the e2e suite and benches.
//
// Pulumi's own host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is
// refused by the Go module proxy this project builds from, so `pulumi up` of a program directory
// needs a substitute. This one serves the LanguageRuntime gRPC service with the LanguageServer that
// @pulumi/pulumi itself ships for Automation API inline programs, and runs the project's compiled
// `main` in-process: its exports become the stack outputs (a default-exported function is called
// and its result used), as with Pulumi's host. It supports plain JavaScript programs (compile
// TypeScript first); it does not install dependencies or report required plugins.
//
// The engine starts it as `pulumi-language-nodejs [flags] <engine address>` in the program's
// directory and reads the port it listens on from stdout.
'use strict';

const path = require('node:path');

function resolveFromProgram(id) {
  return require.resolve(id, {
    paths: [process.cwd(), process.env.JOBFORGE_NODE_MODULES_ROOT || process.cwd()],
  });
}

const pulumiRoot = path.dirname(resolveFromProgram('@pulumi/pulumi/package.json'));
const grpc = require(require.resolve('@grpc/grpc-js', { paths: [pulumiRoot] }));
const langrpc = require(path.join(pulumiRoot, 'proto', 'language_grpc_pb'));
const { LanguageServer } = require(path.join(pulumiRoot, 'automation', 'server'));
const { grpcChannelOptions } = require(path.join(pulumiRoot, 'runtime', 'settings'));

/** The program's entry point from a RunRequest: ProgramInfo when present, else pwd + program. */
function entryPoint(req) {
  const info = req.getInfo && req.getInfo();
  if (info && info.getProgramDirectory && info.getProgramDirectory()) {
    return path.resolve(info.getProgramDirectory(), info.getEntryPoint() || '.');
  }
  return path.resolve(req.getPwd() || process.cwd(), req.getProgram() || '.');
}

class ProgramLanguageServer extends LanguageServer {
  constructor() {
    super(async () => undefined);
  }

  run(call, callback) {
    const entry = entryPoint(call.request);
    this.program = async () => {
      const mod = require(entry);
      const exported = mod && typeof mod.default === 'function' ? await mod.default() : mod;
      return exported && typeof exported === 'object' ? { ...exported } : exported;
    };
    return super.run(call, callback);
  }
}

const server = new grpc.Server(grpcChannelOptions);
server.addService(langrpc.LanguageRuntimeService, new ProgramLanguageServer());
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`pulumi-language-nodejs: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
