# The jobforge CLI image: `jobforge policy-sync` (and the other subcommands) with the Kyverno CLI
# for policy validation. Use it as the `image` of the KyvernoPolicySync construct with
# `runner: 'jobforge'`, or run it directly:
#   docker build -t jobforge:dev .
#   docker run --rm -e FAIRWINDS_INSIGHTS_HOST -e FAIRWINDS_TOKEN -e FAIRWINDS_ORG -e FAIRWINDS_CLUSTER \
#     -e DRY_RUN=true -v ~/.kube/config:/kubeconfig:ro -e KUBECONFIG=/kubeconfig jobforge:dev policy-sync
ARG NODE_VERSION=20
ARG KYVERNO_VERSION=v1.19.1

# The official Kyverno CLI image (built with ko: the binary is /ko-app/kubectl-kyverno).
FROM ghcr.io/kyverno/kyverno-cli:${KYVERNO_VERSION} AS kyverno

FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json index.ts main.ts ./
COPY core core
COPY constructs constructs
COPY stacks stacks
COPY imports imports
COPY bin bin
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:${NODE_VERSION}-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/lib lib
COPY --from=kyverno /ko-app/kubectl-kyverno /usr/local/bin/kyverno
# Numeric, so that runAsNonRoot can verify it; /tmp is the only place written (an emptyDir in the CronJob).
USER 1000:1000
ENTRYPOINT ["node", "/app/lib/bin/jobforge.js"]
CMD ["--help"]
