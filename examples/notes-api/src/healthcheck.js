// Dockerfile ka HEALTHCHECK: GET /healthz. 200 = exit 0 (healthy); 503 (Redis band/atka), app
// band, ya 3 second me jawab nahi = exit 1. Image me curl nahi, node hai; PORT wahi jo app ka.
const port = process.env.PORT || 3000;
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
