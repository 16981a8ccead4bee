import { defineConfig } from 'vite';

// The hub serves dashboard/dist at `/`. `npm run dev:dashboard` proxies the API and the
// socket.io stream to a hub on HUB_URL (default http://localhost:8080).
const hub = process.env.HUB_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: import.meta.dirname,
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 400 },
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: {
      '/api': hub,
      '/healthz': hub,
      '/socket.io': { target: hub, ws: true },
    },
  },
});
