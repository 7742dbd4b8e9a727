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

// Sirf NODE_ENV=development (bilkul yahi) dev mode hai. Baaki sab ("prod", "Production",
// "staging", khaali) production jaisa: galti se bhi repo wala secret server pe na chale.
const isDevelopment = (env) => env.NODE_ENV === "development";
const HOW = "make one: openssl rand -base64 32";

// Dev me default + warning; baaki har jagah value zaroori, aur repo wala dev default nahi.
function required(env, name, devDefault, warn, hint = "") {
  const value = env[name];
  if (isDevelopment(env)) {
    if (value) return value;
    warn(`Warning: ${name} set nahi hai, dev default use ho raha hai (sirf NODE_ENV=development me).`);
    return devDefault;
  }
  if (!value) throw new Error(`${name} is required unless NODE_ENV=development${hint}`);
  if (value === devDefault) throw new Error(`${name} is the public dev default from the repository${hint}`);
  return value;
}

// Secret me 256 random bits hain ya nahi, string dekh ke pakka pata nahi chalta. Proxy: base64,
// base64url ya hex jo decode hoke 32+ bytes de; base64 me bade aur chhote dono letters (random
// me lagbhag hamesha hote hain, lowercase passphrase me nahi); aur bytes me kam se kam 16 alag
// values (jaise "AAAA..." nahi). Limit: mixed-case passphrase jo base64 jaisa dikhe, ya kamzor
// generator se bani key, phir bhi pass ho jaati hai. Isliye: openssl rand -base64 32.
export function looksRandomEnough(secret) {
  let bytes;
  if (/^(?:[0-9a-f]{2})+$/i.test(secret)) bytes = Buffer.from(secret, "hex");
  else if (/^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$/.test(secret) && /[A-Z]/.test(secret) && /[a-z]/.test(secret)) {
    bytes = Buffer.from(secret, "base64");
  } else return false;
  return bytes.length >= 32 && new Set(bytes).size >= 16;
}

export function loadConfig(env = process.env, warn = console.warn) {
  const jwtSecret = required(env, "JWT_SECRET", DEV_SECRET, warn, ` (${HOW})`);
  if (!isDevelopment(env) && !looksRandomEnough(jwtSecret)) {
    throw new Error(`JWT_SECRET must be 32+ random bytes as base64 or hex (${HOW})`);
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
