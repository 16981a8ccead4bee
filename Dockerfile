# One image for every Caretaker part; the compose file picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY simulators/package.json simulators/
COPY gateway/package.json gateway/
COPY hub/package.json hub/
COPY dashboard/package.json dashboard/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
ENV NODE_ENV=production
USER node
