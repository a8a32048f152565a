import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The Go binary embeds dist/ (see embed_ui.go); during development
// `npm run dev` proxies the API to a local `ecowatch serve`.
export default defineConfig({
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
})
