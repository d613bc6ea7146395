// Built into dist/ and served by the gateway under /dashboard/ (no CDN: every asset is
// in dist/assets, fetched from the gateway itself).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  base: '/dashboard/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks: {
          vue: ['vue', 'vue-router'],
        },
      },
    },
  },
  server: { proxy: { '^/(auth|me|rankings|summaries|exports)': 'http://127.0.0.1:8000' } },
})
