// Saari settings environment variables se aati hain (12-factor style): code ek hi rahe,
// har jagah (laptop, Docker, server) sirf env badle.

const DEV_SECRET = "dev-only-secret-kabhi-production-me-mat-use-karna";
const DEV_PASSWORD = "demo123";

// "900" -> 900; khaali ho to default; galat value pe start hi mat karo.
function seconds(env, name, fallback, min = 1, max = Number.MAX_SAFE_INTEGER) {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

// Production me secret/password ke bina start nahi; dev me default + warning.
function required(env, name, devDefault, warn) {
  if (env[name]) return env[name];
  if (env.NODE_ENV === "production") {
    throw new Error(`${name} is required when NODE_ENV=production`);
  }
  warn(`Warning: ${name} set nahi hai, dev default use ho raha hai (production me ye nahi chalega).`);
  return devDefault;
}

export function loadConfig(env = process.env, warn = console.warn) {
  const jwtSecret = required(env, "JWT_SECRET", DEV_SECRET, warn);
  if (env.NODE_ENV === "production" && jwtSecret.length < 32) {
    throw new Error("JWT_SECRET must be at least 32 characters (try: openssl rand -base64 32)");
  }
  const corsOrigins = (env.CORS_ORIGIN || "http://localhost:5173")
    .split(",").map((origin) => origin.trim()).filter(Boolean);
  if (corsOrigins.includes("*")) {
    throw new Error("CORS_ORIGIN must list origins: '*' cannot be used with cookies (credentials)");
  }
  // Browser ka Origin header "scheme://host[:port]" hota hai, bina "/" ke: warna match hi nahi.
  const wrong = corsOrigins.find((origin) => URL.canParse(origin) ? new URL(origin).origin !== origin : true);
  if (wrong) throw new Error(`CORS_ORIGIN entries must be origins like http://localhost:5173, got "${wrong}"`);
  return {
    port: seconds(env, "PORT", 3000, 0, 65535), // port hai, seconds nahi: same check (whole number)
    host: env.HOST || undefined, // khaali = saare interfaces (Docker ke andar yahi chahiye)
    jwtSecret: new TextEncoder().encode(jwtSecret), // jose ko bytes chahiye
    accessTokenTtl: seconds(env, "ACCESS_TOKEN_TTL", 15 * 60),
    refreshTokenTtl: seconds(env, "REFRESH_TOKEN_TTL", 7 * 24 * 60 * 60),
    // Login se gina absolute limit: refresh hota rahe tab bhi session isse zyada nahi chalta.
    sessionMaxAge: seconds(env, "SESSION_MAX_AGE", 30 * 24 * 60 * 60),
    corsOrigins,
    demoUser: env.DEMO_USER || "demo",
    demoPassword: required(env, "DEMO_PASSWORD", DEV_PASSWORD, warn),
    redisUrl: env.REDIS_URL || undefined,
  };
}
