import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { loadConfig, looksRandomEnough } from "../src/config.js";

const quiet = () => {};
const dev = (env = {}) => loadConfig({ NODE_ENV: "development", ...env }, quiet);
const DEV_SECRET = "dev-only-secret-kabhi-production-me-mat-use-karna";
const strong = randomBytes(32).toString("base64");

test("defaults: port 3000, 15 min access, 7 day refresh, Vite dev origin", () => {
  const config = dev();
  assert.equal(config.port, 3000);
  assert.equal(config.accessTokenTtl, 900);
  assert.equal(config.refreshTokenTtl, 7 * 24 * 60 * 60);
  assert.deepEqual(config.corsOrigins, ["http://localhost:5173"]);
  assert.equal(config.redisUrl, undefined);
});

test("NODE_ENV=development (exactly) falls back to the dev secret and password, with warnings", () => {
  const warnings = [];
  const config = loadConfig({ NODE_ENV: "development" }, (message) => warnings.push(message));
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /JWT_SECRET/);
  assert.equal(config.demoPassword, "demo123");
});

test("anything but development refuses a missing, the dev or a weak JWT_SECRET, and the dev password", () => {
  for (const NODE_ENV of [undefined, "", "production", "prod", "Production", "production ", "staging", "Development"]) {
    const env = { NODE_ENV, DEMO_PASSWORD: "pw" };
    assert.throws(() => loadConfig(env, quiet), /JWT_SECRET is required.*openssl rand -base64 32/, NODE_ENV);
    assert.throws(() => loadConfig({ ...env, JWT_SECRET: DEV_SECRET }, quiet), /JWT_SECRET.*openssl rand/);
    assert.throws(() => loadConfig({ ...env, JWT_SECRET: "x".repeat(64) }, quiet), /JWT_SECRET must be 32\+ random/);
    assert.throws(() => loadConfig({ NODE_ENV, JWT_SECRET: strong }, quiet), /DEMO_PASSWORD is required/);
    assert.throws(() => loadConfig({ NODE_ENV, JWT_SECRET: strong, DEMO_PASSWORD: "demo123" }, quiet), /DEMO_PASSWORD/);
    assert.equal(loadConfig({ ...env, JWT_SECRET: strong }, quiet).demoPassword, "pw");
  }
});

test("the 256-bit proxy: 32+ bytes of base64, base64url or hex, not a pattern or a passphrase", () => {
  for (let i = 0; i < 200; i++) {
    const bytes = randomBytes(32);
    for (const encoding of ["base64", "base64url", "hex"]) assert.ok(looksRandomEnough(bytes.toString(encoding)));
  }
  assert.ok(!looksRandomEnough(randomBytes(31).toString("base64"))); // 248 bits
  assert.ok(!looksRandomEnough("A".repeat(44)));
  assert.ok(!looksRandomEnough("00".repeat(32)));
  assert.ok(!looksRandomEnough("correct-horse-battery-staple-".repeat(2))); // ek hi case: passphrase
  assert.ok(!looksRandomEnough(`${strong}!`));
  assert.ok(!looksRandomEnough(DEV_SECRET));
});

test("TTLs must be whole seconds; CORS_ORIGIN is a comma-separated allow-list without '*'", () => {
  assert.throws(() => dev({ ACCESS_TOKEN_TTL: "15m" }), /ACCESS_TOKEN_TTL/);
  assert.throws(() => dev({ REFRESH_TOKEN_TTL: "0" }), /REFRESH_TOKEN_TTL/);
  assert.equal(dev({ ACCESS_TOKEN_TTL: "2" }).accessTokenTtl, 2);
  const origins = "https://notes.example, http://localhost:5173";
  assert.deepEqual(dev({ CORS_ORIGIN: origins }).corsOrigins, [
    "https://notes.example",
    "http://localhost:5173",
  ]);
  assert.throws(() => dev({ CORS_ORIGIN: "*" }), /cannot be used/);
  // A browser's Origin has no path, not even "/": such an entry would never match.
  assert.throws(() => dev({ CORS_ORIGIN: "http://localhost:5173/" }), /localhost:5173\/"/);
  assert.throws(() => dev({ CORS_ORIGIN: "localhost:5173" }), /must be origins/);
  assert.throws(() => dev({ PORT: "99999" }), /PORT must be a whole number from 0 to 65535/);
  assert.equal(dev({ PORT: "65535" }).port, 65535);
});
