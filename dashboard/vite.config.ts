import { defineConfig } from 'vite';

// The hub serves dashboard/dist at `/`. `npm run dev:dashboard` proxies the API and the
// socket.io stream to a hub on HUB_URL (default http://localhost:8080).
const hub = process.env.HUB_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      // react-router marks its modules "use client" (for React Server Components); meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      output: {
        // Libraries change less often than the app: their own chunks stay cached across releases.
        // uPlot stays with the lazily loaded device page.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/ },
            { name: 'router', test: /node_modules[\\/]react-router[\\/]/ },
            {
              name: 'live',
              test: /node_modules[\\/](socket\.io|engine\.io|@socket\.io|i18next|react-i18next)/,
            },
          ],
        },
      },
    },
  },
  esbuild: { jsx: 'automatic' },
  server: {
    proxy: {
      '/api': hub,
      '/healthz': hub,
      '/socket.io': { target: hub, ws: true },
    },
  },
});
