# condorhub's image. The services run their TypeScript sources through tools/register.js (no build
# step), so an image is the repository plus `npm ci`. docker-compose.yml builds two targets:
#   app        every condorhub service (hub, proxy, port-registry, projector, spawner, condor-poller)
#   condor-sim the simulated pool: condor-sim's daemon runs the notebook jobs, so it also has
#              jupyterhub-singleuser (Debian's jupyterhub package, notebook 6.x)
FROM node:20-bookworm AS app
# The npm package.json's allowScripts and the lockfile are made with (shared/reference/toolchain.md):
# npm 11 runs only the install scripts allowScripts lists (@swc/core's).
RUN npm install -g npm@11.19.1 && npm cache clean --force
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
# The launcher (apps/launcher, Python 3 stdlib) runs on the workers: python3 comes with the base image.
CMD ["node", "-r", "./tools/register.js", "apps/all-in-one/src/main.ts"]

FROM app AS condor-sim
# Jobs run as their owners (never root: HTCondor refuses root-owned jobs, and so does condor-sim):
# the daemon runs as root only to create the owners' accounts (--create-owners) and to switch to them.
RUN apt-get update \
  && apt-get install -y --no-install-recommends jupyterhub \
  && rm -rf /var/lib/apt/lists/*
CMD ["tools/condor-sim/bin/condor-sim", "run"]
