import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../src/config.js";

const quiet = () => {};

test("defaults: port 3000, 15 min access, 7 day refresh, Vite dev origin", () => {
  const config = loadConfig({}, quiet);
  assert.equal(config.port, 3000);
  assert.equal(config.accessTokenTtl, 900);
  assert.equal(config.refreshTokenTtl, 7 * 24 * 60 * 60);
  assert.deepEqual(config.corsOrigins, ["http://localhost:5173"]);
  assert.equal(config.redisUrl, undefined);
});

test("outside production a missing JWT_SECRET falls back to a dev secret, with a warning", () => {
  const warnings = [];
  loadConfig({ DEMO_PASSWORD: "pw" }, (message) => warnings.push(message));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /JWT_SECRET/);
});

test("production refuses to start without JWT_SECRET, a short one, or DEMO_PASSWORD", () => {
  const env = { NODE_ENV: "production", DEMO_PASSWORD: "pw" };
  assert.throws(() => loadConfig(env, quiet), /JWT_SECRET is required/);
  assert.throws(() => loadConfig({ ...env, JWT_SECRET: "short" }, quiet), /at least 32/);
  const secret = "x".repeat(32);
  assert.throws(() => loadConfig({ NODE_ENV: "production", JWT_SECRET: secret }, quiet), /DEMO_PASSWORD/);
  assert.equal(loadConfig({ ...env, JWT_SECRET: secret }, quiet).demoPassword, "pw");
});

test("TTLs must be whole seconds; CORS_ORIGIN is a comma-separated allow-list without '*'", () => {
  assert.throws(() => loadConfig({ ACCESS_TOKEN_TTL: "15m" }, quiet), /ACCESS_TOKEN_TTL/);
  assert.throws(() => loadConfig({ REFRESH_TOKEN_TTL: "0" }, quiet), /REFRESH_TOKEN_TTL/);
  assert.equal(loadConfig({ ACCESS_TOKEN_TTL: "2" }, quiet).accessTokenTtl, 2);
  const origins = "https://notes.example, http://localhost:5173";
  assert.deepEqual(loadConfig({ CORS_ORIGIN: origins }, quiet).corsOrigins, [
    "https://notes.example",
    "http://localhost:5173",
  ]);
  assert.throws(() => loadConfig({ CORS_ORIGIN: "*" }, quiet), /cannot be used/);
  // A browser's Origin has no path, not even "/": such an entry would never match.
  assert.throws(() => loadConfig({ CORS_ORIGIN: "http://localhost:5173/" }, quiet), /localhost:5173\/"/);
  assert.throws(() => loadConfig({ CORS_ORIGIN: "localhost:5173" }, quiet), /must be origins/);
  assert.throws(() => loadConfig({ PORT: "99999" }, quiet), /PORT must be a whole number from 0 to 65535/);
  assert.equal(loadConfig({ PORT: "65535" }, quiet).port, 65535);
});
